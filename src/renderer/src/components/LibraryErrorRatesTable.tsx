import type { LibraryErrorRates } from '../../../shared/api.js';
import { cappingNote, confusionSizeIndex, heldBackErrorTooHigh, mostConfusedText } from '../../../shared/held-back-error.js';
import { formatRate as pct } from '../../../shared/numbers.js';
import { displayProse, displayText } from '../../../shared/display-text.js';

/**
 * How reliably the library tells its entries apart: every entry's error rate on held-back
 * reference sets of a few sizes (the known error rate of a verdict for it), before any case.
 */
export function LibraryErrorRatesTable(props: { rates: LibraryErrorRates | null; error: string | null }) {
  const { rates, error } = props;
  if (error) return <p className="muted">Error rates could not be estimated: {displayProse(error)}</p>;
  if (!rates) return <p className="muted">Estimating error rates on held-back reference images…</p>;
  if (rates.note) return <p className="muted">No error rates: {displayProse(rates.note)}.</p>;
  const entries = rates.rates[0]?.map((r) => r.entry) ?? [];
  // The entry each one is confused with, at the largest size no entry is capped at.
  const mid = rates.rates[confusionSizeIndex(rates.rates)];
  const capped = rates.rates.find((row) => row[0] && cappingNote(row[0]) !== null);
  return (
    <>
      <p className="muted small">
        For each entry: the share of held-back reference sets attributed to it that came from other entries — how often a verdict for it is wrong with this
        library, at each number of images. At {Math.round(100 * (rates.rates[0]?.[0]?.limit ?? 0.1))} % or more a verdict is worded weak; more reference images
        of the confused entries lower the rate. Estimated on the library's own images, it can understate the error for evidence chosen or saved differently.
      </p>
      <div className="table-wrap">
        <table className="data" data-testid="library-error-rates">
          <thead>
            <tr>
              <th scope="col">Entry</th>
              {rates.rates.map((row, s) => (
                <th key={rates.sizes[s]} scope="col" className="num">
                  {rates.sizes[s]} image{rates.sizes[s] === 1 ? '' : 's'}
                  {row[0] && cappingNote(row[0]) ? '*' : ''}
                </th>
              ))}
              <th scope="col">Most often confused with ({mid?.[0]?.n ?? '–'} images)</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((name, i) => (
              <tr key={name}>
                <td>
                  <strong>{displayText(name)}</strong>
                </td>
                {rates.rates.map((row, s) => (
                  <td
                    key={rates.sizes[s]}
                    className={`num${heldBackErrorTooHigh(row[i]) ? ' warn-text' : ''}`}
                    title={`${pct(row[i].recall)} of ${displayText(name)}'s own held-back sets of ${row[i].n} are attributed to it`}
                  >
                    {pct(row[i].errorRate)}
                  </td>
                ))}
                <td>{(mid?.[i] && mostConfusedText(mid[i])) ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {capped && <p className="muted small">* {cappingNote(capped[0])}.</p>}
    </>
  );
}
