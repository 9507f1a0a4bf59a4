"""SyntheticShapes: a generated RGB dataset of coloured shapes on textured backgrounds.

Made for the course: it needs no download, is deterministic from its seed,
and is hard for a linear model on raw pixels (random colours, positions,
sizes, rotations and backgrounds) yet easy for a small CNN, whose filters can
find edges and corners wherever the shape lies.

Each shape is an (approximate) signed distance d(u, v) in the shape's own
rotated and scaled coordinates (the shape's radius is 1); its coverage of a
pixel is ``clip(0.5 - d * radius_px, 0, 1)``, which antialiases the edge.
"""

import numpy as np

from .dataset import TensorDataset, refuse_transforms

SHAPES = ("circle", "square", "triangle", "cross", "ring", "star", "crescent", "bar", "frame", "dots")
"""The names of the shapes SyntheticShapes can draw; ``classes=k`` takes the first k, in this order."""


def _box(u, v, a, b):
    """Distance-like value of the rectangle |u| <= a, |v| <= b (Chebyshev, exact on the edges)."""
    return np.maximum(np.abs(u) - a, np.abs(v) - b)


def _sdf(name, u, v):
    """Signed distance (negative inside) of shape ``name`` of radius 1, at (u, v)."""
    r = np.hypot(u, v)
    if name == "circle":
        return r - 0.9
    if name == "square":
        return _box(u, v, 0.72, 0.72)
    if name == "triangle":  # equilateral, circumradius 1: three half-planes
        d = [u * np.cos(a) + v * np.sin(a) - 0.5 for a in np.pi / 2 + 2 * np.pi / 3 * np.arange(3)]
        return np.maximum(np.maximum(d[0], d[1]), d[2])
    if name == "cross":
        return np.minimum(_box(u, v, 0.95, 0.28), _box(u, v, 0.28, 0.95))
    if name == "ring":
        return np.abs(r - 0.68) - 0.25
    if name == "star":  # five points: the radius swings with the angle
        return r - (0.6 + 0.38 * np.cos(5 * np.arctan2(v, u)))
    if name == "crescent":
        return np.maximum(r - 0.95, 0.72 - np.hypot(u - 0.5, v))
    if name == "bar":
        return _box(u, v, 1.0, 0.3)
    if name == "frame":
        return np.abs(np.maximum(np.abs(u), np.abs(v)) - 0.58) - 0.14
    if name == "dots":
        return np.minimum(np.hypot(u - 0.55, v), np.hypot(u + 0.55, v)) - 0.38
    raise ValueError(name)


def _colours(rng, n, away_from=None, min_distance=0.6):
    """(n, 3) RGB in [0, 1]; redrawn where closer than min_distance to ``away_from``."""
    c = rng.uniform(0, 1, (n, 3))
    if away_from is not None:
        for _ in range(100):
            bad = np.linalg.norm(c - away_from, axis=1) < min_distance
            if not bad.any():
                break
            c[bad] = rng.uniform(0, 1, (int(bad.sum()), 3))
    return c


def _grid(size):
    f32 = np.float32
    yy, xx = np.mgrid[0:size, 0:size].astype(f32) + f32(0.5)
    return yy, xx


def _gratings(rng, bg, size, count, amplitude, cycles):
    """Adds ``count`` coloured sine gratings (random frequency, angle, phase) to bg (n, 3, 1|size, ...)."""
    n, f32 = len(bg), np.float32
    yy, xx = _grid(size)
    for _ in range(count):
        freq = (rng.uniform(*cycles, (n, 1, 1)) * 2 * np.pi / size).astype(f32)
        angle = rng.uniform(0, np.pi, (n, 1, 1)).astype(f32)
        phase = rng.uniform(0, 2 * np.pi, (n, 1, 1)).astype(f32)
        wave = np.sin(freq * (np.cos(angle) * xx + np.sin(angle) * yy) + phase)
        tint = rng.uniform(-amplitude, amplitude, (n, 3)).astype(f32)[:, :, None, None]
        bg = bg + tint * wave[:, None]
    return bg


def _shape_cover(rng, labels, names, size, radius, span):
    """Coverage (n, 1, size, size) in [0, 1] of shapes ``names[labels]`` of ``radius`` pixels (n,).

    Centres are uniform within ``span`` (n,) pixels of the image centre; rotations uniform.
    Returns the coverage, the centres (cy, cx) and the shape-frame offsets (dx, dy).
    """
    n, f32 = len(labels), np.float32
    yy, xx = _grid(size)
    radius = radius.astype(f32)[:, None, None]
    cy, cx = (size / 2 + rng.uniform(-1, 1, (2, n)) * span).astype(f32)
    theta = rng.uniform(0, 2 * np.pi, n).astype(f32)[:, None, None]
    dx, dy = (xx - cx[:, None, None]) / radius, (yy - cy[:, None, None]) / radius
    u = np.cos(theta) * dx + np.sin(theta) * dy
    v = -np.sin(theta) * dx + np.cos(theta) * dy
    d = np.empty_like(u)
    for k, name in enumerate(names):
        members = labels == k
        d[members] = _sdf(name, u[members], v[members])
    return np.clip(0.5 - d * radius, 0, 1)[:, None], (cy, cx), (dx, dy)


def _paint(image, cover, colour):
    """image += cover * (colour - image), in place: ``colour`` over ``image`` where covered."""
    image += cover * (colour - image)


def _render(rng, labels, names, size):
    """Images (n, 3, size, size) float32 of the shapes ``names[labels]``: the easy preset."""
    n, f32 = len(labels), np.float32
    # Background: a base colour, two coloured sine gratings and pixel noise.
    bg = _gratings(rng, _colours(rng, n).astype(f32)[:, :, None, None], size, 2, 0.12, (1, 4))
    # The shape: position, radius and rotation per image.
    radius = (rng.uniform(0.22, 0.38, n) * size).astype(f32)
    span = size / 2 - 0.75 * radius  # a quarter of the radius may leave the image
    cover, _, (dx, dy) = _shape_cover(rng, labels, names, size, radius, span)
    # Foreground colour far from the background's, shaded by a random gradient.
    fg = _colours(rng, n, away_from=bg.mean(axis=(2, 3))).astype(f32)[:, :, None, None]
    shade = rng.uniform(-0.15, 0.15, (n, 2)).astype(f32)
    fg = fg * (1 + shade[:, 0, None, None] * dx + shade[:, 1, None, None] * dy)[:, None]
    # NOTE: in-place from here on: these are the largest arrays, (n, 3, size, size)
    image = rng.standard_normal((n, 3, size, size), dtype=f32)
    image *= f32(0.03)
    image += bg
    image += cover * (fg - bg)
    return np.clip(image, 0, 1, out=image)


def _render_hard(rng, labels, names, size):
    """Images (n, 3, size, size) float32 of the shapes ``names[labels]``: the hard preset.

    Painted back to front: a textured background (base colour, four gratings
    up to fine stripes), three soft blobs of clutter, two smaller distractor
    shapes of random classes, the labelled shape (the largest one: its
    radius 0.25 to 0.42 of the image side, the distractors' 0.3 to 0.5 of
    that), and in half of the images an occluding bar across part of it;
    then pixel noise.
    """
    n, f32 = len(labels), np.float32
    yy, xx = _grid(size)
    image = _gratings(rng, _colours(rng, n).astype(f32)[:, :, None, None], size, 4, 0.15, (1, 6))
    image = np.broadcast_to(image, (n, 3, size, size)).copy()
    for _ in range(3):  # clutter: soft elliptical blobs
        cy, cx = rng.uniform(0, size, (2, n, 1, 1)).astype(f32)
        ry, rx = (rng.uniform(0.08, 0.3, (2, n, 1, 1)) * size).astype(f32)
        blob = np.exp(-0.5 * (((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2))[:, None]
        _paint(image, blob * f32(0.5), _colours(rng, n).astype(f32)[:, :, None, None])
    radius = rng.uniform(0.25, 0.42, n) * size
    for _ in range(2):  # distractors: smaller shapes, anywhere
        other = rng.integers(0, len(names), n)
        small = radius * rng.uniform(0.3, 0.5, n)
        cover, _, _ = _shape_cover(rng, other, names, size, small, np.full(n, size / 2))
        _paint(image, cover, _colours(rng, n).astype(f32)[:, :, None, None])
    span = size / 2 - 0.75 * radius
    cover, (cy, cx), (dx, dy) = _shape_cover(rng, labels, names, size, radius, span)
    fg = _colours(rng, n, away_from=image.mean(axis=(2, 3)), min_distance=0.5).astype(f32)
    shade = rng.uniform(-0.25, 0.25, (n, 2)).astype(f32)
    fg = fg[:, :, None, None] * (1 + shade[:, 0, None, None] * dx + shade[:, 1, None, None] * dy)[:, None]
    _paint(image, cover, fg)
    # Occluder: a bar of random colour whose near edge passes 0.4 to 0.9 radii from the centre.
    angle = rng.uniform(0, np.pi, (n, 1, 1)).astype(f32)
    offset = (rng.uniform(0.4, 0.9, (n, 1, 1)) * radius[:, None, None]).astype(f32)
    across = np.cos(angle) * (xx - cx[:, None, None]) + np.sin(angle) * (yy - cy[:, None, None])
    width = (rng.uniform(0.4, 0.8, (n, 1, 1)) * radius[:, None, None]).astype(f32)
    bar = np.clip(np.minimum(across - offset, offset + width - across) + 0.5, 0, 1)
    bar *= rng.uniform(0, 1, (n, 1, 1)) < 0.5
    _paint(image, bar[:, None].astype(f32), _colours(rng, n).astype(f32)[:, :, None, None])
    image += f32(0.04) * rng.standard_normal((n, 3, size, size), dtype=f32)
    return np.clip(image, 0, 1, out=image)


PRESETS = {"easy": _render, "hard": _render_hard}


class SyntheticShapes(TensorDataset):
    """n generated images of coloured shapes: float32 (n, 3, size, size) in [0, 1].

    Args:
        n: number of images; classes are balanced (counts differ by at most 1).
        size: image side in pixels.
        seed: everything (labels, shapes, colours, noise) follows from it.
        classes: an int k (the first k of ``SHAPES``) or a list of names
            from ``SHAPES``: circle, square, triangle, cross, ring, star,
            crescent, bar, frame, dots.
        preset: ``"easy"``, one shape on a gently textured background in a
            colour far from it; or ``"hard"``, hard the way natural images
            are: a textured, cluttered background, smaller distractor
            shapes, random colours (closer to the background's than the
            easy preset allows), a wider range of scales, and partial
            occlusion. The labelled shape is always the largest.
        transform: refused with a pointer to ``DataLoader(transform=...)``, where minicnn's
            batch transforms go.
    Labels int64 (n,) index ``self.classes``.
    """

    def __init__(self, n, size=32, seed=0, classes=SHAPES, preset="easy", *, transform=None):
        refuse_transforms("SyntheticShapes", transform)
        names = list(SHAPES[:classes]) if isinstance(classes, int) else list(classes)
        unknown = [c for c in names if c not in SHAPES]
        if unknown or len(names) < 2 or len(set(names)) != len(names):
            raise ValueError(
                f"SyntheticShapes: classes must be 2..{len(SHAPES)} distinct names "
                f"from {SHAPES} (or an int); got {classes!r}"
            )
        if int(n) != n or n < 0 or int(size) != size or size < 8:
            raise ValueError(f"SyntheticShapes: need n >= 0 and size >= 8, got n={n}, size={size}")
        if preset not in PRESETS:
            raise ValueError(f"SyntheticShapes: preset must be one of {sorted(PRESETS)}, got {preset!r}")
        render = PRESETS[preset]
        self.preset = preset
        n, size = int(n), int(size)
        rng = np.random.default_rng(seed)
        labels = rng.permutation(np.arange(n) % len(names)).astype(np.int64)
        images = np.empty((n, 3, size, size), dtype=np.float32)
        step = max(1, 2**21 // (size * size))  # bounds the temporaries to ~100 MB
        for start in range(0, n, step):
            images[start : start + step] = render(rng, labels[start : start + step], names, size)
        super().__init__(images, labels, classes=names)
