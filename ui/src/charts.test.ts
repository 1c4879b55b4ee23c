// Unit tests for chart and timeline geometry.
import { describe, expect, it } from "vitest";

import { barLayout, colourOf, niceCeiling, PALETTE_SIZE, spanLayout } from "./charts";

describe("niceCeiling", () => {
  it("rounds up to 1, 2 or 5 times a power of ten", () => {
    expect(niceCeiling(0)).toBe(1);
    expect(niceCeiling(1)).toBe(1);
    expect(niceCeiling(1.2)).toBe(2);
    expect(niceCeiling(3)).toBe(5);
    expect(niceCeiling(7)).toBe(10);
    expect(niceCeiling(42)).toBe(50);
    expect(niceCeiling(0.3)).toBeCloseTo(0.5);
    expect(niceCeiling(Number.NaN)).toBe(1);
  });
});

describe("barLayout", () => {
  it("scales bars to a nice top and keeps them inside the box", () => {
    const bars = barLayout([10, 5, 0], 300, 100);
    expect(bars).toHaveLength(3);
    expect(bars[0]).toMatchObject({ y: 0, height: 100, value: 10 });
    expect(bars[1]).toMatchObject({ y: 50, height: 50 });
    expect(bars[2]).toMatchObject({ y: 100, height: 0 });
    for (const b of bars) expect(b.x + b.width).toBeLessThanOrEqual(300);
  });

  it("treats negative and non-finite values as zero", () => {
    const bars = barLayout([-3, Number.POSITIVE_INFINITY, 2], 30, 10);
    expect(bars.map((b) => b.value)).toEqual([0, 0, 2]);
  });
});

describe("spanLayout", () => {
  it("clips to the range, drops empty stretches and sorts by time", () => {
    const spans = spanLayout(
      [
        { start: 50, end: 150, label: "Grace" },
        { start: -50, end: 50, label: "Ada" },
        { start: 120, end: 120, label: "Empty" },
        { start: 200, end: 300, label: "Outside" },
      ],
      0,
      100,
      1000,
    );
    expect(spans.map((s) => [s.label, s.x, s.width])).toEqual([
      ["Ada", 0, 500],
      ["Grace", 500, 500],
    ]);
  });

  it("returns nothing for an empty range", () => {
    expect(spanLayout([{ start: 0, end: 1, label: "a" }], 5, 5, 100)).toEqual([]);
  });

  it("gives a person the same colour every time", () => {
    expect(colourOf("Ada Lovelace")).toBe(colourOf("Ada Lovelace"));
    expect(colourOf("x")).toBeGreaterThanOrEqual(0);
    expect(colourOf("x")).toBeLessThan(PALETTE_SIZE);
  });
});
