import { heldBackErrorTooHigh, summariseLibraryErrorRates } from '../../../shared/held-back-error.js';
import type { CaseResult, GenprintApi } from '../../../shared/api.js';
import { caseMethodName, shortHash } from '../format.js';
import { ManifoldFacts } from './ManifoldFacts.js';
import { Section } from './Section.js';
import { VerdictCard } from './VerdictCard.js';
import { ImageTable } from './ImageTable.js';
import { SkippedList } from './SkippedList.js';
import { Heatmap } from './Heatmap.js';
import { Dendrogram } from './Dendrogram.js';
import { StabilityChart } from './StabilityChart.js';
import { displayProse, displayText } from '../../../shared/display-text.js';
import { tileLimitText } from '../../../shared/wording.js';

/** Short names of the library classifier's evidence blocks (engine: attribution/prepared-library.ts). */
const BLOCK_LABELS: Record<string, string> = { phi: 'φ', spectrum: 'residual spectrum', pixels: 'residual pixels' };

/** Display order of matrix labels following the dendrogram's leaves; labels not in the tree keep their place at the end. */
function orderBy(labels: string[], leafLabels: string[] | undefined): number[] | undefined {
  if (!leafLabels) return undefined;
  const order = leafLabels.map((l) => labels.indexOf(l)).filter((i) => i >= 0);
  const rest = labels.map((_, i) => i).filter((i) => !order.includes(i));
  return [...order, ...rest];
}

export function CaseResults({ api, result }: { api: GenprintApi; result: CaseResult }) {
  const { folder, groups } = result.verdicts;
  const c = result.clustering;
  const leafLabels = c ? c.order.map((i) => c.labels[i]!) : undefined;
  const lib = result.correlation.libraryVsLibrary;
  const ev = result.correlation.evidenceVsLibrary;
  const libOrder = orderBy(lib.rows, leafLabels);
  const highlight = folder.label ? [folder.label] : [];

  return (
    <div className="results">
      <dl className="case-summary" aria-label="Case summary">
        <div>
          <dt>Case</dt>
          <dd title={displayText(result.caseRoot)}>{displayText(result.caseRoot)}</dd>
        </div>
        <div>
          <dt>Images</dt>
          <dd>
            {result.manifest.length} analysed, {result.skipped.length} skipped
          </dd>
        </div>
        <div>
          <dt>Library</dt>
          <dd>{result.library.entries.length} entries</dd>
        </div>
        <div>
          <dt>Method</dt>
          <dd title={caseMethodName(result.params)} data-testid="case-method">
            {caseMethodName(result.params)}
          </dd>
        </div>
        <div>
          <dt>Parameters</dt>
          <dd>
            bags of {result.params.bagSize} × {result.params.bags}, seed {result.params.seed}
            {(result.params.maxCrops ?? 1) > 1 ? `, ${tileLimitText(result.params.maxCrops)}` : ''}
          </dd>
        </div>
        {result.params.cropLimitCaution && (
          <div>
            <dt>Caution</dt>
            <dd data-testid="crop-limit-caution">{displayProse(result.params.cropLimitCaution)}</dd>
          </div>
        )}
        <div>
          <dt>Model φ</dt>
          <dd title={result.model.phiSha256 ?? undefined}>{shortHash(result.model.phiSha256)}</dd>
        </div>
        {result.library.classifier && (
          <div>
            <dt>Classifier</dt>
            <dd
              data-testid="case-classifier"
              title={displayProse([result.library.classifier.weighting, result.library.classifier.caveat].filter(Boolean).join('. '))}
            >
              {result.library.classifier.blocks
                .filter((b) => b.weight > 0)
                .map((b) => `${BLOCK_LABELS[b.name] ?? b.name} ×${b.weight.toPrecision(2)}`)
                .join(' + ')}
              {result.library.classifier.caveat ? ' (φ only: re-enrol older entries)' : ''}
            </dd>
          </div>
        )}
        {result.library.classifier?.errorRates && result.library.classifier.errorRates.length > 0 && (
          <div className="wide">
            <dt>Library error rates</dt>
            <dd
              data-testid="case-error-rates"
              className={result.library.classifier.errorRates.some(heldBackErrorTooHigh) ? 'warn-text' : undefined}
              title={`How often a verdict for each entry is wrong on the library's own held-back reference sets of the bag size: ${summariseLibraryErrorRates(result.library.classifier.errorRates, true)}`}
            >
              {summariseLibraryErrorRates(result.library.classifier.errorRates)}
            </dd>
          </div>
        )}
      </dl>

      <Section id="verdicts" title="Verdict">
        <div className="verdict-grid">
          <VerdictCard verdict={folder} title="Whole folder" provider={result.params.provider} primary solo={groups.length <= 1} />
          {groups.length > 1 &&
            groups.map((g) => (
              <VerdictCard
                key={g.groupIndex}
                verdict={g}
                title={`Group ${g.groupIndex + 1} · ${g.files.length} image${g.files.length === 1 ? '' : 's'}`}
                provider={result.params.provider}
              />
            ))}
        </div>
        {groups.length > 1 && (
          <p className="hint">
            The folder splits into {groups.length} groups that are better explained by different library entries; each group is judged on its own.
          </p>
        )}
      </Section>

      {result.params.manifold && (
        <Section id="manifold" title="Manifold estimate" aside={<span className="muted">{caseMethodName(result.params)}</span>}>
          <ManifoldFacts m={result.params.manifold} />
        </Section>
      )}

      <Section id="images" title="Images" aside={<span className="muted">{result.images.length} analysed</span>}>
        <ImageTable api={api} caseRoot={result.caseRoot} images={result.images} method={result.params.method} />
        <SkippedList skipped={result.skipped} />
      </Section>

      <Section id="heatmaps" title="Correlation">
        <div className="heatmap-pair">
          <Heatmap
            title="Evidence × library"
            matrix={ev}
            colOrder={orderBy(ev.cols, leafLabels)}
            rowTitle="Evidence"
            colTitle="Library entry"
            legendLabel="corr"
            highlightCols={highlight}
          />
          <Heatmap
            title="Library × library (dendrogram order)"
            matrix={lib}
            rowOrder={libOrder}
            colOrder={orderBy(lib.cols, leafLabels)}
            rowTitle="Library entry"
            colTitle="Library entry"
            legendLabel="corr"
            highlightCols={highlight}
          />
        </div>
        <p className="hint">
          Decorrelation score (Eq. 6): <strong>{result.correlation.decorrelationScore.toFixed(3)}</strong>. Hover or use the arrow keys on a heatmap to read
          cell values.
        </p>
      </Section>

      <Section
        id="dendrogram"
        title="Library dendrogram"
        aside={
          c && (
            <span className="muted">
              {c.linkage} linkage · cophenetic r = {c.copheneticCorrelation.toFixed(3)}
            </span>
          )
        }
      >
        {c ? <Dendrogram clustering={c} highlight={highlight} /> : <p className="muted">Too few library entries to cluster.</p>}
      </Section>

      <Section id="stability" title="Stability across bag sizes">
        <StabilityChart points={result.stability} label={folder.label} method={result.params.method} />
      </Section>
    </div>
  );
}
