/**
 * Text scrubbing for anything that may end up in a log line: URLs and free text
 * are rewritten so credentials carried inside them are replaced, while the rest
 * of the string stays byte-for-byte as it was (useful context such as paths and
 * harmless query parameters survives).
 */

export const REDACTED = "[REDACTED]";
export const REDACTED_JWT = "[REDACTED_JWT]";

/** Query parameters whose values are credentials or one-time secrets. Matched case-insensitively. */
export const SENSITIVE_QUERY_PARAMS: readonly string[] = [
  "code",
  "state",
  "access_token",
  "refresh_token",
  "id_token",
  "token",
  "session",
  "session_id",
  "sid",
  "client_secret",
  "password",
  "api_key",
  "apikey",
  "key",
  "signature",
  "sig",
  "X-Amz-Signature",
  "X-Amz-Credential",
  "jwt",
  "invite",
  "nonce",
];

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const SENSITIVE_PARAM_NAMES = `(${SENSITIVE_QUERY_PARAMS.map(escapeRegExp).join("|")})`;

/**
 * A parameter in a plain query string, fragment (`#access_token=` in implicit OAuth
 * redirects) or form body. Its value runs to the next separator; `%26` inside it is
 * data, so it is covered too.
 */
const PLAIN_PARAM = new RegExp(`(?<=^|[?&#;])${SENSITIVE_PARAM_NAMES}=[^&#\\s"'<>]+`, "gi");

/**
 * A parameter inside a percent-encoded URL carried as another parameter's value,
 * e.g. `returnTo=%2Finvite%3Ftoken%3Dabc%26page%3D2`. Its value ends at an encoded separator.
 */
const ENCODED_PARAM = new RegExp(
  `(?<=%3F|%26|%23)${SENSITIVE_PARAM_NAMES}%3D(?:[^&#%\\s"'<>]|%(?!26|23))+`,
  "gi",
);

/** The password part of `scheme://user:password@host` (database and Redis URLs). */
const USERINFO_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^\s/?#@:]*:)[^\s/?#@]+@/gi;

const BEARER_TOKEN = /\bBearer\s+[A-Za-z0-9\-._~+/]+=*/gi;

/** Three base64url segments whose header is a JSON object (`{"` encodes to `eyJ`). */
const JWT = /\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;

/** Anthropic API keys, wherever a message quotes one (an SDK line, a misconfigured URL). */
const ANTHROPIC_KEY = /\bsk-ant-[A-Za-z0-9_-]+/g;

/** Paths whose last segment is itself a secret: an invitation link carries its token in the path. */
const SECRET_PATH = /(\/invite\/)[^/?#\s"'<>]+/gi;

/** Replaces sensitive query parameter values, secret path segments and URL passwords; everything else is kept as written. */
export function scrubUrl(url: string): string {
  return url
    .replace(SECRET_PATH, `$1${REDACTED}`)
    .replace(PLAIN_PARAM, (_match, name: string) => `${name}=${REDACTED}`)
    .replace(ENCODED_PARAM, (_match, name: string) => `${name}%3D${REDACTED}`)
    .replace(USERINFO_PASSWORD, `$1${REDACTED}@`);
}

/** `scrubUrl` for every URL inside free text, plus bearer tokens, bare JWTs and Anthropic keys. */
export function scrubText(text: string): string {
  return scrubUrl(text).replace(BEARER_TOKEN, `Bearer ${REDACTED}`).replace(JWT, REDACTED_JWT).replace(ANTHROPIC_KEY, REDACTED);
}
