import { describe, expect, it } from "vitest";
import { REQUIRED_CAPABILITIES, keyProblem, type KeyScope } from "./preflight.js";

const CONFIG = { bucket: "twinflow-offsite", prefix: "twinflow" };
const DOCUMENTED: KeyScope = {
  capabilities: ["listAllBucketNames", "listBuckets", "listFiles", "readFiles", "writeFiles"],
  bucketId: "4a48fe8875c6214145260818",
  bucketName: "twinflow-offsite",
  namePrefix: null,
};

describe("keyProblem", () => {
  it("accepts the documented key, restricted to the bucket or not", () => {
    expect(keyProblem(DOCUMENTED, CONFIG)).toBeUndefined();
    expect(keyProblem({ ...DOCUMENTED, bucketId: null, bucketName: null }, CONFIG)).toBeUndefined();
    expect(keyProblem({ ...DOCUMENTED, namePrefix: "twinflow/" }, CONFIG)).toBeUndefined();
  });

  it.each([
    "deleteFiles",
    "writeBuckets",
    "deleteBuckets",
    "writeBucketRetentions",
    "writeFileRetentions",
    "writeFileLegalHolds",
    "bypassGovernance",
    "writeKeys",
    "deleteKeys",
    "listKeys",
    "writeBucketEncryption",
    "writeBucketReplications",
    "writeBucketNotifications",
    "writeSomethingNew",
  ])("refuses a key holding %s, naming it", (capability) => {
    expect(keyProblem({ ...DOCUMENTED, capabilities: [...DOCUMENTED.capabilities, capability] }, CONFIG)).toMatch(new RegExp(`^holds ${capability},`));
  });

  it.each(REQUIRED_CAPABILITIES)("refuses a key without %s", (capability) => {
    const capabilities = DOCUMENTED.capabilities.filter((held) => held !== capability);
    expect(keyProblem({ ...DOCUMENTED, capabilities }, CONFIG)).toMatch(new RegExp(`^lacks ${capability}`));
  });

  it("refuses a key restricted to another bucket, or to a bucket that is gone", () => {
    expect(keyProblem({ ...DOCUMENTED, bucketName: "someone-else" }, CONFIG)).toMatch(/restricted to bucket someone-else, not B2_BUCKET=twinflow-offsite/);
    expect(keyProblem({ ...DOCUMENTED, bucketName: null }, CONFIG)).toMatch(/restricted to bucket 4a48fe8875c6214145260818/);
  });

  it("refuses a key restricted to names outside the prefix", () => {
    expect(keyProblem({ ...DOCUMENTED, namePrefix: "other/" }, CONFIG)).toMatch(/file names starting other\//);
  });
});
