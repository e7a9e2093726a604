/**
 * B2's native `b2_authorize_account` (v3) as the off-site preflight meets it: HTTP Basic
 * keyId:applicationKey in, the key's capabilities and bucket/prefix restriction out, in
 * `apiInfo.storageApi`. The key's scope can be changed between tests; every request is recorded.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** The key the docs tell operators to create: list, read and write files, nothing more. */
export const DOCUMENTED_CAPABILITIES = ["listAllBucketNames", "listBuckets", "listFiles", "readFiles", "writeFiles"];

export interface FakeB2Key {
  keyId: string;
  applicationKey: string;
  capabilities: string[];
  /** Set to restrict the key to one bucket. */
  bucketName: string | null;
  namePrefix: string | null;
}

export interface RecordedB2Request {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

export interface FakeB2 {
  url: string;
  requests: RecordedB2Request[];
  /** Every authorization token handed out, so a test can look for it where it must not be. */
  issuedTokens: string[];
  setKey(changes: Partial<FakeB2Key>): void;
  close(): Promise<void>;
}

const AUTHORIZE_PATH = "/b2api/v3/b2_authorize_account";

export async function startFakeB2(key: Pick<FakeB2Key, "keyId" | "applicationKey"> & Partial<FakeB2Key>): Promise<FakeB2> {
  let current: FakeB2Key = { capabilities: DOCUMENTED_CAPABILITIES, bucketName: null, namePrefix: null, ...key };
  const requests: RecordedB2Request[] = [];
  const issuedTokens: string[] = [];

  const authorize = (request: IncomingMessage): { status: number; body: unknown } => {
    const expected = `Basic ${Buffer.from(`${current.keyId}:${current.applicationKey}`).toString("base64")}`;
    if (request.headers.authorization !== expected) return { status: 401, body: { status: 401, code: "unauthorized", message: "" } };
    const authorizationToken = `4_fake${randomBytes(24).toString("hex")}`;
    issuedTokens.push(authorizationToken);
    const restricted = current.bucketName !== null;
    return {
      status: 200,
      body: {
        accountId: "fakeaccount0001",
        authorizationToken,
        applicationKeyExpirationTimestamp: null,
        apiInfo: {
          groupsApi: {},
          storageApi: {
            infoType: "storageApi",
            absoluteMinimumPartSize: 5_000_000,
            recommendedPartSize: 100_000_000,
            apiUrl: "https://api000.backblazeb2.invalid",
            downloadUrl: "https://f000.backblazeb2.invalid",
            s3ApiUrl: "https://s3.us-west-000.backblazeb2.invalid",
            capabilities: current.capabilities,
            bucketId: restricted ? `bucket-id-of-${current.bucketName}` : null,
            bucketName: current.bucketName,
            namePrefix: current.namePrefix,
          },
        },
      },
    };
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "http://fake-b2");
    requests.push({ method: request.method ?? "", path: url.pathname, headers: request.headers });
    const { status, body } =
      request.method === "GET" && url.pathname === AUTHORIZE_PATH ? authorize(request) : { status: 404, body: { status: 404, code: "not_found", message: "" } };
    response.writeHead(status, { "content-type": "application/json" });
    response.end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    issuedTokens,
    setKey(changes) {
      current = { ...current, ...changes };
    },
    close: () => new Promise((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  };
}
