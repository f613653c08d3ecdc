#!/usr/bin/env python3
"""Manifold method (ManiFPT) training: `npm run train:manifold`.

1. The learned projector P, trained only on real images (the corpus's real sets; procedural images where the
   corpus is absent) with the degradations of training/projector.py -> models/projector.onnx (images ->
   artifacts x - P(x)) and models/projector-card.json.
2. The set-encoder pipeline of train.py, unchanged, with every phi (trained and controls alike) fed the
   artifact instead of the image -> models/manifold/{phi,rho}.onnx + model-card.json (the projector is part
   of that phi.onnx) and test/fixtures/parity-manifold.json.

    python3 training/train_manifold.py            # full run (about 15 min on 2 cores)
    python3 training/train_manifold.py --quick    # smoke run into a temp dir
"""
from __future__ import annotations

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from runlog import ensure_torch  # noqa: E402

ensure_torch()

import argparse
import tempfile
from datetime import datetime, timezone

import numpy as np
import onnx
import torch

REPO = os.path.dirname(HERE)

import data  # noqa: E402
import export  # noqa: E402
import train  # noqa: E402
import zoo  # noqa: E402
from projector import ArtifactInput, ArtifactOnly, projector_check, train_projector  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('--quick', action='store_true', help='smoke run into a temp dir')
    p.add_argument('--out', default=None, help='models folder (default models/, or a temp dir with --quick)')
    p.add_argument('--corpus', default=os.path.normpath(os.path.join(REPO, '..', 'shared', 'corpus')))
    p.add_argument('--cache', default=os.path.join(REPO, '.cache', 'zoo'))
    p.add_argument('--seed', type=int, default=1)
    p.add_argument('--threads', type=int, default=2)
    p.add_argument('--projector-steps', type=int, default=None, help='default 3000, quick 40')
    p.add_argument('--steps', type=int, default=None, help='phi training steps (default as train.py)')
    p.add_argument('--train-seconds', type=float, default=None)
    p.add_argument('--max-crop', type=int, default=40)
    p.add_argument('--force', default=None)
    return p.parse_args()


def export_projector(proj, path: str) -> None:
    wrapper = ArtifactOnly(proj).eval()
    torch.onnx.export(wrapper, torch.rand(2, 3, 40, 36), path, input_names=['images'], output_names=['artifacts'],
                      opset_version=export.OPSET, dynamic_axes={'images': {0: 'N', 2: 'H', 3: 'W'},
                                                                 'artifacts': {0: 'N', 2: 'H', 3: 'W'}},
                      do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


@torch.no_grad()
def projector_parity(proj, sha: str) -> dict:
    cases = []
    for h, w in [(28, 28), (32, 40)]:
        a = proj.artifact(torch.from_numpy(export.parity_input(h, w)))
        cases.append({'shape': [1, 3, h, w], 'artifacts': [round(float(v), 7) for v in a.flatten()]})
    return {'description': 'PyTorch reference outputs of models/projector.onnx for the TS parity test',
            'inputFormula': export.PARITY_FORMULA, 'sha256': sha, 'cases': cases,
            'tolerance': {'maxAbsDiff': 1e-4, 'maxRelDiff': 1e-4}}


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    quick = args.quick
    out = args.out or (tempfile.mkdtemp(prefix='genprint-manifold-') if quick else os.path.join(REPO, 'models'))
    os.makedirs(out, exist_ok=True)
    ships_to_repo = os.path.realpath(out) == os.path.realpath(os.path.join(REPO, 'models'))
    fixtures = os.path.join(REPO, 'test', 'fixtures') if ships_to_repo else out

    # ---- real images only
    real, source = [], None
    if os.path.exists(os.path.join(args.corpus, 'MANIFEST.tsv')):
        gens = [g for g in data.load_corpus(args.corpus, 24 if quick else None, train.EVALUATION_ONLY_DOMAINS)
                if g.family == 'real']
        real = [a for g in gens for a in g.images]
        source = {'corpus': os.path.relpath(args.corpus, REPO), 'corpusDigest': data.corpus_digest(args.corpus),
                  'realSets': [g.key for g in gens], 'images': len(real)}
    if not real:
        real = zoo.procedural_images(64 if quick else 400, 64, args.seed)
        source = {'corpus': None, 'procedural': len(real),
                  'note': 'corpus absent: procedural stand-in content (zoo.procedural_images)'}
    train.log(f'projector: {len(real)} real images')
    steps = args.projector_steps or (40 if quick else 3000)
    proj, info = train_projector(real, args.seed, steps, log=train.log)
    check = projector_check(proj, real, args.seed)
    train.log(f'projector check: {check}')
    path = os.path.join(out, 'projector.onnx')
    export_projector(proj, path)
    sha = export.sha256(path)
    export.write_json(projector_parity(proj, sha), os.path.join(fixtures, 'parity-projector.json'))
    card = {
        'name': 'genprint-projector', 'createdAt': datetime.now(timezone.utc).isoformat(timespec='seconds'),
        'file': 'projector.onnx', 'sha256': sha, 'input': 'images', 'output': 'artifacts',
        'inputShape': '[N,3,H,W] float32, [0,1] RGB', 'outputShape': 'same as input',
        'definition': 'artifact = x - P(x); P(x) = x - g(x), g = this network (the off-manifold component)',
        'architecture': f'{len(proj.DILATIONS)} conv3x3 (dilations {list(proj.DILATIONS)}, reflect padding, ReLU '
                        'between, width 24); last layer initialised near zero (P starts near the identity)',
        'params': sum(p.numel() for p in proj.parameters()), 'opset': export.OPSET,
        'training': {**info, 'seed': args.seed, 'loss': 'mean squared error |P(degrade(y)) - y|^2 / |degrade(y) - y|^2 on 28x28 patches of real images y',
                     'degradations': 'training/projector.py degrade(): down-up resampling (nearest/bilinear), '
                                     'random near-identity 3x3 filters, periodic patterns of period 2/4/8, white or '
                                     'blocky noise; 20% of patches untouched'},
        'data': source, 'check': check,
        'hardware': {'cpu': train.cpu_model(), 'threads': args.threads, 'gpu': None, 'torch': torch.__version__},
    }
    export.write_json(card, os.path.join(out, 'projector-card.json'))
    train.log(f'projector exported: {path} ({os.path.getsize(path) / 1024:.0f} KiB)')

    # ---- the set-encoder on artifacts
    enc_args = argparse.Namespace(quick=quick, out=os.path.join(out, 'manifold'), corpus=args.corpus,
                                  cache=args.cache, fixture=os.path.join(fixtures, 'parity-manifold.json'),
                                  seed=args.seed, threads=args.threads, steps=args.steps,
                                  train_seconds=args.train_seconds, max_crop=args.max_crop, force=args.force,
                                  jpeg_prob=train.JPEG_PROB, jpeg_quality=train.JPEG_QUALITY)
    train.run(enc_args, front=lambda phi: ArtifactInput(proj, phi),
              variant={'name': 'genprint-manifold',
                       'inputTransform': {'kind': 'projector-artifact', 'definition': 'phi(x - P(x))',
                                          'projectorSha256': sha, 'projectorCard': '../projector-card.json'}})


if __name__ == '__main__':
    np.random.seed(1)
    main()
