"""The learned projector of the manifold method (ManiFPT): P(x) = what a real image near x looks like.

A generated sample's artifact is its deviation from the manifold of real images, x - P(x). We estimate P with
a small restoration network trained only on real images: it sees a real patch with generator-like
degradations added (upsampling traces, periodic patterns, noise, mild filtering) and must return the clean
patch. What it learns to take away from an image is, by construction, what real images do not contain.

The network predicts the off-manifold component g(x) and P(x) = x - g(x), so the artifact x - P(x) = g(x)
and an image already on the manifold maps to (nearly) zero. Reflect padding: zero padding would paint the
same border pattern into every artifact, a fingerprint shared by all generators.
"""
from __future__ import annotations

import random

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from runlog import StepLog


class Projector(nn.Module):
    # Dilations widen the receptive field to 17 px at little cost: periodic traces (period up to 8) are only
    # separable from image content when the network sees a few periods.
    DILATIONS = (1, 1, 2, 2, 1, 1)

    def __init__(self, width: int = 24):
        super().__init__()
        layers, cin = [], 3
        for i, d in enumerate(self.DILATIONS):
            last = i == len(self.DILATIONS) - 1
            cout = 3 if last else width
            layers.append(nn.Conv2d(cin, cout, 3, 1, d, dilation=d, padding_mode='reflect'))
            if not last:
                layers.append(nn.ReLU())
            cin = cout
        self.off_manifold = nn.Sequential(*layers)
        # Small last layer: P starts near the identity (nothing is an artifact yet) but gradients flow.
        nn.init.normal_(layers[-1].weight, std=1e-3)
        nn.init.zeros_(layers[-1].bias)

    def forward(self, x):
        """P(x), the projection onto the real-image manifold."""
        return x - self.off_manifold(x)

    def artifact(self, x):
        """x - P(x)."""
        return self.off_manifold(x)


class ArtifactInput(nn.Module):
    """phi applied to the artifact x - P(x) instead of the image: the manifold method's set-encoder input.
    The projector is frozen; exported together with phi, so the engine feeds images as for any encoder."""

    def __init__(self, projector: Projector, phi: nn.Module):
        super().__init__()
        self.projector = projector
        for p in self.projector.parameters():
            p.requires_grad_(False)
        self.phi = phi
        self.dim = phi.dim

    def forward(self, x):
        return self.phi(self.projector.artifact(x))


class ArtifactOnly(nn.Module):
    """Export wrapper: images -> artifacts, for the engine's pixel-space correlation analysis."""

    def __init__(self, projector: Projector):
        super().__init__()
        self.projector = projector

    def forward(self, x):
        return self.projector.artifact(x)


# ------------------------------------------------------------------ degradations (torch, batch-wise)

def _periodic(n: int, h: int, w: int, rng: random.Random, gen: torch.Generator) -> torch.Tensor:
    """Tiled random patterns of period 2, 4 or 8: the per-phase trace of strided upsampling layers."""
    out = torch.zeros(n, 3, h, w)
    for i in range(n):
        p = rng.choice([2, 4, 8])
        tile = torch.randn(3, p, p, generator=gen)
        tile -= tile.mean()
        reps = (-(-h // p), -(-w // p))
        out[i] = tile.repeat(1, *reps)[:, :h, :w]
    return out


def degrade(y: torch.Tensor, rng: random.Random, gen: torch.Generator) -> torch.Tensor:
    """Generator-like degradations of clean real patches y in [0,1], each applied to a random half of the batch."""
    n, _, h, w = y.shape
    x = y.clone()

    def pick(p=0.5):
        return torch.tensor([rng.random() < p for _ in range(n)]).view(n, 1, 1, 1).float()

    # Down-up resampling with an interpolation operator (nearest / bilinear), blended in partially.
    if h % 2 == 0 and w % 2 == 0:
        small = F.avg_pool2d(x, 2)
        mode = rng.choice(['nearest', 'bilinear'])
        up = F.interpolate(small, scale_factor=2, mode=mode, **({'align_corners': False} if mode == 'bilinear' else {}))
        alpha = torch.rand(n, 1, 1, 1, generator=gen) * 0.7
        m = pick(0.4)
        x = x + m * alpha * (up - x)
    # Random 3x3 filtering near the identity (decoder convolutions).
    m = pick(0.3)
    k = torch.zeros(3, 1, 3, 3)
    k[:, 0, 1, 1] = 1
    k = k + torch.randn(3, 1, 3, 3, generator=gen) * 0.08
    k = k / k.sum(dim=(2, 3), keepdim=True)
    x = x + m * (F.conv2d(F.pad(x, (1, 1, 1, 1), mode='reflect'), k, groups=3) - x)
    # Periodic per-phase patterns (checkerboard of transposed convolutions, pixel shuffle).
    m = pick(0.5)
    amp = torch.rand(n, 1, 1, 1, generator=gen) * 0.03
    x = x + m * amp * _periodic(n, h, w, rng, gen)
    # Structured noise: white, or spatially correlated (noise through a random upsampler).
    m = pick(0.4)
    sigma = torch.rand(n, 1, 1, 1, generator=gen) * 0.03
    noise = torch.randn(n, 3, h, w, generator=gen)
    if rng.random() < 0.5:
        noise = F.interpolate(torch.randn(n, 3, -(-h // 2), -(-w // 2), generator=gen), scale_factor=2, mode='nearest')[:, :, :h, :w]
    x = x + m * sigma * noise
    # Real images stay real: about a fifth of the batch is left untouched.
    keep = pick(0.2)
    x = keep * y + (1 - keep) * x
    return x.clamp(0, 1)


def train_projector(real_images: list[np.ndarray], seed: int, steps: int, patch: int = 28, batch: int = 32,
                    seconds: float = 1e9, log=print) -> tuple[Projector, dict]:
    """Trains P on random patches of real images (uint8 HxWx3 arrays); squared error between P(degraded) and
    clean, scaled by the degradation's own energy. An L1 loss was tried first and collapsed to P = identity
    (the median of unpredictable, zero-mean degradations is zero)."""
    rng = random.Random(seed)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    usable = [a for a in real_images if min(a.shape[:2]) >= patch]
    if not usable:
        raise ValueError(f'no real image is at least {patch} px: nothing to train the projector on')
    proj = Projector()
    opt = torch.optim.Adam(proj.parameters(), lr=2e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    progress = StepLog('projector', 'relativeMse', steps, seconds, log, digits=5)
    for step in range(steps):
        crops = []
        for _ in range(batch):
            a = rng.choice(usable)
            hh, ww = a.shape[:2]
            yy, xx = rng.randint(0, hh - patch), rng.randint(0, ww - patch)
            c = a[yy:yy + patch, xx:xx + patch]
            if rng.random() < 0.5:
                c = c[:, ::-1]
            crops.append(np.ascontiguousarray(c))
        y = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255.0)
        x = degrade(y, rng, gen)
        loss = ((proj(x) - y) ** 2).mean() / ((x - y) ** 2).mean().clamp_min(1e-8)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if progress.step(float(loss)):
            break
    proj.eval()
    return proj, progress.info()


@torch.no_grad()
def projector_check(proj: Projector, real_images: list[np.ndarray], seed: int, patch: int = 28, n: int = 256) -> dict:
    """How much the projector removes: mean |x - P(x)| on clean real patches vs on degraded ones, and how much
    of an added degradation it recovers (1 - |P(degraded) - clean| / |degraded - clean|)."""
    rng = random.Random(seed + 99)
    gen = torch.Generator().manual_seed(seed + 99)
    usable = [a for a in real_images if min(a.shape[:2]) >= patch]
    crops = []
    for _ in range(n):
        a = rng.choice(usable)
        hh, ww = a.shape[:2]
        yy, xx = rng.randint(0, hh - patch), rng.randint(0, ww - patch)
        crops.append(np.ascontiguousarray(a[yy:yy + patch, xx:xx + patch]))
    y = torch.from_numpy(np.stack(crops)).permute(0, 3, 1, 2).float().div_(255.0)
    x = degrade(y, rng, gen)
    changed = (x - y).abs().mean(dim=(1, 2, 3)) > 1e-6
    removed = 1 - (proj(x) - y).abs().mean(dim=(1, 2, 3))[changed] / (x - y).abs().mean(dim=(1, 2, 3))[changed]
    return {'meanAbsArtifactClean': round(float(proj.artifact(y).abs().mean()), 6),
            'meanAbsArtifactDegraded': round(float(proj.artifact(x[changed]).abs().mean()), 6),
            'meanAbsDegradation': round(float((x - y)[changed].abs().mean()), 6),
            'fractionOfDegradationRemoved': round(float(removed.mean()), 4),
            'patches': n, 'note': 'fresh draws of real patches and degradations (seed + 99); patch side ' + str(patch)}
