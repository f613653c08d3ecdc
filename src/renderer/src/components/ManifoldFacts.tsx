import type { ManifoldParams } from '../../../shared/api.js';
import { ESTIMATE_NAMES, shortHash } from '../format.js';
import { displayText } from '../../../shared/display-text.js';

/**
 * What the manifold method's analysis projected onto: the estimate, its definition of the artifact,
 * and the real reference set (knn) or the projector model (projector). Without these a manifold
 * verdict cannot be reproduced, so the case view shows them beside the verdict.
 */
export function ManifoldFacts({ m }: { m: ManifoldParams }) {
  return (
    <dl className="facts" data-testid="manifold-params">
      <div>
        <dt>Estimate</dt>
        <dd>{ESTIMATE_NAMES[m.estimate] ?? m.estimate}</dd>
      </div>
      <div>
        <dt>Artifact definition</dt>
        <dd>{m.definition}</dd>
      </div>
      {m.reference && (
        <div>
          <dt>Real reference set</dt>
          <dd>
            {displayText(m.reference.name)}{' '}
            <span className="muted">
              ({m.reference.images} image{m.reference.images === 1 ? '' : 's'}, family {displayText(m.reference.family)})
            </span>
          </dd>
        </div>
      )}
      {m.k !== undefined && (
        <div>
          <dt>Neighbours (k)</dt>
          <dd>{m.k}</dd>
        </div>
      )}
      {m.index && (
        <div>
          <dt>Neighbour search</dt>
          <dd>{m.index}</dd>
        </div>
      )}
      {m.featureSpace && (
        <div>
          <dt>Feature space</dt>
          <dd>{m.featureSpace}</dd>
        </div>
      )}
      {m.projectorSha256 && (
        <div>
          <dt>Projector SHA-256</dt>
          <dd className="hash" title={m.projectorSha256}>
            {shortHash(m.projectorSha256, 24)}
          </dd>
        </div>
      )}
    </dl>
  );
}
