// Proves that slicing divides a node's resources by n after the 4 GB memory reserve, reproducing the spec's §11.3 examples, and rejects invalid counts and hardware with the offending field.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dec } from "../../../src/ledger/core/money";
import { defaultMarketParameters } from "../../../src/market/core/parameters";
import { type NodeHardware, sliceResources, slicesPerNodeMax } from "../../../src/market/core/slices";
import { expectWithinHalfUnit, unwrap } from "./support";

const home: NodeHardware = {
  cores: "16",
  passmark: "22000",
  memGb: "32",
  ssdGb: "1000",
  aiGb: "0",
  tps: "0",
  maxSlices: 25,
};

describe("sliceResources: §11.3 worked examples", () => {
  it("3Node Home, n = 7: 2.3 cores, 3,143 PM, 4.0 GB, 143 GB", () => {
    const slice = unwrap(sliceResources(home, 7));
    expect(slice.sliceCount).toBe(7);
    expectWithinHalfUnit(slice.cores, "2.3", 1, "cores");
    expectWithinHalfUnit(slice.passmark, "3143", 0, "passmark");
    expect(slice.memGb).toBe("4");
    expectWithinHalfUnit(slice.ssdGb, "143", 0, "ssdGb");
    expect(slice.aiGb).toBe("0");
    expect(slice.tps).toBe("0");
  });

  it("Large TFGrid Node, n = 20: 1.8 cores, 1,000 PM, 25.4 GB, 200 GB (exact)", () => {
    const large = { ...home, cores: "36", passmark: "20000", memGb: "512", ssdGb: "4000", maxSlices: 100 };
    expect(unwrap(sliceResources(large, 20))).toEqual({
      sliceCount: 20,
      cores: "1.8",
      passmark: "1000",
      memGb: "25.4",
      ssdGb: "200",
      aiGb: "0",
      tps: "0",
    });
  });

  it("keeps full precision: 16 / 7 to 60 significant digits, no exponent", () => {
    const slice = unwrap(sliceResources(home, 7));
    expect(slice.cores).toBe(`2.${"285714".repeat(10)}`.slice(0, 61));
    expect(slice.cores).not.toContain("e");
  });

  it("divides AI memory and TPS (Mini AI 1, n = 4: 32 GB, 5 TPS)", () => {
    const mini = {
      cores: "32",
      passmark: "50000",
      memGb: "128",
      ssdGb: "4000",
      aiGb: "128",
      tps: "20",
      maxSlices: 4,
    };
    expect(unwrap(sliceResources(mini, 4))).toMatchObject({ cores: "8", memGb: "31", aiGb: "32", tps: "5" });
  });

  it("uses the reserve from the parameters", () => {
    const params = { ...defaultMarketParameters, nodeReservedMemoryGb: "2" };
    expect(unwrap(sliceResources(home, 10, params)).memGb).toBe("3");
  });
});

describe("sliceResources: edges", () => {
  it.each([
    ["n = 0", home, 0, "sliceCount"],
    ["n < 0", home, -1, "sliceCount"],
    ["n not an integer", home, 2.5, "sliceCount"],
    ["n NaN", home, Number.NaN, "sliceCount"],
    ["n > max", home, 26, "sliceCount"],
    ["max 0", { ...home, maxSlices: 0 }, 1, "maxSlices"],
    ["max fractional", { ...home, maxSlices: 1.5 }, 1, "maxSlices"],
    ["max above the limit", { ...home, maxSlices: slicesPerNodeMax + 1 }, 1, "maxSlices"],
    ["zero cores", { ...home, cores: "0" }, 1, "cores"],
    ["negative passmark", { ...home, passmark: "-1" }, 1, "passmark"],
    ["zero SSD", { ...home, ssdGb: "0" }, 1, "ssdGb"],
    ["negative AI memory", { ...home, aiGb: "-1" }, 1, "aiGb"],
    ["negative TPS", { ...home, tps: "-0.5" }, 1, "tps"],
    ["malformed memory", { ...home, memGb: "32GB" }, 1, "memGb"],
    ["memory equal to the reserve", { ...home, memGb: "4" }, 1, "memGb"],
    ["memory below the reserve", { ...home, memGb: "3.9" }, 1, "memGb"],
  ] as const)("%s → VALIDATION_FAILED", (_name, hardware, sliceCount, field) => {
    expect(sliceResources(hardware, sliceCount)).toMatchObject({
      ok: false,
      code: "VALIDATION_FAILED",
      field,
    });
  });

  it("accepts n = 1, n = max, memory just above the reserve and the largest slice count", () => {
    expect(unwrap(sliceResources(home, 1)).memGb).toBe("28");
    expect(unwrap(sliceResources(home, 25)).memGb).toBe("1.12");
    expect(unwrap(sliceResources({ ...home, memGb: "4.001" }, 1)).memGb).toBe("0.001");
    const huge = { ...home, memGb: "1000000", maxSlices: slicesPerNodeMax };
    expect(unwrap(sliceResources(huge, slicesPerNodeMax)).memGb).toBe("99.9996");
  });
});

describe("sliceResources: properties", () => {
  it("n slices hold the node's resources (memory net of the reserve), and more slices are never larger", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 5, max: 100_000 }),
        fc.integer({ min: 1, max: 1_000 }),
        (cores, memGb, sliceCount) => {
          const hardware = { ...home, cores: String(cores), memGb: String(memGb), maxSlices: 1_000 };
          const slice = unwrap(sliceResources(hardware, sliceCount));
          const tolerance = new Dec("1e-50");
          expect(new Dec(slice.cores).mul(sliceCount).sub(cores).abs().lte(tolerance)).toBe(true);
          expect(
            new Dec(slice.memGb)
              .mul(sliceCount)
              .sub(memGb - 4)
              .abs()
              .lte(tolerance),
          ).toBe(true);
          if (sliceCount < 1_000) {
            const next = unwrap(sliceResources(hardware, sliceCount + 1));
            expect(new Dec(next.memGb).lt(slice.memGb)).toBe(true);
          }
        },
      ),
    );
  });
});
