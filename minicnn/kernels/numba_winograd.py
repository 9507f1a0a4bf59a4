"""Winograd F(2x2, 3x3) convolution (winograd.py) run image by image, each thread taking its
own images through the whole pipeline, with the tile transforms as Numba loops.

The algebra and the choice of which convolutions take this path are winograd.py's (its
transforms of the weight are jitted loops too, in numba_winograd_weight.py: the same numbers,
several times faster). What differs is the order of the work. winograd.py makes the
transformed tiles V of the whole batch, then the 16 GEMMs' products M, then y: V and M are
each 4x the size of x (a 4x4 tile every 2x2 cells), so every stage streams tens of megabytes
through memory. Here each parallel iteration takes a run of images, one image at a time
through all three stages, and that image's V and M are read back from its core's caches:

    V[4k + l, tile, c]  = (B^T d B)[k, l]     d = x padded [n, c, 2i : 2i+4, 2j : 2j+4]
    M[k]                = V[k] @ U[k]          the 16 GEMMs, (tiles x C) @ (C x O)
    y[n, o, 2i+a, 2j+b] = (A^T m A)[a, b] + bias[o]     m = M[:, tile, o]

(an image's tiles numbered i*tw + j). The GEMMs are ``np.dot`` inside the loop: Numba calls
BLAS from each thread, and BLAS runs on that thread alone (threads.py: minicnn holds BLAS to
one thread where its loops run), so the threads never wait for each other or for BLAS's own
pool. The weight gradient does the same: each run of images sums its own products
(``_weight_sums``), and the runs' sums are added last; there the GEMMs' inner axis is the
tiles, few in one image of a small map, so each GEMM takes the tiles of a block of images
(``images_per_block``). The loops keep channels last and split
even columns from odd ones, so that each line of a transform is one loop over a contiguous
run of (tw+1)*C or tw*C values, which the compiler turns into vector instructions (``_sub``,
``_add``, ``_at_pair``). Each loop is a plain Python function first (``_name_py``) and jitted
second, as in numba_cpu.py. What Winograd does not take goes to numba_im2col.py: other
convolutions, filters of few taps (3 input channels or fewer) and few output tiles
(``few_tiles``), where transforming the weight costs more than the products it saves.

The transforms add and subtract neighbouring cells, so an inf in x gives NaN (inf - inf,
0 * inf) in some outputs the reference loops give as +-inf, and in gW also in taps that
never read the cell (docs/ops/conv2d.md, "Infinities and NaN").
"""

import numba
import numpy as np

from ..backend import Array, Pair, Shape
from . import (
    by_images,
    numba_compiling,  # noqa: F401  # says so as a first run compiles the loops
    numba_im2col,
    numba_winograd_weight,
    winograd,
)
from .sizes import conv_out_size

# Winograd takes a convolution of at least MIN_TILES 2x2 output tiles (N * ceil(OH/2) *
# ceil(OW/2)), and at least TILES_PER_CHANNEL tiles per channel of its wider side, max(C, O);
# numba_im2col takes those of fewer (few_tiles)
MIN_TILES = 256
TILES_PER_CHANNEL = 2

# The weight gradient sums over blocks of images whose transformed tiles (x's and gy's) take up
# to BLOCK_BYTES, so that a block stays in one core's L2 cache (1 MiB on the machine of the
# records) while its 16 GEMMs read it (images_per_block)
BLOCK_BYTES = 1 << 20


def _sub_py(a, b, out):
    """out = a - b, over a run of values."""
    for e in range(out.shape[0]):
        out[e] = a[e] - b[e]


def _add_py(a, b, out):
    """out = a + b, over a run of values."""
    for e in range(out.shape[0]):
        out[e] = a[e] + b[e]


def _neg_py(a, out):
    """out = -a, over a run of values."""
    for e in range(out.shape[0]):
        out[e] = -a[e]


def _at_pair_py(m0, m1, m2, m3, out0, out1):
    """(out0, out1) = A^T (m0, m1, m2, m3) = (m0 + m1 + m2, m1 - m2 - m3), over a run of values."""
    for e in range(out0.shape[0]):
        out0[e] = m0[e] + m1[e] + m2[e]
        out1[e] = m1[e] - m2[e] - m3[e]


# jitted first: the loops call them, jitted or plain
_sub = numba.njit(cache=True, inline="always")(_sub_py)
_add = numba.njit(cache=True, inline="always")(_add_py)
_neg = numba.njit(cache=True, inline="always")(_neg_py)
_at_pair = numba.njit(cache=True, inline="always")(_at_pair_py)


def _row_pitch_py(W):
    """Values from one row of ``rows`` to the next: W rounded up to an odd number of
    16-value lines, so that in float32 (16 values a 64-byte line) rows in turn start in
    different L1 sets."""
    return 16 * ((-(-W // 16)) | 1)


_row_pitch = numba.njit(cache=True, inline="always")(_row_pitch_py)


def _split_columns_py(x, n, ph, pw, xs):
    """xs[h + ph, s, k*C + c] = x[n, c, h, w] where w + pw = 2k + s: image n channel-last, the
    even and odd columns of its padded image apart (the rest of xs, a border, is not written).

    The copy goes through ``rows``, row h of every channel: read straight from x, a
    cell's C channels lie one plane apart, and where a plane's bytes are a multiple of
    4 KiB (32 x 32 in float32) all C fall in one set of the L1 cache; with more channels
    than the set has ways, each line would be evicted before the next cell reads it.
    rows' pitch spreads them over the sets (``_row_pitch``).
    """
    _, C, H, W = x.shape
    rows = np.empty((C, _row_pitch(W)), dtype=x.dtype)
    for h in range(H):
        for c in range(C):  # row h of every channel, one row of rows each
            for w in range(W):
                rows[c, w] = x[n, c, h, w]
        for w in range(W):
            s, half = (w + pw) % 2, (w + pw) // 2
            cell = xs[h + ph, s, half * C : half * C + C]
            for c in range(C):
                cell[c] = rows[c, w]


_split_columns = numba.njit(cache=True)(_split_columns_py)


def _image_tiles_py(x, n, ph, pw, th, tw, V, first):
    """V[4k + l, first + i*tw + j, c] = (B^T d B)[k, l] for d = x padded [n, c, 2i : 2i+4, 2j : 2j+4]:
    one image, its tiles from row ``first`` of V on (V holds a block of images, one after another).

    The image is first copied into a zero border, channel-last, its even and odd
    columns apart (``_split_columns``): xs[h, s, w*C + c] = x padded [n, c, h, 2w + s].
    The 4 columns 2j .. 2j+3 of every tile of a row are then xs[., 0, j], xs[., 1, j],
    xs[., 0, j+1], xs[., 1, j+1], so B^T goes down the columns of the whole row of tiles in
    runs of (tw+1)*C values, and B along its rows in runs of tw*C (columns j and j+1 are
    C values apart).
    """
    _, C, H, W = x.shape
    run = tw * C
    Vf = V.reshape(16, V.shape[1] * C)
    xs = np.zeros((2 * th + 2, 2, run + C), dtype=x.dtype)
    _split_columns(x, n, ph, pw, xs)
    t = np.empty((4, 2, run + C), dtype=x.dtype)
    for i in range(th):
        d0, d1, d2, d3 = xs[2 * i], xs[2 * i + 1], xs[2 * i + 2], xs[2 * i + 3]
        for s in range(2):  # B^T d, down the columns
            _sub(d0[s], d2[s], t[0, s])
            _add(d1[s], d2[s], t[1, s])
            _sub(d2[s], d1[s], t[2, s])
            _sub(d1[s], d3[s], t[3, s])
        p = first * C + i * run
        for k in range(4):  # row k of B^T d, times B: columns 2j, 2j+1, 2j+2, 2j+3
            c0, c1, c2, c3 = t[k, 0, :run], t[k, 1, :run], t[k, 0, C:], t[k, 1, C:]
            _sub(c0, c2, Vf[4 * k, p : p + run])
            _add(c1, c2, Vf[4 * k + 1, p : p + run])
            _sub(c2, c1, Vf[4 * k + 2, p : p + run])
            _sub(c1, c3, Vf[4 * k + 3, p : p + run])


def _image_output_py(M, bias, n, y):
    """y[n, o, 2i + a, 2j + s] = (A^T m A)[a, s] + bias[o] for m = M[:, i*tw + j, o]: one image,
    the cells past an odd output size dropped.

    Per row of tiles, A^T goes down the columns of all its tiles at once (r[a, l], runs
    of tw*O values, channels last), then A along the rows, which gives an output row's
    even and odd columns apart (ys[s, j*O + o]); those are written into y's planes last.
    """
    _, O, OH, OW = y.shape
    th, tw = (OH + 1) // 2, (OW + 1) // 2
    run = tw * O
    Mf = M.reshape(16, M.shape[1] * O)
    r = np.empty((2, 4, run), dtype=M.dtype)
    ys = np.empty((2, run), dtype=M.dtype)
    for i in range(th):
        p = i * run
        for l in range(4):  # A^T m, down the columns (rows l, 4 + l, 8 + l, 12 + l of M)
            m0, m1, m2, m3 = (
                Mf[l, p : p + run],
                Mf[4 + l, p : p + run],
                Mf[8 + l, p : p + run],
                Mf[12 + l, p : p + run],
            )
            _at_pair(m0, m1, m2, m3, r[0, l], r[1, l])
        for a in range(min(2, OH - 2 * i)):  # row a of A^T m, times A
            _at_pair(r[a, 0], r[a, 1], r[a, 2], r[a, 3], ys[0], ys[1])
            for o in range(O):
                row = y[n, o, 2 * i + a]
                for s in range(2):  # columns 2j + s, those past OW dropped
                    for j in range((OW - s + 1) // 2):
                        row[2 * j + s] = ys[s, j * O + o] + bias[o]


def _image_gy_tiles_py(gy, n, GY, first):
    """GY[4k + l, first + i*tw + j, o] = (A g A^T)[k, l] for g = gy[n, o, 2i : 2i+2, 2j : 2j+2]: one
    image, its tiles from row ``first`` of GY on, zeros past an odd output size.

    As in ``_image_tiles``: gy[n] is first copied channel-last, its even and odd columns
    apart, gs[h, s, j*O + o] = gy[n, o, h, 2j + s] (``_split_columns``); then A goes down
    the two rows of a row of tiles (c[k, s], runs of tw*O values) and along them, which
    gives GY's 16 rows for that row of tiles as runs too.
    """
    _, O, OH, OW = gy.shape
    th, tw = (OH + 1) // 2, (OW + 1) // 2
    run = tw * O
    GYf = GY.reshape(16, GY.shape[1] * O)
    gs = np.zeros((2 * th, 2, run), dtype=gy.dtype)  # zeros past an odd size stay
    _split_columns(gy, n, 0, 0, gs)
    c = np.empty((4, 2, run), dtype=gy.dtype)
    for i in range(th):
        g0, g1 = gs[2 * i], gs[2 * i + 1]
        for s in range(2):  # A g, down the columns: g0, g0 + g1, g0 - g1, -g1
            c[0, s] = g0[s]
            _add(g0[s], g1[s], c[1, s])
            _sub(g0[s], g1[s], c[2, s])
            _neg(g1[s], c[3, s])
        p = first * O + i * run
        for k in range(4):  # row k of A g, times A^T: the same four along the row
            GYf[4 * k, p : p + run] = c[k, 0]
            _add(c[k, 0], c[k, 1], GYf[4 * k + 1, p : p + run])
            _sub(c[k, 0], c[k, 1], GYf[4 * k + 2, p : p + run])
            _neg(c[k, 1], GYf[4 * k + 3, p : p + run])


_image_tiles = numba.njit(cache=True)(_image_tiles_py)
_image_output = numba.njit(cache=True)(_image_output_py)
_image_gy_tiles = numba.njit(cache=True)(_image_gy_tiles_py)


def _convolve_py(x, U, bias, ph, pw, parts, y):
    """y = the convolution of x by the filters U (16, C, O), the images split into ``parts``
    runs, one per parallel iteration: for each image its tiles V, the 16 GEMMs
    M[k] = V[k] @ U[k] (BLAS on this thread alone), then y[n] from M."""
    N, C = x.shape[:2]
    O = U.shape[2]
    th, tw = (y.shape[2] + 1) // 2, (y.shape[3] + 1) // 2
    for q in numba.prange(parts):
        V = np.empty((16, th * tw, C), dtype=x.dtype)
        M = np.empty((16, th * tw, O), dtype=x.dtype)
        for n in range(N * q // parts, N * (q + 1) // parts):
            _image_tiles(x, n, ph, pw, th, tw, V, 0)
            for k in range(16):
                np.dot(V[k], U[k], M[k])
            _image_output(M, bias, n, y)


def _weight_sums_py(gy, x, ph, pw, block, sums):
    """sums[q, k] = sum of (A g A^T)[k]^T @ (B^T d B)[k] over the tiles of the q-th run of images
    (``sums`` holds one (16, O, C) slot per run, one run per parallel iteration), ``block``
    images' tiles to a GEMM."""
    N, C = x.shape[:2]
    O = gy.shape[1]
    parts = sums.shape[0]
    th, tw = (gy.shape[2] + 1) // 2, (gy.shape[3] + 1) // 2
    tiles = th * tw
    for q in numba.prange(parts):
        V = np.empty((16, block * tiles, C), dtype=x.dtype)
        GY = np.empty((16, block * tiles, O), dtype=x.dtype)
        product = np.empty((O, C), dtype=x.dtype)
        start, stop = N * q // parts, N * (q + 1) // parts
        for n0 in range(start, stop, block):
            rows = min(block, stop - n0) * tiles
            for n in range(n0, n0 + rows // tiles):
                _image_tiles(x, n, ph, pw, th, tw, V, (n - n0) * tiles)
                _image_gy_tiles(gy, n, GY, (n - n0) * tiles)
            for k in range(16):
                np.dot(GY[k, :rows].T, V[k, :rows], product)
                sums[q, k] += product


_convolve = numba.njit(cache=True, parallel=True)(_convolve_py)
_weight_sums = numba.njit(cache=True, parallel=True)(_weight_sums_py)


# --- the pipeline -----------------------------------------------------------


def convolve(x: Array, weight: Array, bias: Array | None, padding: Pair) -> Array:
    """winograd.convolve, each thread taking its own images through all three stages: a new
    (N, O, OH, OW)."""
    N, C, H, W = x.shape
    O = weight.shape[0]
    OH, OW = conv_out_size(H, 3, 1, padding[0]), conv_out_size(W, 3, 1, padding[1])
    y = np.empty((N, O, OH, OW), dtype=x.dtype)
    b = np.zeros(O, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
    U = numba_winograd_weight.weight_tiles(weight)
    _convolve(np.ascontiguousarray(x), U, b, *padding, numba_im2col.parts(N), y)
    return y


def weight_gradient(gy: Array, x: Array, padding: Pair) -> Array:
    """winograd.weight_gradient, each thread summing its own images' products: (O, C, 3, 3), new."""
    N, C = x.shape[:2]
    O = gy.shape[1]
    block = images_per_block(winograd.tile_grid(gy.shape[2], gy.shape[3]), C + O, x.dtype.itemsize)
    sums = np.zeros((numba_im2col.parts(N), 16, O, C), dtype=x.dtype)
    _weight_sums(np.ascontiguousarray(gy), np.ascontiguousarray(x), *padding, block, sums)
    return numba_winograd_weight.weight_from_tiles(sums.sum(axis=0))


def images_per_block(tile_grid: tuple[int, int], channels: int, itemsize: int) -> int:
    """How many images' tiles go to one of the weight gradient's GEMMs: as many as fit, with their
    16 transforms of ``channels`` values a tile (C + O: x's and gy's), in BLOCK_BYTES; one at least.
    (On a small map an image has few tiles, 16 on 8 x 8: too short an inner axis for BLAS.)
    """
    th, tw = tile_grid
    return max(1, BLOCK_BYTES // (16 * th * tw * channels * itemsize))


# --- the kernels ------------------------------------------------------------


def few_tiles(out_shape: Shape, weight_shape: Shape) -> bool:
    """Whether a 3x3 convolution of output ``out_shape`` (N, channels, OH, OW) has too few 2x2
    output tiles for Winograd: under MIN_TILES, or under TILES_PER_CHANNEL times the wider
    side of its weight (O, C, 3, 3). Its forward and gradients then go to numba_im2col.

    NOTE: Winograd transforms the whole weight on every call (U = G g G^T, a cost growing with
    O * C) and saves products on each tile, so with few tiles the transform outweighs them (at
    batch 1, 512 -> 512 channels on 4 x 4 maps: 8-13 times im2col's time). The bound is where
    it stopped losing on 2 BLAS threads (benchmarks/README.md, "Winograd on few tiles"),
    measured with the transform in NumPy, several times slower than now.
    """
    N, _, OH, OW = out_shape
    th, tw = winograd.tile_grid(OH, OW)
    return N * th * tw < max(MIN_TILES, TILES_PER_CHANNEL * max(weight_shape[0], weight_shape[1]))


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_forward, each thread taking its own images; filters of few taps (an RGB
    image's 3x3: 27) go to numba_im2col, whose per-image GEMMs took a half to a third of
    Winograd's time on them (benchmarks/README.md, "Filters of few taps"), and so do
    convolutions of few output tiles (``few_tiles``)."""
    O, C, KH, KW = weight.shape
    if (
        not winograd.applies(weight.shape, stride, dilation, groups)
        or by_images.few_taps(x, C * KH * KW, groups)
        or few_tiles(_out_shape(x.shape, O, padding), weight.shape)
    ):
        return numba_im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    return convolve(x, weight, bias, padding)


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_input_grad (gx as a convolution of gy), a block of images at a time;
    of few tiles (``few_tiles``, gx's), numba_im2col's."""
    if (
        not winograd.applies(weight.shape, stride, dilation, groups)
        or max(padding) > 2
        or few_tiles(x_shape, weight.shape)
    ):
        return numba_im2col.conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups)
    return convolve(gy, *winograd.input_grad_as_convolution(weight, padding))


def conv2d_grads(
    gy: Array, x: Array, weight: Array, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> tuple[Array, Array] | None:
    """(gx, gW) of a 3x3 stride-1 convolution, both by Winograd: gx as a convolution of gy
    (``conv2d_input_grad``), gW by F(3x3, 2x2) over blocks of images (``conv2d_weight_grad``).

    Taken on maps large and small, "same", widening or unpadded alike: on every shape measured,
    from 2 x 2 to 32 x 32 maps, the pair of gradient kernels (im2col's columns) and numba_im2col's
    joint kernel ran slower (benchmarks/README.md, "Both gradients by Winograd, gW in blocks of
    images"). Other convolutions go to numba_im2col.conv2d_grads, which answers for the "same"
    ones it has an algorithm for, and None for the rest (the caller then runs the pair); so do
    convolutions of few tiles (``few_tiles``) and a padding above 2 (gx's convolution would
    need a negative one).
    """
    if (
        not winograd.applies(weight.shape, stride, dilation, groups)
        or max(padding) > 2
        or few_tiles(x.shape, weight.shape)
        or few_tiles(gy.shape, weight.shape)
    ):
        return numba_im2col.conv2d_grads(gy, x, weight, stride, padding, dilation, groups)
    return (
        conv2d_input_grad(gy, weight, x.shape, stride, padding, dilation, groups),
        conv2d_weight_grad(gy, x, weight.shape, stride, padding, dilation, groups),
    )


def _out_shape(x_shape: Shape, out_channels: int, padding: Pair) -> Shape:
    """The (N, O, OH, OW) of a 3x3 stride-1 convolution of x."""
    N, _, H, W = x_shape
    return N, out_channels, conv_out_size(H, 3, 1, padding[0]), conv_out_size(W, 3, 1, padding[1])


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_weight_grad, each thread summing its own images in blocks
    (``weight_gradient``); of few tiles (``few_tiles``, gy's), numba_im2col's."""
    if not winograd.applies(weight_shape, stride, dilation, groups) or few_tiles(gy.shape, weight_shape):
        return numba_im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    return weight_gradient(gy, x, padding)
