/**
 * An S3-compatible bucket for the off-site tests: s3rver, reached only through a small proxy
 * that records every request (method, path, query, headers, and the MD5 and size of its body)
 * before passing it on unchanged, so a test sees exactly what the client sent.
 */
import { createHash } from "node:crypto";
import { createServer, request as forward, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import path from "node:path";
import { pipeline } from "node:stream/promises";

export interface RecordedS3Request {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  /** Base64 MD5 of the body as it arrived, comparable with Content-MD5; set once the body has been read. */
  bodyMd5: string;
  bodyBytes: number;
}

export interface FakeS3 {
  /** The proxy: point the S3 client here, path-style. */
  url: string;
  bucket: string;
  requests: RecordedS3Request[];
  /** Where s3rver keeps an object's bytes, to change them behind the client's back. */
  objectFile(key: string): string;
  close(): Promise<void>;
}

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

type S3rverConstructor = new (options: {
  port: number;
  address: string;
  silent: boolean;
  directory: string;
  configureBuckets: { name: string }[];
}) => S3rverInstance;

interface S3rverAccount {
  createKeyPair(accessKeyId: string, secretAccessKey: string): void;
}

// s3rver is CommonJS without type declarations; these are the parts the tests use.
const requireCommonJs = createRequire(import.meta.url);
const S3rver = requireCommonJs("s3rver") as S3rverConstructor;
/** s3rver checks request signatures against the key pairs of this account. */
const { DUMMY_ACCOUNT: s3rverAccount } = requireCommonJs("s3rver/lib/models/account") as { DUMMY_ACCOUNT: S3rverAccount };

/** Hop-by-hop, or (expect) already answered by this proxy; none of them is signed. */
const NOT_FORWARDED = new Set(["connection", "keep-alive", "expect"]);

export interface FakeS3Options {
  bucket: string;
  /** Where s3rver keeps its buckets. */
  directory: string;
  /** The key pair requests must be signed with. */
  accessKeyId: string;
  secretAccessKey: string;
}

export async function startFakeS3(options: FakeS3Options): Promise<FakeS3> {
  s3rverAccount.createKeyPair(options.accessKeyId, options.secretAccessKey);
  const s3rver = new S3rver({ port: 0, address: "127.0.0.1", silent: true, directory: options.directory, configureBuckets: [{ name: options.bucket }] });
  const { port: s3rverPort } = await s3rver.run();
  const requests: RecordedS3Request[] = [];

  const proxy = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    const url = new URL(incoming.url ?? "/", "http://fake-s3");
    const recorded: RecordedS3Request = {
      method: incoming.method ?? "",
      path: decodeURIComponent(url.pathname),
      query: Object.fromEntries(url.searchParams),
      headers: incoming.headers,
      bodyMd5: "",
      bodyBytes: 0,
    };
    requests.push(recorded);
    const md5 = createHash("md5");
    const headers = Object.fromEntries(Object.entries(incoming.headers).filter(([name]) => !NOT_FORWARDED.has(name)));
    const upstream = forward({ host: "127.0.0.1", port: s3rverPort, method: incoming.method, path: incoming.url, headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      pipeline(answer, outgoing).catch(() => {
        // The client went away (a download that failed its check stops reading); pipeline has
        // closed the upstream exchange too, so s3rver can shut down.
      });
    });
    incoming.on("data", (chunk: Buffer) => {
      md5.update(chunk);
      recorded.bodyBytes += chunk.length;
    });
    incoming.on("end", () => {
      recorded.bodyMd5 = md5.digest("base64");
    });
    pipeline(incoming, upstream).catch((error: Error) => outgoing.destroy(error));
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  const { port } = proxy.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    requests,
    objectFile: (key) => {
      const parts = key.split("/");
      const name = parts.pop() ?? "";
      return path.join(options.directory, options.bucket, ...parts, `${name}._S3rver_object`);
    },
    async close() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve, reject) => proxy.close((error) => (error ? reject(error) : resolve())));
      await s3rver.close();
    },
  };
}
