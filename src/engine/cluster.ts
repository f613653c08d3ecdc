// Hierarchical clustering of models (DSF Sec. 4.2): on a similarity matrix (residual correlations,
// cosine similarity of embeddings) or on embedding vectors. Agglomeration is ml-hclust's; the
// distance conversion, tree shape, leaf order, cuts and cophenetic correlation are ours.
import { agnes, type AgglomerationMethod, type Cluster } from 'ml-hclust';
import type { ClusteringResult, DendrogramNode, LabelledMatrix, Linkage } from './types.js';

/**
 * ml-hclust's 'ward' applies the Lance–Williams update to plain distances (R's "ward.D"), which is
 * not Ward's criterion; 'ward2' works on squared distances and reports their root ("ward.D2"),
 * so merge heights are Ward distances in the input's units.
 */
const METHOD: Record<Linkage, AgglomerationMethod> = { average: 'average', complete: 'complete', ward: 'ward2' };

/**
 * Similarity → distance: symmetrise (S + Sᵀ)/2, then d_ij = 1 − s_ij / √(s_ii·s_jj), i.e. each
 * model's similarities are scaled by its own self-similarity (for a cosine-similarity matrix this
 * is just 1 − s). Residual correlation matrices have diagonals that differ a lot between models
 * (0.02 for a weak fingerprint, 0.3 for a strong one); scaling by the largest diagonal instead
 * would make every weak model look equally far from everything. Where a diagonal is ≤ 0 the
 * largest diagonal is used for that pair. Clamped at ≥ 0, zero diagonal.
 */
export function similarityToDistance(values: readonly (readonly number[])[]): number[][] {
  const n = values.length;
  for (const row of values) {
    if (row.length !== n) throw new RangeError('similarity matrix must be square');
    for (const v of row) if (!Number.isFinite(v)) throw new RangeError('similarity matrix has non-finite values');
  }
  const diag = values.map((row, i) => row[i]);
  const maxDiag = Math.max(...diag);
  const d: number[][] = [];
  for (let i = 0; i < n; i++) {
    d.push(new Array<number>(n).fill(0));
    for (let j = 0; j < i; j++) {
      const s = (values[i][j] + values[j][i]) / 2;
      let scale: number;
      if (diag[i] > 0 && diag[j] > 0) scale = Math.sqrt(diag[i] * diag[j]);
      else if (maxDiag > 0) scale = maxDiag;
      else throw new RangeError('similarity matrix has no positive self-similarity to normalise by');
      d[i][j] = Math.max(0, 1 - s / scale);
    }
  }
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) d[j][i] = d[i][j];
  return d;
}

export function euclideanDistances(vectors: readonly (Float32Array | readonly number[])[]): number[][] {
  const n = vectors.length;
  const dim = n > 0 ? vectors[0].length : 0;
  const d: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    if (vectors[i].length !== dim) throw new RangeError('all vectors must have the same dimension');
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let k = 0; k < dim; k++) {
        const t = vectors[i][k] - vectors[j][k];
        s += t * t;
      }
      d[i][j] = d[j][i] = Math.sqrt(s);
    }
  }
  return d;
}

function leavesOf(node: DendrogramNode, out: number[] = []): number[] {
  if (node.children && node.children.length > 0) for (const c of node.children) leavesOf(c, out);
  else out.push(node.index!);
  return out;
}

/**
 * Children are ordered by their smallest leaf index so the leaf order is deterministic (ml-hclust's
 * own child order depends on matrix bookkeeping); heights are made non-decreasing towards the
 * root, which the three linkages guarantee up to rounding and the dendrogram drawing relies on.
 */
function toNode(c: Cluster, labels: readonly string[]): { node: DendrogramNode; minLeaf: number } {
  if (c.isLeaf || c.children.length === 0) {
    return { node: { index: c.index, label: labels[c.index], height: 0 }, minLeaf: c.index };
  }
  const kids = c.children.map((k) => toNode(k, labels)).sort((a, b) => a.minLeaf - b.minLeaf);
  const h = Number.isFinite(c.height) ? Math.max(0, c.height) : 0;
  const height = Math.max(h, ...kids.map((k) => k.node.height));
  return { node: { height, children: kids.map((k) => k.node) }, minLeaf: kids[0].minLeaf };
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i];
    mb += b[i];
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  if (saa <= 1e-24 || sbb <= 1e-24) {
    // Undefined correlation. A tree that reproduces constant distances exactly is faithful (1).
    let same = true;
    for (let i = 0; i < n; i++) if (Math.abs(a[i] - b[i]) > 1e-9 * (1 + Math.abs(a[i]))) same = false;
    return same ? 1 : 0;
  }
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** Cophenetic distances: for each pair, the height of the node where the two leaves first meet. */
export function copheneticDistances(tree: DendrogramNode, n: number): number[][] {
  const c: number[][] = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  const visit = (node: DendrogramNode): number[] => {
    if (!node.children || node.children.length === 0) return [node.index!];
    const groups = node.children.map(visit);
    for (let g = 0; g < groups.length; g++) {
      for (let h = g + 1; h < groups.length; h++) {
        for (const i of groups[g]) for (const j of groups[h]) c[i][j] = c[j][i] = node.height;
      }
    }
    return groups.flat();
  };
  visit(tree);
  return c;
}

/**
 * Agglomerative clustering of a distance matrix. The cophenetic correlation is Pearson's r between
 * the input distances and the tree's cophenetic distances over all pairs i < j (NaN with fewer
 * than two items; when the input distances are all equal, 1 if the tree reproduces them, else 0).
 */
export function clusterDistances(distances: number[][], labels: readonly string[], linkage: Linkage): ClusteringResult {
  const n = distances.length;
  if (n === 0) throw new RangeError('nothing to cluster');
  if (labels.length !== n) throw new RangeError(`${labels.length} labels for ${n} items`);
  if (!(linkage in METHOD)) throw new RangeError(`unknown linkage: ${String(linkage)}`);
  const root = agnes(distances, { method: METHOD[linkage], isDistanceMatrix: true });
  const tree = toNode(root, labels).node;
  const order = leavesOf(tree);
  let copheneticCorrelation = NaN;
  if (n >= 2) {
    const coph = copheneticDistances(tree, n);
    const x: number[] = [];
    const y: number[] = [];
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        x.push(distances[i][j]);
        y.push(coph[i][j]);
      }
    }
    copheneticCorrelation = pearson(x, y);
  }
  return { linkage, labels: [...labels], order, tree, copheneticCorrelation };
}

/** Clusters the models of a square similarity matrix (rows are the labels); see similarityToDistance. */
export function clusterModels(similarity: LabelledMatrix, linkage: Linkage): ClusteringResult {
  if (similarity.rows.length !== similarity.cols.length) {
    throw new RangeError(`clusterModels needs a square matrix, got ${similarity.rows.length}×${similarity.cols.length}`);
  }
  return clusterDistances(similarityToDistance(similarity.values), similarity.rows, linkage);
}

/** Clusters vectors (e.g. per-model embedding centroids) on Euclidean distances. */
export function clusterVectors(vectors: readonly (Float32Array | readonly number[])[], labels: readonly string[], linkage: Linkage): ClusteringResult {
  return clusterDistances(euclideanDistances(vectors), labels, linkage);
}

/**
 * Cuts the tree into k clusters by repeatedly splitting the highest remaining node (the clusters
 * below a horizontal cut of the dendrogram). Returns the cluster index of each leaf, indexed like
 * the labels; clusters are numbered in leaf order. k is clamped to [1, number of leaves].
 */
export function cutTree(result: ClusteringResult, k: number): number[] {
  const n = result.labels.length;
  const want = Math.max(1, Math.min(n, Math.floor(k)));
  let parts: DendrogramNode[] = [result.tree];
  while (parts.length < want) {
    let best = -1;
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.children && p.children.length > 0 && (best < 0 || p.height > parts[best].height)) best = i;
    }
    if (best < 0) break;
    parts = [...parts.slice(0, best), ...parts[best].children!, ...parts.slice(best + 1)];
  }
  const assignment = new Array<number>(n).fill(-1);
  parts.forEach((p, ci) => {
    for (const leaf of leavesOf(p)) assignment[leaf] = ci;
  });
  // Children are kept in place when splitting, so `parts` is already in leaf order.
  return assignment;
}

/** Purity of the k-cluster cut against known families: Σ over clusters of its largest family count, / n. */
export function clusterPurity(result: ClusteringResult, families: readonly string[], k: number): number {
  const n = result.labels.length;
  if (families.length !== n) throw new RangeError(`${families.length} families for ${n} leaves`);
  const assignment = cutTree(result, k);
  const counts = new Map<number, Map<string, number>>();
  assignment.forEach((c, i) => {
    const m = counts.get(c) ?? new Map<string, number>();
    m.set(families[i], (m.get(families[i]) ?? 0) + 1);
    counts.set(c, m);
  });
  let total = 0;
  for (const m of counts.values()) total += Math.max(...m.values());
  return total / n;
}
