import { describe, expect, it } from "vitest";
import { isManifestKey, offsiteKeys } from "./layout.js";

const FILE = "twinflow-20261129T021700Z-3f2a9c1d0b4e.dump";

describe("off-site layout", () => {
  it("places a backup by its UTC date, timestamp and sha256", () => {
    expect(offsiteKeys("twinflow", FILE, false)).toEqual({
      dumpKey: "twinflow/2026/11/29/20261129T021700Z-3f2a9c1d0b4e.dump",
      manifestKey: "twinflow/2026/11/29/20261129T021700Z-3f2a9c1d0b4e.manifest.json",
    });
    expect(offsiteKeys("twinflow", FILE, true).dumpKey).toBe("twinflow/2026/11/29/20261129T021700Z-3f2a9c1d0b4e.dump.enc");
  });

  it("refuses a name that is not a good dump name", () => {
    expect(() => offsiteKeys("twinflow", "twinflow-20261129T021700Z-3f2a9c1d0b4e.dump.tmp", false)).toThrow(/not a good dump name/);
  });

  it("recognises its own manifest keys only", () => {
    const { manifestKey, dumpKey } = offsiteKeys("tw.x", FILE, false);
    expect(isManifestKey("tw.x", manifestKey)).toBe(true);
    expect(isManifestKey("tw.x", dumpKey)).toBe(false);
    // The prefix is matched literally: its "." is no wildcard.
    expect(isManifestKey("tw.x", manifestKey.replace("tw.x", "twAx"))).toBe(false);
    expect(isManifestKey("tw.x", `${manifestKey}.bak`)).toBe(false);
    expect(isManifestKey("tw.x", `other/${manifestKey}`)).toBe(false);
  });
});
