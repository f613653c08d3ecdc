import type { ColourScale } from '../../../shared/svg/colour.js';
import { fmt } from '../../../shared/svg/text.js';

/** Vertical colour bar with min/mid/max ticks, as stacked rects (identical in every renderer). */
export function ColourLegend(props: { scale: ColourScale; x: number; y: number; height: number; label: string; decimals?: number }) {
  const { scale, x, y, height, label } = props;
  const steps = 40;
  const w = 12;
  const h = height / steps;
  const ticks = [scale.max, (scale.min + scale.max) / 2, scale.min];
  return (
    <g aria-label={`Colour scale ${label} from ${fmt(scale.min)} to ${fmt(scale.max)}`} data-testid="legend">
      {Array.from({ length: steps }, (_, i) => {
        const v = scale.max - ((i + 0.5) / steps) * (scale.max - scale.min);
        return <rect key={i} x={x} y={y + i * h} width={w} height={h + 0.5} fill={scale.colour(v)} />;
      })}
      <rect x={x} y={y} width={w} height={height} fill="none" stroke="var(--border-strong)" />
      {ticks.map((t, i) => (
        <text key={i} x={x + w + 4} y={y + (i / 2) * height + 4} fontSize={10} className="label">
          {fmt(t, props.decimals ?? 2)}
        </text>
      ))}
      <text x={x} y={y - 6} fontSize={10} className="label">
        {label}
      </text>
    </g>
  );
}
