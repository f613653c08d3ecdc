"""Held-out attribution by enrolment: logistic regression on per-image phi features, bag score = summed log-probs."""
from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import StandardScaler

from data import Generator

BAG_SIZES = (1, 5, 10, 25)

# lbfgs stopping at max_iter on separable enrolment sets is expected and harmless for ranking.
warnings.filterwarnings('ignore', category=ConvergenceWarning)


def centre_crop(arr: np.ndarray, max_side: int) -> np.ndarray:
    h, w = arr.shape[:2]
    ch, cw = min(h, max_side), min(w, max_side)
    y, x = (h - ch) // 2, (w - cw) // 2
    return arr[y:y + ch, x:x + cw]


@torch.no_grad()
def extract(phi: torch.nn.Module, gens: list[Generator], max_side: int = 128, batch: int = 64) -> dict[str, np.ndarray]:
    """Per-image features. Images above max_side are centre-cropped: phi ends in a global average, so a
    128-px crop estimates the full-image feature at a quarter of the CPU cost of a 256-px image."""
    phi.eval()
    out = {}
    for g in gens:
        imgs = [centre_crop(a, max_side) for a in g.images]
        feats = []
        for i in range(0, len(imgs), batch):
            x = torch.from_numpy(np.stack(imgs[i:i + batch])).permute(0, 3, 1, 2).float().div_(255)
            feats.append(phi(x).numpy())
        out[g.key] = np.concatenate(feats).astype(np.float64)
    return out


# The product's library classifier (src/engine/classifier/softmax-regression.ts): standardised
# features, L2 strength of C = 1, classes weighted equally. Training decisions are measured with the
# same classifier the product runs. (C used to be tuned per split on 30 % of the enrolment images:
# on held-out mnist28 it picked C = 0.01 from a few dozen images, which scores the shipped phi at
# 0.73 at 10 images where C = 1 scores the same features and split at 0.92 — the tuning was noise,
# and it made this evaluation disagree with `npm run eval`.)
PRODUCT_C = 1.0


def _fit(x: np.ndarray, y: np.ndarray) -> tuple[StandardScaler, LogisticRegression, float]:
    sc = StandardScaler().fit(x)
    lr = LogisticRegression(C=PRODUCT_C, max_iter=5000, class_weight='balanced').fit(sc.transform(x), y)
    return sc, lr, PRODUCT_C


def attribution(feats: dict[str, np.ndarray], keys: list[str], seed: int = 0, repeats: int = 100,
                bag_sizes=BAG_SIZES) -> dict:
    """Top-1 accuracy of bag attribution among `keys` (macro-averaged over generators).

    Each generator's images are split in halves: enrolment (fits the classifier) and query (bags drawn
    from it). A bag larger than a generator's query half is capped at the half's size (noted in results).
    """
    rng = np.random.default_rng(seed)
    enrol_x, enrol_y, queries = [], [], []
    for label, k in enumerate(keys):
        f = feats[k]
        perm = rng.permutation(len(f))
        half = len(f) // 2
        enrol_x.append(f[perm[:half]])
        enrol_y += [label] * half
        queries.append(f[perm[half:]])
    x, y = np.concatenate(enrol_x), np.asarray(enrol_y)
    sc, lr, c = _fit(x, y)
    result = {'generators': len(keys), 'chance': round(1 / len(keys), 4), 'C': c, 'topk': {}}
    logp = [lr.predict_log_proba(sc.transform(q)) for q in queries]
    for k in bag_sizes:
        accs = []
        for label, lp in enumerate(logp):
            n = min(k, len(lp))
            hits = 0
            for _ in range(repeats):
                idx = rng.choice(len(lp), n, replace=False)
                hits += int(np.argmax(lp[idx].sum(axis=0)) == label)
            accs.append(hits / repeats)
        result['topk'][str(k)] = round(float(np.mean(accs)), 4)
    result['capped'] = [keys[i] for i, q in enumerate(queries) if len(q) < max(bag_sizes)]
    return result


def summary(res: dict) -> float:
    return float(np.mean(list(res['topk'].values())))
