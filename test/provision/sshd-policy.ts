/**
 * What a hardened sshd must do, checked on `sshd -T` output (the configuration sshd will
 * really use, drop-ins and Match blocks resolved) rather than on the files.
 */

/** `sshd -T` output: each lower-case keyword with its values (some keywords repeat). */
export type SshdSettings = Map<string, string[]>;

export function parseSshdSettings(text: string): SshdSettings {
  const settings: SshdSettings = new Map();
  for (const line of text.split("\n")) {
    const match = /^(\S+)\s+(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, keyword, value] = match;
    settings.set(keyword!, [...(settings.get(keyword!) ?? []), value!]);
  }
  return settings;
}

const MODERN_CIPHERS = ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com", "aes256-ctr", "aes192-ctr", "aes128-ctr"];
const MODERN_KEX = [
  "sntrup761x25519-sha512",
  "sntrup761x25519-sha512@openssh.com",
  "curve25519-sha256",
  "curve25519-sha256@libssh.org",
  "diffie-hellman-group16-sha512",
  "diffie-hellman-group18-sha512",
  "diffie-hellman-group-exchange-sha256",
];
/** Encrypt-then-MAC only, no SHA-1, no 64-bit tags. */
const MODERN_MACS = ["hmac-sha2-512-etm@openssh.com", "hmac-sha2-256-etm@openssh.com", "umac-128-etm@openssh.com"];

/** One line per way the settings fall short; empty when sshd is hardened. */
export function sshdProblems(settings: SshdSettings): string[] {
  const value = (keyword: string) => settings.get(keyword)?.[0];
  const problems: string[] = [];
  const expect = (keyword: string, allowed: string[]) => {
    if (!allowed.includes(value(keyword) ?? "")) problems.push(`${keyword} is ${value(keyword)}, expected ${allowed.join(" or ")}`);
  };
  expect("passwordauthentication", ["no"]);
  expect("kbdinteractiveauthentication", ["no"]);
  expect("permitrootlogin", ["no", "without-password"]);
  expect("authenticationmethods", ["publickey"]);
  expect("permitemptypasswords", ["no"]);
  expect("x11forwarding", ["no"]);

  const maxAuthTries = Number(value("maxauthtries"));
  if (!(maxAuthTries <= 3)) problems.push(`maxauthtries is ${value("maxauthtries")}, expected at most 3`);

  const outdated = (keyword: string, modern: string[]) => {
    const extra = (value(keyword) ?? "").split(",").filter((algorithm) => !modern.includes(algorithm));
    if (extra.length > 0) problems.push(`${keyword} allows ${extra.join(", ")}`);
  };
  outdated("ciphers", MODERN_CIPHERS);
  outdated("kexalgorithms", MODERN_KEX);
  outdated("macs", MODERN_MACS);
  return problems;
}
