import { Area, CartesianGrid, ComposedChart, Legend, Line, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { MethodId, StabilityPoint } from '../../../shared/types.js';
import { scoreName as scoreNameOf } from '../format.js';
import { displayText } from '../../../shared/display-text.js';
import { formatScore } from '../../../shared/numbers.js';

/**
 * A value in the chart's tooltip. The mean score line is the verdict's score, so it is written as
 * every display writes it (a probability never reads 1.000); the band and the shares get 3 decimals.
 */
export function tooltipValue(method: MethodId, scoreName: string, value: unknown, name: unknown): string {
  if (Array.isArray(value)) return `${Number(value[0]).toFixed(3)} – ${Number(value[1]).toFixed(3)}`;
  return name === scoreName ? formatScore(method, Number(value)) : Number(value).toFixed(3);
}

/** Verdict score (mean ± std over bags) and bag agreement against images per bag (paper Sec. 4.3). */
export function StabilityChart({ points, label, method }: { points: StabilityPoint[]; label: string | null; method: MethodId }) {
  if (points.length === 0) return <p className="muted">No stability points: the folder has too few images for more than one bag size.</p>;
  const data = [...points]
    .sort((a, b) => a.bagSize - b.bagSize)
    .map((p) => ({
      bagSize: p.bagSize,
      mean: p.meanScore,
      band: [Math.max(0, p.meanScore - p.stdScore), p.meanScore + p.stdScore] as [number, number],
      agreement: p.agreement,
      decorrelation: p.decorrelation,
      bags: p.bags,
    }));
  const scoreName = `${scoreNameOf(method)} of ${label === null ? 'the verdict' : displayText(label)}`;
  return (
    <figure className="chart stability" data-testid="stability">
      <div style={{ width: '100%', height: 300 }}>
        <ResponsiveContainer>
          <ComposedChart data={data} margin={{ top: 8, right: 24, bottom: 24, left: 8 }}>
            <CartesianGrid stroke="var(--grid)" />
            <XAxis
              dataKey="bagSize"
              type="category"
              stroke="var(--fg-muted)"
              label={{ value: 'Images per bag', position: 'insideBottom', offset: -12, fill: 'var(--fg-muted)' }}
            />
            <YAxis domain={[0, 1]} stroke="var(--fg-muted)" tickFormatter={(v: number) => v.toFixed(1)} />
            <Tooltip
              contentStyle={{ background: 'var(--bg-card)', border: '1px solid var(--border)', color: 'var(--fg)' }}
              formatter={(v: unknown, name: unknown) => [tooltipValue(method, scoreName, v, name), String(name)] as [string, string]}
              labelFormatter={(l: unknown) => `${l} images per bag`}
            />
            <Legend verticalAlign="top" height={28} />
            <Area dataKey="band" name="± 1 std" stroke="none" fill="var(--accent)" fillOpacity={0.18} isAnimationActive={false} />
            <Line dataKey="mean" name={scoreName} stroke="var(--accent)" strokeWidth={2} dot={{ r: 3 }} isAnimationActive={false} />
            <Line
              dataKey="agreement"
              name="Bags agreeing with the verdict"
              stroke="var(--accent-2)"
              strokeDasharray="5 3"
              dot={false}
              isAnimationActive={false}
            />
            <Line dataKey="decorrelation" name="Decorrelation (Eq. 6)" stroke="var(--accent-3)" strokeDasharray="1.5 3" dot={false} isAnimationActive={false} />
          </ComposedChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
