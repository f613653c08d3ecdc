"""Corpus loading, generator split, domain-homogeneous batches and augmentations.

Images are held in memory as uint8 HxWx3 arrays (grayscale replicated to 3 channels, exactly as the
engine feeds them), grouped per generator. The corpus is read in place and never copied.
"""
from __future__ import annotations

import csv
import hashlib
import io
import os
import random
from dataclasses import dataclass, field

import numpy as np
from PIL import Image


@dataclass
class Generator:
    domain: str
    name: str
    images: list[np.ndarray]  # uint8 HxWx3
    colour: str  # 'L' or 'RGB' as stored at the source
    source: str  # 'corpus' or 'zoo'
    family: str = ''
    meta: dict = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f'{self.domain}/{self.name}'

    @property
    def group(self) -> tuple:
        # A batch only mixes generators that share content domain, pixel size and colour type,
        # so that none of those can separate them.
        h, w = self.images[0].shape[:2]
        return (self.domain, h, w, self.colour)


def to_rgb_array(img: Image.Image) -> tuple[np.ndarray, str]:
    colour = 'L' if img.mode in ('L', 'LA', 'I', 'I;16', '1') else 'RGB'
    arr = np.asarray(img.convert('L').convert('RGB') if colour == 'L' else img.convert('RGB'))
    return np.ascontiguousarray(arr, dtype=np.uint8), colour


def read_manifest(corpus: str) -> list[dict]:
    with open(os.path.join(corpus, 'MANIFEST.tsv'), newline='') as f:
        return list(csv.DictReader(f, delimiter='\t'))


def corpus_digest(corpus: str) -> str:
    """Digest of the manifest plus every file name and size: cheap, and changes when the data does."""
    h = hashlib.sha256()
    with open(os.path.join(corpus, 'MANIFEST.tsv'), 'rb') as f:
        h.update(f.read())
    for root, dirs, files in sorted(os.walk(corpus)):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            h.update(os.path.relpath(p, corpus).encode())
            h.update(str(os.path.getsize(p)).encode())
    return h.hexdigest()


def load_corpus(corpus: str, max_per_generator: int | None = None, exclude_domains=()) -> list[Generator]:
    gens = []
    for row in read_manifest(corpus):
        if row['domain'] in exclude_domains:
            continue
        d = os.path.join(corpus, row['domain'], row['generator'])
        files = sorted(f for f in os.listdir(d) if f.endswith('.png'))
        if max_per_generator:
            files = files[:max_per_generator]
        images, colours = [], set()
        for f in files:
            with Image.open(os.path.join(d, f)) as im:
                arr, colour = to_rgb_array(im)
            images.append(arr)
            colours.add(colour)
        gens.append(Generator(row['domain'], row['generator'], images, colours.pop() if len(colours) == 1 else 'RGB',
                              'corpus', row['family']))
    return gens


def split_generators(gens: list[Generator], fraction: float = 1 / 3) -> tuple[list[str], list[str]]:
    """Deterministic per-domain hold-out: generators ordered by a hash of their name, the first ~fraction held out.

    Real sets stay in training (they are not generators to attribute); a domain with a single
    generator has nothing to hold out against.
    """
    by_domain: dict[str, list[Generator]] = {}
    for g in gens:
        by_domain.setdefault(g.domain, []).append(g)
    train, held, held_names = [], [], set()
    for domain, gs in sorted(by_domain.items()):
        cand = sorted((g for g in gs if g.family != 'real'), key=lambda g: hashlib.sha256(g.name.encode()).hexdigest())
        n_hold = max(1, int(round(len(cand) * fraction))) if len(cand) >= 2 else 0
        held_names.update(g.name for g in cand[:n_hold])
    # The same model code trained on two datasets (e.g. hwalsuklee-tf-* on MNIST and Fashion-MNIST) is
    # held out in both, so its architecture cannot leak into training through the other domain.
    for g in gens:
        (held if g.name in held_names else train).append(g.key)
    return train, held


# ---------------------------------------------------------------- augmentation

def jpeg(arr: np.ndarray, quality: int) -> np.ndarray:
    # Grayscale stays grayscale (3 identical channels): a colour JPEG would add chroma noise as a cue.
    gray = bool((arr[..., 0] == arr[..., 1]).all() and (arr[..., 1] == arr[..., 2]).all())
    buf = io.BytesIO()
    Image.fromarray(arr[..., 0] if gray else arr).save(buf, format='JPEG', quality=int(quality))
    buf.seek(0)
    with Image.open(buf) as im:
        return np.asarray(im.convert('RGB'))


def random_crop(arr: np.ndarray, size: int, rng: random.Random) -> np.ndarray:
    h, w = arr.shape[:2]
    y = rng.randint(0, h - size)
    x = rng.randint(0, w - size)
    return arr[y:y + size, x:x + size]


class BatchSampler:
    """Draws domain-homogeneous batches of bags for Eq. 1-2.

    Every batch: one group (domain, size, colour), M generators from it, K bags per generator, each bag
    of 1..max_bag images; one crop size and one JPEG decision for the whole batch so compression and
    geometry are shared by positives and negatives alike.
    """

    def __init__(self, gens: list[Generator], seed: int, gens_per_batch: int = 12, bags_per_gen: int = 2,
                 max_bag: int = 4, max_crop: int = 64, jpeg_prob: float = 0.3,
                 jpeg_quality: tuple[int, int] = (60, 98)):
        self.rng = random.Random(seed)
        groups: dict[tuple, list[Generator]] = {}
        for g in gens:
            groups.setdefault(g.group, []).append(g)
        self.groups = [gs for gs in groups.values() if len(gs) >= 2]
        if not self.groups:
            raise ValueError('no group with two or more training generators')
        # Sample groups in proportion to sqrt(#generators): big groups often, small ones still seen.
        self.weights = [len(gs) ** 0.5 for gs in self.groups]
        self.gens_per_batch = gens_per_batch
        self.bags_per_gen = bags_per_gen
        self.max_bag = max_bag
        self.max_crop = max_crop
        self.jpeg_prob = jpeg_prob
        self.jpeg_quality = jpeg_quality

    def sample(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Returns images uint8 [N,H,W,3], bag index per image [N], generator label per bag [B]."""
        rng = self.rng
        gs = rng.choices(self.groups, weights=self.weights)[0]
        chosen = rng.sample(gs, min(self.gens_per_batch, len(gs)))
        side = min(min(g.images[0].shape[:2]) for g in chosen)
        crop = min(side, self.max_crop)
        crop = rng.randint(max(24, crop * 3 // 4), crop) if crop > 28 else crop
        quality = rng.randint(*self.jpeg_quality) if rng.random() < self.jpeg_prob else None
        imgs, bag_of, labels = [], [], []
        bag = 0
        for label, g in enumerate(chosen):
            for _ in range(self.bags_per_gen):
                n = rng.choice([1, 1, 2, 2, 3, 4][: max(1, min(6, self.max_bag + 2))])
                n = min(n, self.max_bag)
                for _ in range(n):
                    a = g.images[rng.randrange(len(g.images))]
                    if quality is not None:
                        a = jpeg(a, quality)
                    a = random_crop(a, crop, rng)
                    if rng.random() < 0.5:
                        a = a[:, ::-1]
                    imgs.append(a)
                    bag_of.append(bag)
                labels.append(label)
                bag += 1
        return np.stack(imgs), np.asarray(bag_of), np.asarray(labels)


def to_tensor_batch(arrs) -> 'torch.Tensor':
    import torch
    x = np.ascontiguousarray(np.stack(arrs) if isinstance(arrs, list) else arrs)
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)
