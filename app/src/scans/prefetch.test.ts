import { describe, expect, it } from "vitest";
import { prefetching } from "./prefetch.js";

describe("prefetching", () => {
  it("asks for the next item while the current one is being handled, and keeps the order", async () => {
    const log: string[] = [];
    async function* pages() {
      for (const page of [1, 2, 3]) {
        log.push(`fetch ${page}`);
        yield page;
      }
    }
    const seen: number[] = [];
    for await (const page of prefetching(pages())) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      log.push(`write ${page}`);
      seen.push(page);
    }
    expect(seen).toEqual([1, 2, 3]);
    expect(log.indexOf("fetch 2")).toBeLessThan(log.indexOf("write 1"));
    expect(log.indexOf("fetch 3")).toBeLessThan(log.indexOf("write 2"));
  });

  it("surfaces a failed fetch where its item would have come, after the items before it", async () => {
    async function* pages() {
      yield 1;
      throw new Error("provider failed");
    }
    const seen: number[] = [];
    await expect(
      (async () => {
        for await (const page of prefetching(pages())) seen.push(page);
      })(),
    ).rejects.toThrow("provider failed");
    expect(seen).toEqual([1]);
  });

  it("closes the source when the consumer stops early", async () => {
    let closed = false;
    async function* pages() {
      try {
        for (let page = 1; ; page++) yield page;
      } finally {
        closed = true;
      }
    }
    for await (const page of prefetching(pages())) if (page === 2) break;
    expect(closed).toBe(true);
  });
});
