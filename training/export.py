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


class CentreCrop(torch.nn.Module):
    """phi on the centred max_side x max_side window of larger images (each side cropped on its own, offset
    (side - max_side) // 2, as evaluate.centre_crop). The eager twin of the Slice that crop_front puts in
    front of the exported graph; used for the parity fixture."""

    def __init__(self, phi: torch.nn.Module, max_side: int):
        super().__init__()
        self.phi, self.max_side = phi, max_side
        self.dim = phi.dim

    def forward(self, x):
        h, w = x.shape[2], x.shape[3]
        ch, cw = min(h, self.max_side), min(w, self.max_side)
        y, x0 = (h - ch) // 2, (w - cw) // 2
        return self.phi(x[:, :, y:y + ch, x0:x0 + cw])


def crop_front(path: str, max_side: int) -> None:
    """Puts a centre crop to max_side (Shape -> Min -> Slice) in front of an exported phi graph, so the engine
    keeps feeding whole canvases and phi itself decides what it looks at (and its SHA-256 says so)."""
    m = onnx.load(path)
    g = m.graph
    src = g.input[0].name
    cropped = f'{src}_centre{max_side}'
    for node in g.node:
        for i, name in enumerate(node.input):
            if name == src:
                node.input[i] = cropped
    h = onnx.helper
    consts = [h.make_tensor('crop_lo', onnx.TensorProto.INT64, [1], [2]),
              h.make_tensor('crop_hi', onnx.TensorProto.INT64, [1], [4]),
              h.make_tensor('crop_side', onnx.TensorProto.INT64, [1], [max_side]),
              h.make_tensor('crop_two', onnx.TensorProto.INT64, [1], [2]),
              h.make_tensor('crop_axes', onnx.TensorProto.INT64, [2], [2, 3])]
    g.initializer.extend(consts)
    front = [h.make_node('Shape', [src], ['crop_shape']),
             h.make_node('Slice', ['crop_shape', 'crop_lo', 'crop_hi'], ['crop_hw']),
             h.make_node('Min', ['crop_hw', 'crop_side'], ['crop_size']),
             h.make_node('Sub', ['crop_hw', 'crop_size'], ['crop_spare']),
             h.make_node('Div', ['crop_spare', 'crop_two'], ['crop_start']),  # int64 Div truncates: spare >= 0
             h.make_node('Add', ['crop_start', 'crop_size'], ['crop_end']),
             h.make_node('Slice', [src, 'crop_start', 'crop_end', 'crop_axes'], [cropped])]
    nodes = front + list(g.node)
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(m)
    onnx.save(m, path)


def export_phi(phi: torch.nn.Module, path: str, input_crop: int | None = None) -> None:
    phi.eval()
    inner = phi.phi if isinstance(phi, CentreCrop) else phi
    dummy = torch.rand(2, 3, 40, 36)
    torch.onnx.export(inner, dummy, path, input_names=['images'], output_names=['features'], opset_version=OPSET,
                      dynamic_axes={'images': {0: 'N', 2: 'H', 3: 'W'}, 'features': {0: 'N'}}, do_constant_folding=True)
    if input_crop:
        crop_front(path, input_crop)
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
