"""Generator zoo: AutoGAN-style tiny autoencoders, briefly trained to reconstruct real images.

A reconstruction carries the decoder's fingerprint (upsampling operator, kernel, activation,
normalisation, seed) on top of real content, which is what separates generators trained on one dataset.
Each zoo generator joins the corpus domain whose real images it was trained on, so batches from that
domain have many more negatives. Outputs are cached (uint8 .npz) keyed by the zoo specification.
"""
from __future__ import annotations

import hashlib
import json
import os
import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image, ImageFilter

from data import Generator, jpeg

UPSAMPLERS = ['tconv', 'nearest', 'bilinear', 'pixelshuffle']
ACTIVATIONS = ['relu', 'lrelu', 'elu', 'gelu']
NORMS = ['none', 'batch', 'instance']
POSTS = ['none', 'none', 'jpeg', 'blur', 'sharpen', 'quant']


def _act(name: str) -> nn.Module:
    return {'relu': nn.ReLU(), 'lrelu': nn.LeakyReLU(0.2), 'elu': nn.ELU(), 'gelu': nn.GELU()}[name]


def _norm(name: str, c: int) -> nn.Module:
    return {'none': nn.Identity(), 'batch': nn.BatchNorm2d(c), 'instance': nn.InstanceNorm2d(c, affine=True)}[name]


def _up(kind: str, cin: int, cout: int, k: int) -> nn.Module:
    if kind == 'tconv':
        return nn.ConvTranspose2d(cin, cout, 4, 2, 1)
    if kind == 'pixelshuffle':
        return nn.Sequential(nn.Conv2d(cin, cout * 4, k, 1, k // 2), nn.PixelShuffle(2))
    return nn.Sequential(nn.Upsample(scale_factor=2, mode=kind), nn.Conv2d(cin, cout, k, 1, k // 2))


class TinyAE(nn.Module):
    def __init__(self, ch: int, width: int, up: str, k: int, act: str, norm: str, out: str):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(ch, width, k, 2, k // 2), _norm(norm, width), _act(act),
            nn.Conv2d(width, width * 2, k, 2, k // 2), _norm(norm, width * 2), _act(act))
        self.dec = nn.Sequential(
            _up(up, width * 2, width, k), _norm(norm, width), _act(act),
            _up(up, width, ch, k))
        self.out = out

    def forward(self, x):
        y = self.dec(self.enc(x * 2 - 1))
        return torch.sigmoid(y) if self.out == 'sigmoid' else (torch.tanh(y) + 1) / 2


def _post(arr: np.ndarray, post: dict) -> np.ndarray:
    kind = post['kind']
    if kind == 'jpeg':
        return jpeg(arr, post['q'])
    if kind in ('blur', 'sharpen'):
        im = Image.fromarray(arr)
        im = im.filter(ImageFilter.GaussianBlur(0.6)) if kind == 'blur' else im.filter(ImageFilter.SHARPEN)
        return np.asarray(im)
    if kind == 'quant':
        step = post['step']
        return (arr // step * step + step // 2).clip(0, 255).astype(np.uint8)
    return arr


def _spec(domain: str, i: int, seed: int) -> dict:
    r = random.Random(f'{domain}:{i}:{seed}')
    post = r.choice(POSTS)
    return {
        'up': UPSAMPLERS[i % len(UPSAMPLERS)],  # cycle so every operator is represented in train and held-out
        'k': r.choice([3, 3, 5]), 'act': r.choice(ACTIVATIONS), 'norm': r.choice(NORMS),
        'width': r.choice([8, 12, 16]), 'out': r.choice(['sigmoid', 'tanh']),
        'post': {'kind': post, 'q': r.randint(70, 95), 'step': r.choice([2, 4])},
        'seed': seed * 1000 + i,
    }


def _fit_resize(arr: np.ndarray, size: int, rng: random.Random) -> np.ndarray:
    """A size x size view of a real image: random crop when larger, box-downsample when a crop would be tiny."""
    h, w = arr.shape[:2]
    if min(h, w) >= 2 * size:
        s = rng.randint(size, min(h, w))
        y, x = rng.randint(0, h - s), rng.randint(0, w - s)
        arr = np.asarray(Image.fromarray(arr[y:y + s, x:x + s]).resize((size, size), Image.BOX))
    elif min(h, w) > size:
        y, x = rng.randint(0, h - size), rng.randint(0, w - size)
        arr = arr[y:y + size, x:x + size]
    return arr


def zoo_plan(real: dict[str, list[np.ndarray]], quick: bool) -> list[dict]:
    """Which zoo domains exist, given the real sets at hand (corpus real-* sets or procedural fallback)."""
    plan = []
    n = (lambda full, q: q if quick else full)
    if 'mnist28' in real:
        plan.append({'domain': 'mnist28', 'size': 28, 'colour': 'L', 'source': 'mnist28', 'count': n(24, 4)})
    if 'lsun' in real:
        plan.append({'domain': 'lsun', 'size': 64, 'colour': 'RGB', 'source': 'lsun', 'count': n(24, 4)})
        plan.append({'domain': 'cifar32', 'size': 32, 'colour': 'RGB', 'source': 'lsun+photos', 'count': n(24, 4)})
    if 'photos' in real:
        plan.append({'domain': 'zoo-photos128', 'size': 128, 'colour': 'RGB', 'source': 'photos', 'count': n(12, 0)})
    if not plan:
        plan.append({'domain': 'zoo-procedural32', 'size': 32, 'colour': 'RGB', 'source': 'procedural', 'count': n(24, 6)})
    return plan


def procedural_images(n: int, size: int, seed: int) -> list[np.ndarray]:
    """Smooth random colour fields with edges: stand-in content when no real set is available."""
    rng = np.random.default_rng(seed)
    out = []
    yy, xx = np.mgrid[0:size, 0:size] / size
    for _ in range(n):
        img = np.zeros((size, size, 3))
        for _ in range(4):
            f = rng.uniform(0.5, 4, 2)
            ph = rng.uniform(0, 6.3, 3)
            img += np.sin(2 * np.pi * (f[0] * xx[..., None] + f[1] * yy[..., None]) + ph) * rng.uniform(0.1, 0.3)
        cx, cy, r = rng.uniform(0.2, 0.8, 3)
        img[(xx - cx) ** 2 + (yy - cy) ** 2 < (r * 0.4) ** 2] += rng.uniform(-0.4, 0.4, 3)
        out.append(((img - img.min()) / (np.ptp(img) + 1e-6) * 255).astype(np.uint8))
    return out


def build_zoo(real: dict[str, list[np.ndarray]], cache_dir: str, quick: bool, seed: int = 7,
              steps: int | None = None, per_gen: int = 64, log=print) -> list[Generator]:
    steps = steps or (40 if quick else 150)
    gens = []
    os.makedirs(cache_dir, exist_ok=True)
    for dom in zoo_plan(real, quick):
        size, colour = dom['size'], dom['colour']
        ch = 1 if colour == 'L' else 3
        src_key = dom['source']
        if src_key == 'procedural':
            pool = procedural_images(256, size, seed)
        else:
            pool = [a for k in src_key.split('+') if k in real for a in real[k]]
        r = random.Random(f'{dom["domain"]}:{seed}')
        views = [_fit_resize(pool[r.randrange(len(pool))], size, r) for _ in range(512)]
        views = [v for v in views if v.shape[0] == size and v.shape[1] == size]
        x_all = torch.from_numpy(np.stack(views)).permute(0, 3, 1, 2).float() / 255
        if ch == 1:
            x_all = x_all[:, :1]
        # Generators reconstruct images they were trained on and images they were not, like a GAN's samples.
        for i in range(dom['count']):
            spec = _spec(dom['domain'], i, seed)
            ident = hashlib.sha256(json.dumps([dom, spec, steps, per_gen, len(pool)], sort_keys=True).encode()).hexdigest()[:16]
            path = os.path.join(cache_dir, f'zoo-{dom["domain"]}-{i:03d}-{ident}.npz')
            if os.path.exists(path):
                imgs = list(np.load(path)['images'])
            else:
                imgs = _train_and_sample(x_all, spec, steps, per_gen)
                np.savez_compressed(path, images=np.stack(imgs))
            gens.append(Generator(dom['domain'], f'zoo-{spec["up"]}-{i:03d}', imgs, colour, 'zoo', 'zoo',
                                  {'spec': spec, 'index': i, 'count': dom['count']}))
        log(f'zoo: {dom["domain"]} {dom["count"]} generators at {size}x{size} {colour} from {src_key}')
    return gens


def _train_and_sample(x_all: torch.Tensor, spec: dict, steps: int, per_gen: int) -> list[np.ndarray]:
    torch.manual_seed(spec['seed'])
    ch = x_all.shape[1]
    ae = TinyAE(ch, spec['width'], spec['up'], spec['k'], spec['act'], spec['norm'], spec['out'])
    opt = torch.optim.Adam(ae.parameters(), lr=2e-3)
    g = torch.Generator().manual_seed(spec['seed'])
    h = x_all.shape[2]
    c = min(h, 32)  # fully convolutional: train cheaply on 32x32 crops, sample at full size
    for _ in range(steps):
        idx = torch.randint(0, len(x_all), (16,), generator=g)
        oy, ox = (int(v) for v in torch.randint(0, h - c + 1, (2,), generator=g))
        xb = x_all[idx, :, oy:oy + c, ox:ox + c]
        loss = F.l1_loss(ae(xb), xb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    ae.eval()
    idx = torch.randperm(len(x_all), generator=g)[:per_gen]
    with torch.no_grad():
        y = ae(x_all[idx])
    arr = (y.clamp(0, 1) * 255).round().byte().permute(0, 2, 3, 1).numpy()
    if ch == 1:
        arr = np.repeat(arr, 3, axis=3)
    return [_post(np.ascontiguousarray(a), spec['post']) for a in arr]


def real_sources(corpus_gens: list[Generator]) -> dict[str, list[np.ndarray]]:
    real = {}
    for g in corpus_gens:
        if g.name == 'real-mnist-newmu':
            real['mnist28'] = g.images
        elif g.name == 'real-lsun-bedroom64-newmu':
            real['lsun'] = g.images
        elif g.name == 'real-kodak24':
            real['photos'] = g.images
    return real
