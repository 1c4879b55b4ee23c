// Small SVG charts: a bar chart for trends and a horizontal timeline for schedules. Each also
// carries its numbers as text, so nothing is only a colour or a shape.
import { barLayout, PALETTE_SIZE, spanLayout, type Stretch } from "../charts";

export function BarChart({
  title,
  bars,
  unit,
  height = 120,
  width = 480,
}: {
  title: string;
  bars: { label: string; value: number }[];
  unit: string;
  height?: number;
  width?: number;
}) {
  const layout = barLayout(
    bars.map((b) => b.value),
    width,
    height,
  );
  return (
    <figure className="chart" data-testid="bar-chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={title}>
        {layout.map((bar, i) => (
          <rect
            key={i}
            className="chart-bar"
            x={bar.x}
            y={bar.y}
            width={bar.width}
            height={bar.height}
          >
            <title>{`${bars[i]?.label}: ${formatValue(bar.value)} ${unit}`}</title>
          </rect>
        ))}
      </svg>
      <table className="chart-values">
        <tbody>
          <tr>
            {bars.map((b, i) => (
              <th key={i} scope="col">
                {b.label}
              </th>
            ))}
          </tr>
          <tr>
            {bars.map((b, i) => (
              <td key={i}>{formatValue(b.value)}</td>
            ))}
          </tr>
        </tbody>
      </table>
    </figure>
  );
}

/** One row per layer (and the final schedule), each a line of people's stretches. */
export function ScheduleTimeline({
  rows,
  since,
  until,
  width = 720,
}: {
  rows: { name: string; stretches: Stretch[] }[];
  since: number;
  until: number;
  width?: number;
}) {
  const rowHeight = 22;
  return (
    <div className="schedule-timeline" data-testid="schedule-timeline">
      {rows.map((row) => (
        <div className="timeline-row" key={row.name}>
          <span className="timeline-name">{row.name}</span>
          <svg viewBox={`0 0 ${width} ${rowHeight}`} role="img" aria-label={row.name}>
            {spanLayout(row.stretches, since, until, width).map((span, i) => (
              <g key={i}>
                <rect
                  className={`timeline-span colour-${span.colour % PALETTE_SIZE}`}
                  x={span.x}
                  y={2}
                  width={Math.max(span.width, 1)}
                  height={rowHeight - 4}
                >
                  <title>{`${span.label}: ${new Date(span.start).toLocaleString()} – ${new Date(span.end).toLocaleString()}`}</title>
                </rect>
                {span.width > 60 && (
                  <text x={span.x + 4} y={rowHeight - 7} className="timeline-label">
                    {span.label}
                  </text>
                )}
              </g>
            ))}
          </svg>
        </div>
      ))}
    </div>
  );
}

function formatValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}
