import { describe, expect, it } from "vitest";
import { describeError } from "./drill-errors.js";

describe("describeError", () => {
  it("joins an error with its causes, scrubbed", () => {
    const err = new Error("could not create the scratch database x", { cause: new Error("connect to postgres://owner:hunter2@db/x refused") });

    expect(describeError(err)).toBe("could not create the scratch database x: connect to postgres://owner:[REDACTED]@db/x refused");
  });
});
