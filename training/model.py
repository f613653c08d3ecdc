"""DeepSet set-encoder (paper Sec. 3): phi (per image) -> mean pool -> rho -> z, plus Eq. 1-2 loss."""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

# Fixed SRM-style residual kernels: fingerprints live in the high frequencies, and a fixed front end keeps
# the encoder from spending capacity (or shortcuts) on image content.
_KB = [[-1, 2, -1], [2, -4, 2], [-1, 2, -1]]
_KV = [[-1, 2, -2, 2, -1], [2, -6, 8, -6, 2], [-2, 8, -12, 8, -2], [2, -6, 8, -6, 2], [-1, 2, -2, 2, -1]]
_H2 = [[0, 0, 0], [1, -2, 1], [0, 0, 0]]
_V2 = [[0, 1, 0], [0, -2, 0], [0, 1, 0]]


def _pad5(k):
    t = torch.tensor(k, dtype=torch.float32)
    return F.pad(t, [(5 - t.shape[1]) // 2] * 2 + [(5 - t.shape[0]) // 2] * 2)


class HighPass(nn.Module):
    """Depthwise fixed 5x5 high-pass bank, valid padding (no artificial border residuals). 3 -> 12 channels."""

    GAIN = 8.0  # residuals of 8-bit images are ~1e-2; bring them near unit scale for the conv stack

    def __init__(self):
        super().__init__()
        bank = torch.stack([_pad5(_KB) / 4, _pad5(_KV) / 12, _pad5(_H2) / 2, _pad5(_V2) / 2])  # [4,5,5]
        weight = bank.unsqueeze(1).repeat(3, 1, 1, 1) * self.GAIN  # [12,1,5,5], grouped per input channel
        self.register_buffer('weight', weight)

    def forward(self, x):
        return F.conv2d(x, self.weight, groups=3)


class Phi(nn.Module):
    """Fully convolutional image encoder with global average pooling: any input size >= 28 works."""

    def __init__(self, dim: int = 128, width: int = 32):
        super().__init__()
        w = width
        layers, cin = [], 12
        for cout, stride in [(w, 1), (w, 1), (2 * w, 2), (2 * w, 1), (4 * w, 2), (dim, 1)]:
            layers += [nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.2)]
            cin = cout
        self.body = nn.Sequential(*layers[:-1])  # linear last layer; the pooled mean is the feature
        self.front = HighPass()
        self.dim = dim
        for m in self.body:
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, a=0.2, nonlinearity='leaky_relu')
                nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.body(self.front(x)).mean(dim=(2, 3))


class PhiEnsemble(nn.Module):
    """Several phi side by side, features concatenated (the random-feature ensemble)."""

    def __init__(self, members: list[Phi]):
        super().__init__()
        self.members = nn.ModuleList(members)
        self.dim = sum(m.dim for m in members)

    def forward(self, x):
        return torch.cat([m(x) for m in self.members], dim=1)


def make_phi(seed: int, dim: int = 128, width: int = 32) -> Phi:
    torch.manual_seed(seed)
    return Phi(dim, width)


class Rho(nn.Module):
    """Bag embedding from the pooled phi features; standardisation is inside so rho.onnx takes raw means."""

    def __init__(self, dim_in: int, dim_out: int = 64, hidden: int = 256):
        super().__init__()
        self.register_buffer('mean', torch.zeros(dim_in))
        self.register_buffer('std', torch.ones(dim_in))
        self.net = nn.Sequential(nn.Linear(dim_in, hidden), nn.ReLU(), nn.Linear(hidden, dim_out))

    def forward(self, pooled):
        return self.net((pooled - self.mean) / self.std)


def bag_means(feats: torch.Tensor, bag_of: torch.Tensor, n_bags: int) -> torch.Tensor:
    sums = torch.zeros(n_bags, feats.shape[1], dtype=feats.dtype).index_add_(0, bag_of, feats)
    counts = torch.bincount(bag_of, minlength=n_bags).clamp(min=1).unsqueeze(1)
    return sums / counts


def set_contrastive_loss(z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Eq. 1-2: p_z(z') = softmax over z' != z of -||z - z'||^2; L = -log sum_{same model} p_z(z')."""
    d = torch.cdist(z, z).pow(2)
    eye = torch.eye(len(z), dtype=torch.bool)
    logits = (-d).masked_fill(eye, float('-inf'))
    log_p = logits - torch.logsumexp(logits, dim=1, keepdim=True)
    same = (labels[:, None] == labels[None, :]) & ~eye
    has_pos = same.any(dim=1)
    pos = torch.logsumexp(log_p.masked_fill(~same, float('-inf')), dim=1)
    return -pos[has_pos].mean()


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())
