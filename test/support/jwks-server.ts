import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from "jose";

/**
 * A local stand-in for an external OIDC issuer (such as Clerk): it publishes RS256 public keys at
 * `/.well-known/jwks.json` and signs tokens with the matching private keys.
 *
 *   const issuer = await startJwksServer();
 *   const token = await issuer.signer()({ sub: "user_1", aud: "twinflow", org_id: "org_1" });
 *   ...
 *   await issuer.close();
 */
export interface JwksServer {
  /** Base URL, e.g. http://127.0.0.1:53124 */
  url: string;
  /** `${url}/.well-known/jwks.json` */
  jwksUrl: string;
  /** The `iss` put into signed tokens by default (equal to `url`). */
  issuer: string;
  /** Path of every request received, in order; lets tests see when a verifier (re)fetched the JWKS. */
  requests: string[];
  /**
   * Returns a function that signs RS256 tokens with the key `kid` (default: the newest published key).
   * Keys dropped by `rotate()` can still sign, which is how tests make tokens for retired keys.
   */
  signer(kid?: string): (claims: JWTPayload, options?: TokenOptions) => Promise<string>;
  /** Publishes a new key and stops publishing the oldest one; returns the new kid. */
  rotate(): Promise<string>;
  close(): Promise<void>;
}

export interface TokenOptions {
  /** Reference time for the default `iat` and `exp` claims (default: now). */
  now?: Date;
  /** Default `exp` is `now` + this (default 300). */
  lifetimeSeconds?: number;
}

interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

export const JWKS_PATH = "/.well-known/jwks.json";
const ALGORITHM = "RS256";

export async function startJwksServer(): Promise<JwksServer> {
  const keysByKid = new Map<string, SigningKey>();
  let published: SigningKey[] = [];
  const requests: string[] = [];

  async function addKey(): Promise<string> {
    const key = await newSigningKey();
    keysByKid.set(key.kid, key);
    published = [...published, key];
    return key.kid;
  }
  await addKey();

  const server = createServer((request, response) => {
    requests.push(request.url ?? "");
    respond(request, response, published);
  });
  const url = await listenOnLoopback(server);

  return {
    url,
    jwksUrl: `${url}${JWKS_PATH}`,
    issuer: url,
    requests,
    signer(kid) {
      const key = kid === undefined ? published.at(-1) : keysByKid.get(kid);
      if (!key) throw new Error(`the JWKS server has no key ${kid}`);
      return (claims, options) => signToken(key, { iss: url, ...claims }, options);
    },
    async rotate() {
      const kid = await addKey();
      published = published.slice(1);
      return kid;
    },
    close: () => closeServer(server),
  };
}

async function newSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
  const kid = randomUUID();
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: "sig" };
  return { kid, privateKey, publicJwk };
}

function respond(request: IncomingMessage, response: ServerResponse, published: SigningKey[]): void {
  if (request.method !== "GET" || request.url !== JWKS_PATH) {
    response.writeHead(404).end();
    return;
  }
  response.writeHead(200, { "content-type": "application/json" });
  response.end(JSON.stringify({ keys: published.map((key) => key.publicJwk) }));
}

/** `claims` override the default `iat`/`exp`; set a claim to undefined to leave it out. */
function signToken(key: SigningKey, claims: JWTPayload, options: TokenOptions = {}): Promise<string> {
  const issuedAt = Math.floor((options.now ?? new Date()).getTime() / 1000);
  const payload = { iat: issuedAt, exp: issuedAt + (options.lifetimeSeconds ?? 300), ...claims };
  return new SignJWT(payload).setProtectedHeader({ alg: ALGORITHM, kid: key.kid, typ: "JWT" }).sign(key.privateKey);
}

function listenOnLoopback(server: ReturnType<typeof createServer>): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

/** Drops idle keep-alive connections (fetch keeps them open) so close() does not hang. */
function closeServer(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
