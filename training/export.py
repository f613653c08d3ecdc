"""ONNX export (opset 17, dynamic N/H/W) and the PyTorch reference fixture for the TS parity test."""
from __future__ import annotations

import hashlib
import json

import numpy as np
import onnx
import torch

OPSET = 17
PARITY_SHAPES = [(28, 28), (64, 48), (256, 256)]  # (H, W)
PARITY_FORMULA = 'x[c][h][w] = ((h*31 + w*17 + c*7) % 256) / 255, c in 0..2, one image per shape, batch of 1'


def sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        h.update(f.read())
    return h.hexdigest()


def export_phi(phi: torch.nn.Module, path: str) -> None:
    phi.eval()
    dummy = torch.rand(2, 3, 40, 36)
    torch.onnx.export(phi, dummy, path, input_names=['images'], output_names=['features'], opset_version=OPSET,
                      dynamic_axes={'images': {0: 'N', 2: 'H', 3: 'W'}, 'features': {0: 'N'}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def export_rho(rho: torch.nn.Module, dim: int, path: str) -> None:
    rho.eval()
    torch.onnx.export(rho, torch.rand(2, dim), path, input_names=['pooled'], output_names=['z'], opset_version=OPSET,
                      dynamic_axes={'pooled': {0: 'B'}, 'z': {0: 'B'}}, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path))


def parity_input(h: int, w: int) -> np.ndarray:
    c, hh, ww = np.meshgrid(np.arange(3), np.arange(h), np.arange(w), indexing='ij')
    return (((hh * 31 + ww * 17 + c * 7) % 256) / 255).astype(np.float32)[None]


@torch.no_grad()
def parity_fixture(phi: torch.nn.Module, rho: torch.nn.Module, phi_sha: str, rho_sha: str) -> dict:
    phi.eval()
    rho.eval()
    cases, feats = [], []
    for h, w in PARITY_SHAPES:
        f = phi(torch.from_numpy(parity_input(h, w)))
        feats.append(f[0])
        cases.append({'shape': [1, 3, h, w], 'features': [round(float(v), 7) for v in f[0]]})
    pooled = torch.stack(feats + [torch.stack(feats).mean(0)])
    z = rho(pooled)
    return {
        'description': 'PyTorch reference outputs of models/phi.onnx and models/rho.onnx for the TS parity test',
        'inputFormula': PARITY_FORMULA,
        'phi': {'sha256': phi_sha, 'input': 'images', 'output': 'features', 'cases': cases},
        'rho': {'sha256': rho_sha, 'input': 'pooled', 'output': 'z',
                'pooledRows': 'one row per phi case, then the mean of the three (a bag of all three images)',
                'pooled': [[round(float(v), 7) for v in r] for r in pooled],
                'z': [[round(float(v), 6) for v in r] for r in z]},
        'tolerance': {'maxAbsDiff': 1e-4, 'maxRelDiff': 1e-4,
                      'note': 'float32 conv/GEMM order differs between PyTorch and onnxruntime; compare |a-b| <= '
                              'maxAbsDiff + maxRelDiff*|b|. Measured with onnxruntime-node (training/parity_check.mjs): max abs diff about 5e-6.'},
    }


def write_json(obj, path: str) -> None:
    with open(path, 'w') as f:
        json.dump(obj, f, indent=1)
        f.write('\n')
