// The evaluation's result types: what run.ts measures and report.ts writes (docs/results.json has
// this shape). Kept apart so the two modules depend on these types, not on each other.
import type { ClusteringResult, LabelledMatrix } from '../engine/index.js';
import type { MethodId } from './methods.js';
import type { BagScore, FirmWrongTally, PairedDifference } from './protocol.js';
import type { TransformId } from './robustness.js';

export interface AccuracyRow {
  method: MethodId;
  label: string;
  bySize: Record<string, BagScore | null>;
  note?: string;
}

export interface ScopeResult {
  scope: 'held-out' | 'all';
  generators: { name: string; family: string; trained: boolean; enrol: number; query: number }[];
  chance: number;
  accuracy: AccuracyRow[];
  correlation: { matrix: LabelledMatrix; decorrelation: number; diagonalContrast: number; image?: string };
  /** Eq. 6 on bag-level Eq. 4 matrices (one bag per generator per draw), vs images per bag. */
  scoreVsBagSize: { n: number; decorrelation: number; decorrelationStd: number; diagonalContrast: number }[];
  /** The same correlation analysis on projector artifacts x − P(x) (manifold method), when its models exist. */
  artifactCorrelation?: {
    matrix: LabelledMatrix;
    decorrelation: number;
    diagonalContrast: number;
    scoreVsBagSize: ScopeResult['scoreVsBagSize'];
  };
  openSet?: OpenSetResult;
  splitStudy?: SplitStudyResult;
  /** DSF+ bags of n = 10 (as saved) whose verdict names a wrong entry without calling the evidence weak. */
  firmWrong?: FirmWrongTally;
  robustness?: {
    transform: TransformId;
    label: string;
    n: number;
    accuracy: Partial<Record<MethodId, BagScore>>;
    images: number;
    /** DSF+ bags whose verdict names a wrong entry without calling the evidence weak. */
    firmWrong?: FirmWrongTally;
    /**
     * DSF+ with the reference banks (references re-saved like the evidence, one classifier per
     * bank) on the same bags; `accuracy['dsf+']` above is then with the references as enrolled.
     */
    matched?: {
      /** Bags judged by each bank (or 'none': by the references as enrolled), at n. */
      banks: Record<string, number>;
      accuracy: BagScore;
      firmWrong: FirmWrongTally;
      /** DSF+ on the clean (untransformed) query images of the same bags. */
      clean: BagScore;
      /** Matched minus clean, and matched minus the references as enrolled, paired over draws. */
      vsClean: PairedDifference;
      vsEnrolled: PairedDifference | null;
    };
  }[];
  clustering?: {
    clusteredOn: string;
    cophenetic: number;
    purity: number;
    k: number;
    families: string[];
    image?: string;
    order: string[];
    tree: ClusteringResult;
  };
  bagsAblation?: { bags: number; embedding: BagScore; classifier: BagScore }[];
  /**
   * DSF+ top-1 at n = 10 under other enrolment/query splits (seeded random halves, the same bags
   * protocol otherwise): how much the headline number owes to the one split the tables use.
   */
  splitSensitivity?: SplitSensitivity;
  /**
   * DSF+ top-1 at n = 10 when a smaller or larger share of each generator's images is enrolled
   * (seeded random splits): whether accuracy is limited by the number of reference images.
   */
  referenceCurve?: ReferenceCurve;
  accuracyPlot?: string;
  notes: string[];
}

export interface OpenSetResult {
  n: number;
  perMethod: Partial<
    Record<
      MethodId,
      {
        auroc: number;
        unknownRateHeldOutGenerator: number;
        unknownRateKnown: number;
        bags: number;
        /** Share of left-out bags above the score that 5 % of enrolled generators' bags exceed (the threshold read off the observed scores). */
        detectionAtObserved5?: number;
      }
    >
  >;
  /** DSF+ with the library's calibrated thresholds beside the fixed ones, on the same bags. */
  calibrated?: OpenSetCalibrationResult;
}

export interface OpenSetCalibrationResult {
  /** The false-unknown rate the thresholds were set for (the default setting). */
  falseUnknownRate: number;
  /** Mean over the left-out bags of the detection rate their verdicts state (verdict.openSet.calibration). */
  statedDetection: number | null;
  /** Observed: left-out bags called unknown, enrolled generators' bags called unknown. */
  detection: number;
  falseUnknown: number;
  leftOutBags: number;
  knownBags: number;
  /** Per left-out generator: its bags, how many were called unknown, and the rate their verdicts stated. */
  perGenerator: { generator: string; bags: number; unknown: number; stated: number | null }[];
  /** Left-out bags named as an entry (necessarily a wrong one), and those worded above weak. */
  namedLeftOut: number;
  firmWrongLeftOut: number;
  /** The same without the neighbour check (verdict.neighbour), to show what it changes. */
  firmWrongLeftOutWithoutNeighbour: number;
  /** The fixed thresholds (3 standard errors, no neighbour check) on the same bags: before this change. */
  fixed: { detection: number; falseUnknown: number; namedLeftOut: number; firmWrongLeftOut: number };
}

/** The split test on single-source bags and on mixtures of two generators (full library, query halves). */
export interface SplitStudyResult {
  falseSplitRate: number;
  draws: number;
  /** Single-source bags: how many were reported mixed (a false split), with the test and without it (the rule before it). */
  single: { n: number; bags: number; capped: boolean; split: number; heterogeneous: number; splitUntested: number }[];
  /** Mixtures of two generators: reported mixed naming exactly the two sources ("split correctly"). */
  mixtures: {
    kind: '50/50' | '80/20';
    /** Images from the first and the second source. */
    sizes: [number, number];
    pairs: number;
    bags: number;
    splitCorrectly: number;
    splitCorrectlyUntested: number;
    note?: string;
  }[];
}

export interface DomainResult {
  domain: string;
  source: 'corpus' | 'demo';
  imageSize: string;
  scopes: ScopeResult[];
  seconds: number;
  skipped?: string;
}

export interface EvalResult {
  schema: 'genprint.eval/1';
  createdAt: string;
  quick: boolean;
  protocol: Record<string, unknown>;
  models: { shipped: unknown; controls: Record<string, unknown>; baseline?: { dir: string; card: unknown } };
  corpus: { dir: string; present: boolean };
  familyOverlaps: { heldOut: string; trainedSiblings: string[]; repo: string }[];
  domains: DomainResult[];
  runtime: { seconds: number; cpus: number; cpuModel: string; node: string };
  notes: string[];
}

export interface SplitSensitivity {
  n: number;
  /** DSF+ top-1 (mean over draws) on the tables' sorted even/odd split. */
  evenOdd: number;
  splits: { seed: number; top1: number }[];
  mean: number;
  sd: number;
  min: number;
  max: number;
}

export interface ReferenceCurve {
  n: number;
  points: ReferenceCurvePoint[];
}

export interface ReferenceCurvePoint {
  /** Share of each generator's images enrolled (⌈fraction · count⌉); the rest are queries. */
  fraction: number;
  /** Enrolment images per generator: median and range over the scope's generators. */
  enrolMedian: number;
  enrolMin: number;
  enrolMax: number;
  /** Generators whose query part is smaller than n, so their bags are capped (one bag of all queries). */
  capped: string[];
  splits: { seed: number; top1: number }[];
}
