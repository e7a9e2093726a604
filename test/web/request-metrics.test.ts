import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../support/database.js";
import { parseExposition, samplesOf, valueOf } from "../support/metrics.js";
import { signUp, startTestWeb, type TestWeb } from "../support/web.js";

const DURATION = "twinflow_http_request_duration_seconds";

let db: TestDatabase;
let web: TestWeb;

beforeAll(async () => {
  db = await createTestDatabase();
  web = await startTestWeb(db);
});

afterAll(async () => {
  await web.close();
  await db.drop();
});

describe("request metrics", () => {
  it("times each request by method, route pattern and status class, never by raw path", async () => {
    const owner = await signUp(web, { email: "metrics-owner@example.com", tenantName: "Metrics Co" });
    await owner.get("/connections");
    const path = (await owner.post("/connections", { provider: "demo", label: "Metered board" })).location!;
    const connectionId = path.split("/").pop()!;
    expect((await owner.get(path)).status).toBe(200);
    expect((await owner.get(path)).status).toBe(200);
    expect((await owner.get("/connections/00000000-0000-4000-8000-000000000000")).status).toBe(404);
    expect((await owner.get("/no-such-page")).status).toBe(404);

    const text = await web.metrics.metrics();
    const count = (labels: Record<string, string>) => valueOf(text, `${DURATION}_count`, labels);
    expect(count({ method: "GET", route: "/connections/:id", status: "2xx" })).toBe(2);
    expect(count({ method: "GET", route: "/connections/:id", status: "4xx" })).toBe(1);
    expect(count({ method: "POST", route: "/connections", status: "3xx" })).toBe(1);
    expect(count({ method: "POST", route: "/sign-up", status: "3xx" })).toBe(1);
    expect(count({ method: "GET", route: "unmatched", status: "4xx" })).toBe(1);
    // Buckets are cumulative up to +Inf, which counts every request.
    expect(valueOf(text, `${DURATION}_bucket`, { method: "GET", route: "/connections/:id", status: "2xx", le: "+Inf" })).toBe(2);

    const labelValues = parseExposition(text).flatMap((sample) => Object.values(sample.labels));
    expect(labelValues.filter((value) => value.includes(connectionId) || value.includes("no-such-page"))).toEqual([]);
    for (const sample of samplesOf(text, `${DURATION}_count`)) expect(sample.labels.status).toMatch(/^[1-5]xx$/);
  });
});
