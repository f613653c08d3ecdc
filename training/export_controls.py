"""Exports the evaluation's control encoders as ONNX model folders the engine can load like models/.

- untrained:       the phi architecture with random weights (the exact init training starts from),
- random-ensemble: several untrained phi with different seeds, features concatenated.

Each folder gets phi.onnx, an untrained rho.onnx (only Eq. 1 evidence uses it; the verdicts of the
dsf method come from the library classifier on phi features) and its own model-card.json. Seeds and
sizes are read from the shipped model card so the controls match what training compared against.

Usage: /usr/bin/python3 training/export_controls.py [--out .cache/controls] [--models models]
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import PhiEnsemble, Rho, make_phi, n_params  # noqa: E402
from export import export_phi, export_rho, sha256, write_json  # noqa: E402


def card_for(name: str, phi, rho, seeds: list[int], note: str) -> dict:
    return {
        'name': f'genprint-control-{name}',
        'version': 'control',
        'configuration': name,
        'configurationSeeds': seeds,
        'control': True,
        'note': note,
        'phi': {'file': 'phi.onnx', 'sha256': '', 'featureDim': phi.dim, 'params': n_params(phi),
                'input': 'images', 'output': 'features'},
        'rho': {'file': 'rho.onnx', 'sha256': '', 'embeddingDim': 64, 'inputDim': phi.dim, 'params': n_params(rho),
                'input': 'pooled', 'output': 'z', 'architecture': 'untrained (random init), identity standardisation'},
    }


def export_folder(out: str, name: str, phi, seeds: list[int], note: str) -> str:
    folder = os.path.join(out, name)
    os.makedirs(folder, exist_ok=True)
    torch.manual_seed(seeds[0])
    rho = Rho(phi.dim)
    export_phi(phi, os.path.join(folder, 'phi.onnx'))
    export_rho(rho, phi.dim, os.path.join(folder, 'rho.onnx'))
    card = card_for(name, phi, rho, seeds, note)
    card['phi']['sha256'] = sha256(os.path.join(folder, 'phi.onnx'))
    card['rho']['sha256'] = sha256(os.path.join(folder, 'rho.onnx'))
    write_json(card, os.path.join(folder, 'model-card.json'))
    return folder


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', default='.cache/controls')
    ap.add_argument('--models', default='models')
    args = ap.parse_args()
    torch.set_num_threads(2)

    shipped = {}
    card_file = os.path.join(args.models, 'model-card.json')
    if os.path.exists(card_file):
        with open(card_file) as f:
            shipped = json.load(f)
    hp = shipped.get('hyperparameters', {})
    seeds = shipped.get('seeds', {})
    dim, width = hp.get('featureDim', 128), hp.get('width', 32)
    init_seed = seeds.get('phiInit', 1)
    ens_seeds = seeds.get('ensemble', hp.get('ensembleSeeds', [11, 12, 13, 14]))

    made = [
        export_folder(args.out, 'untrained', make_phi(init_seed, dim, width), [init_seed],
                      f'phi with random weights (seed {init_seed}, {dim}-d, width {width}): the untrained control'),
        export_folder(args.out, 'random-ensemble',
                      PhiEnsemble([make_phi(s, dim, width) for s in ens_seeds]), list(ens_seeds),
                      f'{len(ens_seeds)} untrained phi (seeds {ens_seeds}), features concatenated'),
    ]
    print(json.dumps({'controls': made}))


if __name__ == '__main__':
    main()
