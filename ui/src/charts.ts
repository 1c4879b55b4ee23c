// Geometry for the window's small charts (trends, schedule timelines), kept free of React so
// it can be tested on its own.

/** The smallest 1, 2 or 5 times a power of ten at or above `value` (a readable axis top). */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 0) return 1;

  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) {
    if (value <= step * power + 1e-9 * power) return step * power;
  }
  return 10 * power;
}

export type Bar = { x: number; y: number; width: number; height: number; value: number };

/** Bars for `values` across `width` by `height`, with a gap between bars; bottom at `height`. */
export function barLayout(values: number[], width: number, height: number, gap = 4): Bar[] {
  if (values.length === 0) return [];

  const top = niceCeiling(Math.max(...values.map((v) => (Number.isFinite(v) ? v : 0))));
  const slot = width / values.length;
  const barWidth = Math.max(1, slot - gap);
  return values.map((raw, i) => {
    const value = Number.isFinite(raw) && raw > 0 ? raw : 0;
    const h = (value / top) * height;
    return { x: i * slot + gap / 2, y: height - h, width: barWidth, height: h, value };
  });
}

export type Span = {
  x: number;
  width: number;
  label: string;
  colour: number;
  start: number;
  end: number;
};

/** One person's stretch on a timeline, in milliseconds since the epoch. */
export type Stretch = { start: number; end: number; label: string };

/** Colours in the palette; a person keeps the same colour in every view. */
export const PALETTE_SIZE = 8;

/**
 * Places stretches on a timeline `width` wide covering `[since, until)`: clipped to the range,
 * empty ones dropped, in time order.
 */
export function spanLayout(
  stretches: Stretch[],
  since: number,
  until: number,
  width: number,
): Span[] {
  if (!(until > since)) return [];

  const scale = width / (until - since);
  return stretches
    .map((s) => ({ ...s, start: Math.max(s.start, since), end: Math.min(s.end, until) }))
    .filter((s) => s.end > s.start)
    .sort((a, b) => a.start - b.start)
    .map((s) => ({
      x: (s.start - since) * scale,
      width: (s.end - s.start) * scale,
      label: s.label,
      colour: colourOf(s.label),
      start: s.start,
      end: s.end,
    }));
}

/** A stable palette index for a name. */
export function colourOf(label: string): number {
  let hash = 0;
  for (const c of label) hash = (hash * 31 + (c.codePointAt(0) ?? 0)) >>> 0;
  return hash % PALETTE_SIZE;
}
