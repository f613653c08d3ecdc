import type { Verdict } from '../../../shared/api.js';
import { capitalise, scoreName as scoreNameOf } from '../format.js';
import { compressionCaveat, compressionSummary, referenceMatchText } from '../../../shared/compression.js';
import { earlierJpegCaveat, processingHistorySummary, resamplingCaveat } from '../../../shared/processing-history.js';
import { describeConsistency } from '../../../shared/consistency.js';
import { describeHeldBackError, heldBackErrorTooHigh } from '../../../shared/held-back-error.js';
import { formatScore } from '../../../shared/numbers.js';
import { describeNeighbourCheck, describeOpenSetCalibration, describeSplitTest, heterogeneousLabel } from '../../../shared/calibration.js';
import { analysisVerdicts, scoreCaption, strengthLine, verdictWording } from '../../../shared/wording.js';
import { displayProse, displayText } from '../../../shared/display-text.js';

export function VerdictCard(props: { verdict: Verdict; title: string; provider: string; primary?: boolean; solo?: boolean }) {
  const { verdict: v, title, provider, primary } = props;
  const headline = v.unknown ? 'Unknown generator' : v.mixed ? 'Mixed sources' : v.label === null ? 'No attribution' : displayText(v.label);
  const scoreName = scoreNameOf(v.method);
  const wording = verdictWording(v);
  const heterogeneous = heterogeneousLabel(v.split);
  return (
    <article
      className={`verdict-card${primary ? ' primary' : ''}${props.solo ? ' solo' : ''}${v.unknown ? ' unknown' : ''}`}
      aria-label={`${title}: ${headline}`}
      data-testid="verdict"
    >
      <header>
        <span className="verdict-title">{title}</span>
        <span className="badges">
          {v.unknown && <span className="badge warn">unknown</span>}
          {v.mixed && <span className="badge info">mixed</span>}
          {heterogeneous && (
            <span className="badge info" title="The images lean to different entries in groups, but the split test does not support separate sources">
              {heterogeneous}
            </span>
          )}
          <span className={`badge ${v.agreement.agree ? 'ok' : 'warn'}`} title="Whether the independent lines of evidence agree">
            {v.agreement.agree ? 'evidence agrees' : 'evidence disagrees'}
          </span>
        </span>
      </header>
      <div className="verdict-label" data-testid="verdict-label">
        {headline}
        {v.family && !v.unknown && <span className="family">{displayText(v.family)}</span>}
      </div>
      <p className="statement">{wording.statement}</p>
      <p className={`strength${wording.strength === 'weak' ? ' warn-text' : ''}`} data-testid="verdict-strength">
        {strengthLine(wording)}
      </p>
      <dl className="verdict-facts">
        <div title={displayProse(v.explanation)}>
          <dt>{capitalise(scoreCaption(v))}</dt>
          <dd>{formatScore(v.method, v.score)}</dd>
        </div>
        <div>
          <dt>Margin to runner-up</dt>
          <dd>
            {formatScore(v.method, v.margin)}
            {v.runnerUp && <span className="muted"> ({displayText(v.runnerUp)})</span>}
          </dd>
        </div>
        <div>
          <dt>Evidence</dt>
          <dd>
            {v.evidenceCount} image{v.evidenceCount === 1 ? '' : 's'}
          </dd>
        </div>
        <div>
          <dt>Method · provider</dt>
          <dd>
            {v.method} · {provider}
          </dd>
        </div>
        {v.openSet && (
          <div
            className="wide"
            title={
              v.openSet.kind === 'novelty'
                ? 'Novelty statistic: the evidence is called unknown when it exceeds the threshold'
                : 'Correlation statistic: the evidence is called unknown when it falls below the threshold'
            }
          >
            <dt>Open-set test ({v.openSet.kind})</dt>
            <dd>
              {v.openSet.statistic.toFixed(3)} {v.openSet.kind === 'novelty' ? (v.unknown ? '>' : '≤') : v.unknown ? '<' : '≥'} threshold{' '}
              {v.openSet.threshold.toFixed(3)}
            </dd>
          </div>
        )}
        {v.openSet?.calibration && (
          <div className="wide" title="The unknown-generator test's thresholds are set per library for the false-unknown rate in Settings">
            <dt>Unknown-generator test</dt>
            <dd data-testid="verdict-open-set">{describeOpenSetCalibration(v.openSet.calibration)}</dd>
          </div>
        )}
        {v.neighbour && v.label && !v.unknown && (
          <div
            className="wide"
            title="Whether the evidence is closer to the runner-up than the entry's own reference images are; if so the verdict is worded weak"
          >
            <dt>Neighbour check</dt>
            <dd className={v.neighbour.closer ? 'warn-text' : undefined} data-testid="verdict-neighbour">
              {describeNeighbourCheck(v.neighbour, v.label)}
            </dd>
          </div>
        )}
        {v.split && (
          <div className="wide" title="Whether the groups the images form differ significantly (false-split rate in Settings)">
            <dt>Split test</dt>
            <dd data-testid="verdict-split">
              {v.split.groups.map((g) => `${g.images} → ${displayText(g.entry)}`).join('; ')}: {describeSplitTest(v.split)}
            </dd>
          </div>
        )}
        <div className="wide">
          <dt>Decided by</dt>
          <dd>{v.decidedBy}</dd>
        </div>
        {v.consistency && v.label && (
          <div
            className="wide"
            title="Whether the images, taken one by one, favour the nearest entry over the runner-up (a paired t-test); a verdict carried by a few images is worded weak"
          >
            <dt>Consistency</dt>
            <dd className={v.consistency.consistent ? undefined : 'warn-text'} data-testid="verdict-consistency">
              {describeConsistency(v.consistency, v.label)}
            </dd>
          </div>
        )}
        {v.errorRate && v.label && (
          <div
            className="wide"
            title="How often a verdict for this entry on this many images is wrong, estimated on the library's own held-back reference images; at 10 % or more the verdict is worded weak"
          >
            <dt>Error rate</dt>
            <dd className={heldBackErrorTooHigh(v.errorRate) ? 'warn-text' : undefined} data-testid="verdict-error-rate">
              {describeHeldBackError(v.errorRate)}
            </dd>
          </div>
        )}
        {v.compression && (
          <div
            className="wide"
            title="How the evidence and the nearest entry's reference images were saved; re-compression changes the traces attribution reads"
          >
            <dt>Compression</dt>
            <dd className={compressionCaveat(v.compression) ? 'warn-text' : undefined} data-testid="verdict-compression">
              {compressionSummary(v.compression)}
            </dd>
          </div>
        )}
        {v.processingHistory && (
          <div
            className="wide"
            title="What the pixels show of the images' history: a resize after generation, or a JPEG compression before a lossless save; both change the traces attribution reads"
          >
            <dt>Processing history</dt>
            <dd
              className={resamplingCaveat(v.processingHistory) || earlierJpegCaveat(v.processingHistory) ? 'warn-text' : undefined}
              data-testid="verdict-processing-history"
            >
              {processingHistorySummary(v.processingHistory)}
            </dd>
          </div>
        )}
        {v.references && (
          <div
            className="wide"
            title="Which reference images the classifier compared this lossy evidence with: the library's references re-saved like the evidence (a reference bank), or the references as enrolled"
          >
            <dt>References</dt>
            <dd className={v.references.bank ? undefined : 'warn-text'} data-testid="verdict-references">
              {referenceMatchText(v.references)}
            </dd>
          </div>
        )}
      </dl>
      <ul className="agreement" aria-label="Lines of evidence">
        {analysisVerdicts(v).map((a) => (
          <li key={a.analysis}>
            <span className="muted">{a.analysis}</span> {displayText(a.verdict)}
          </li>
        ))}
      </ul>
      <details>
        <summary>How this was computed</summary>
        <p>{displayProse(v.explanation)}</p>
        {v.candidates.length > 0 && (
          <table className="candidates">
            <thead>
              <tr>
                <th scope="col">Candidate</th>
                <th scope="col">Family</th>
                <th scope="col" className="num">
                  {scoreName}
                </th>
              </tr>
            </thead>
            <tbody>
              {v.candidates.slice(0, 8).map((c) => (
                <tr key={c.name}>
                  <td>{displayText(c.name)}</td>
                  <td>{displayText(c.family)}</td>
                  <td className="num">{formatScore(v.method, c.score)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </details>
    </article>
  );
}
