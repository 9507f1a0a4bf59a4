"""Winograd F(2x2, 3x3) convolution (winograd.py) run a few images at a time, with its
tile transforms as Numba loops.

The algebra and the choice of which convolutions take this path are winograd.py's (its
transforms of the weight are jitted loops too, in numba_winograd_weight.py: the same numbers,
several times faster). What differs besides is the order of the work. winograd.py makes the
transformed tiles V of the whole batch, then the 16 GEMMs' products M, then y: V and M are
each 4x the size of x (a 4x4 tile every 2x2 cells), so every stage streams tens of megabytes
through memory. Here one block of images at a time goes through all three stages, and its V
and M (about ``BLOCK_BYTES`` per thread) are read back from the caches (on the AMD EPYC, from
L3 rather than L2):

    V[4k + l, tile, c]  = (B^T d B)[k, l]     d = x padded [n, c, 2i : 2i+4, 2j : 2j+4]
    M[k]                = V[k] @ U[k]          the 16 GEMMs, (tiles x C) @ (C x O)
    y[n, o, 2i+a, 2j+b] = (A^T m A)[a, b] + bias[o]     m = M[:, tile, o]

(the tiles of a block numbered (b*th + i)*tw + j for its b-th image). The loops
keep channels last and split even columns from odd ones, so that each line of a
transform is one loop over a contiguous run of (tw+1)*C or tw*C values, which the compiler
turns into vector instructions (``_sub``, ``_add``, ``_at_pair``). Each loop is a
plain Python function first (``_name_py``) and jitted second, as in numba_cpu.py;
one image per parallel iteration. Convolutions that winograd.py sends to im2col.py
go to numba_im2col.py here: the same code with jitted copies; so do filters of few taps
(3 input channels or fewer), whose forward is faster by im2col's per-image GEMMs, and
convolutions of few output tiles (``few_tiles``: a small batch of small maps), where
transforming the weight costs more than the multiplications Winograd saves.

The transforms add and subtract neighbouring cells, so an inf in x gives NaN (inf - inf,
0 * inf) in some outputs the reference loops give as +-inf, and in gW also in taps that
never read the cell (docs/ops/conv2d.md, "Infinities and NaN").
"""

import numba
import numpy as np

from ..backend import Array, Pair, Shape
from . import by_images, im2col, numba_im2col, numba_winograd_weight, winograd
from .numba_threads import cores_shared_with_blas
from .sizes import conv_out_size
from .workspaces import workspace

# The bytes of one block's transformed tiles (V or M) per thread: a few images, so that
# the GEMMs read V and the output transform reads M from the caches, not from memory.
# NOTE: 2 MiB, not the 1 MiB first chosen on an Intel Xeon: on an AMD EPYC whole steps
# ran faster so, though V and M then outgrow its 1 MiB L2 and are read from L3
# (benchmarks/README.md, "Winograd's input a row at a time, in larger blocks")
BLOCK_BYTES = 2 << 20

# conv2d_grads takes both gradients by Winograd on "same" maps from this many cells (8 x 8,
# ResNet-20's third stage) up to numba_im2col.MIN_PIXELS, where numba_im2col's pair of
# gradient kernels ran slower. On smaller maps (VGG-11's 4 x 4 and 2 x 2, 512 channels)
# Winograd's gradients ran slower than that pair (benchmarks/README.md, "Both gradients by
# Winograd on small maps")
SMALL_MAP_CELLS = 64

# Winograd takes a convolution of at least MIN_TILES 2x2 output tiles (N * ceil(OH/2) *
# ceil(OW/2)), and at least TILES_PER_CHANNEL tiles per channel of its wider side, max(C, O);
# numba_im2col takes those of fewer (few_tiles)
MIN_TILES = 256
TILES_PER_CHANNEL = 2


def _sub_py(a, b, out):
    """out = a - b, over a run of values."""
    for e in range(out.shape[0]):
        out[e] = a[e] - b[e]


def _add_py(a, b, out):
    """out = a + b, over a run of values."""
    for e in range(out.shape[0]):
        out[e] = a[e] + b[e]


def _at_pair_py(m0, m1, m2, m3, out0, out1):
    """(out0, out1) = A^T (m0, m1, m2, m3) = (m0 + m1 + m2, m1 - m2 - m3), over a run of values."""
    for e in range(out0.shape[0]):
        out0[e] = m0[e] + m1[e] + m2[e]
        out1[e] = m1[e] - m2[e] - m3[e]


# jitted first: the loops call them, jitted or plain
_sub = numba.njit(cache=True, inline="always")(_sub_py)
_add = numba.njit(cache=True, inline="always")(_add_py)
_at_pair = numba.njit(cache=True, inline="always")(_at_pair_py)


def _a_py(g0, g1):
    """A g for a column g of 2."""
    return g0, g0 + g1, g0 - g1, -g1


_a = numba.njit(cache=True, inline="always")(_a_py)


def _row_pitch_py(W):
    """Values from one row of ``rows`` to the next: W rounded up to an odd number of
    16-value lines, so that in float32 (16 values a 64-byte line) rows in turn start in
    different L1 sets."""
    return 16 * ((-(-W // 16)) | 1)


_row_pitch = numba.njit(cache=True, inline="always")(_row_pitch_py)


def _data_tiles_py(x, n0, nb, ph, pw, th, tw, V):
    """V[4k + l, (b*th + i)*tw + j, c] = (B^T d B)[k, l] for d = x padded [n0 + b, c, 2i : 2i+4, 2j : 2j+4].

    Each image is first copied into a zero border, channel-last, its even and odd
    columns apart: xs[h, s, w*C + c] = x padded [n, c, h, 2w + s]. The 4 columns
    2j .. 2j+3 of every tile of a row are then xs[., 0, j], xs[., 1, j], xs[., 0, j+1],
    xs[., 1, j+1], so B^T goes down the columns of the whole row of tiles in runs of
    (tw+1)*C values, and B along its rows in runs of tw*C (columns j and j+1 are
    C values apart).

    The copy goes through ``rows``, row h of every channel: read straight from x, a
    cell's C channels lie one plane apart, and where a plane's bytes are a multiple of
    4 KiB (32 x 32 in float32) all C fall in one set of the L1 cache; with more channels
    than the set has ways, each line would be evicted before the next cell reads it.
    rows' pitch spreads them over the sets (``_row_pitch``).
    """
    _, C, H, W = x.shape
    run = tw * C
    Vf = V.reshape(16, V.shape[1] * C)
    pitch = _row_pitch(W)
    for b in numba.prange(nb):
        n = n0 + b
        xs = np.zeros((2 * th + 2, 2, run + C), dtype=x.dtype)
        rows = np.empty((C, pitch), dtype=x.dtype)
        for h in range(H):
            for c in range(C):  # row h of every channel, one row of rows each
                for w in range(W):
                    rows[c, w] = x[n, c, h, w]
            for w in range(W):
                s, half = (w + pw) % 2, (w + pw) // 2
                cell = xs[h + ph, s, half * C : half * C + C]
                for c in range(C):
                    cell[c] = rows[c, w]
        t = np.empty((4, 2, run + C), dtype=x.dtype)
        for i in range(th):
            d0, d1, d2, d3 = xs[2 * i], xs[2 * i + 1], xs[2 * i + 2], xs[2 * i + 3]
            for s in range(2):  # B^T d, down the columns
                _sub(d0[s], d2[s], t[0, s])
                _add(d1[s], d2[s], t[1, s])
                _sub(d2[s], d1[s], t[2, s])
                _sub(d1[s], d3[s], t[3, s])
            p = (b * th + i) * run
            for k in range(4):  # row k of B^T d, times B: columns 2j, 2j+1, 2j+2, 2j+3
                c0, c1, c2, c3 = t[k, 0, :run], t[k, 1, :run], t[k, 0, C:], t[k, 1, C:]
                _sub(c0, c2, Vf[4 * k, p : p + run])
                _add(c1, c2, Vf[4 * k + 1, p : p + run])
                _sub(c2, c1, Vf[4 * k + 2, p : p + run])
                _sub(c1, c3, Vf[4 * k + 3, p : p + run])


def _output_tiles_py(M, bias, n0, nb, th, tw, y):
    """y[n0 + b, o, 2i + a, 2j + s] = (A^T m A)[a, s] + bias[o] for m = M[:, (b*th + i)*tw + j, o],
    the cells past an odd output size dropped.

    Per row of tiles, A^T goes down the columns of all its tiles at once (r[a, l], runs
    of tw*O values, channels last), then A along the rows, which gives an output row's
    even and odd columns apart (ys[s, j*O + o]); those are written into y's planes last.
    """
    _, O, OH, OW = y.shape
    run = tw * O
    Mf = M.reshape(16, M.shape[1] * O)
    for b in numba.prange(nb):
        n = n0 + b
        r = np.empty((2, 4, run), dtype=M.dtype)
        ys = np.empty((2, run), dtype=M.dtype)
        for i in range(th):
            p = (b * th + i) * run
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


def _gy_tiles_py(gy, th, tw, GY):
    """GY[4k + l, (n*th + i)*tw + j, o] = (A g A^T)[k, l] for g = gy[n, o, 2i : 2i+2, 2j : 2j+2],
    zeros past an odd output size."""
    N, O, OH, OW = gy.shape
    zero = gy.dtype.type(0)
    for q in numba.prange(N * th):
        n, h = q // th, 2 * (q % th)
        for j in range(tw):
            p, w = q * tw + j, 2 * j
            for o in range(O):
                g00 = gy[n, o, h, w]
                g01 = gy[n, o, h, w + 1] if w + 1 < OW else zero
                g10 = gy[n, o, h + 1, w] if h + 1 < OH else zero
                g11 = gy[n, o, h + 1, w + 1] if h + 1 < OH and w + 1 < OW else zero
                c0, c1 = _a(g00, g10), _a(g01, g11)
                for k in range(4):  # row k of A g, times A^T
                    v = _a(c0[k], c1[k])
                    for l in range(4):
                        GY[4 * k + l, p, o] = v[l]


_data_tiles = numba.njit(cache=True, parallel=True)(_data_tiles_py)
_output_tiles = numba.njit(cache=True, parallel=True)(_output_tiles_py)
_gy_tiles = numba.njit(cache=True, parallel=True)(_gy_tiles_py)


# --- the pipeline -----------------------------------------------------------


def convolve(x: Array, weight: Array, bias: Array | None, padding: Pair) -> Array:
    """winograd.convolve, a block of images at a time: a new (N, O, OH, OW).

    A block holds as many images as keep its V or M within ``BLOCK_BYTES`` per thread of
    the loops (at least one).
    """
    N, C, H, W = x.shape
    O = weight.shape[0]
    OH, OW = conv_out_size(H, 3, 1, padding[0]), conv_out_size(W, 3, 1, padding[1])
    th, tw = winograd.tile_grid(OH, OW)
    U = numba_winograd_weight.weight_tiles(weight)
    y = np.empty((N, O, OH, OW), dtype=x.dtype)
    b = np.zeros(O, dtype=x.dtype) if bias is None else np.ascontiguousarray(bias)
    per_image = 16 * th * tw * max(C, O) * x.itemsize
    with cores_shared_with_blas():
        # one image per parallel iteration: at least one image for every thread, even
        # where an image's tiles alone are over BLOCK_BYTES
        threads = numba.get_num_threads()
        block = max(1, min(N, max(threads, threads * BLOCK_BYTES // per_image)))
        for n0 in range(0, N, block):
            nb = min(block, N - n0)
            V = workspace("winograd v", (16, nb * th * tw, C), x.dtype, np)
            M = workspace("winograd m", (16, nb * th * tw, O), x.dtype, np)
            _data_tiles(x, n0, nb, *padding, th, tw, V)
            im2col._per_group(V, U, out=M)
            _output_tiles(M, b, n0, nb, th, tw, y)
    return y


def data_tiles(x: Array, padding: Pair, th: int, tw: int) -> Array:
    """V = B^T d B of every 4x4 tile of x padded: (16, N*th*tw, C), a workspace."""
    N, C = x.shape[:2]
    V = workspace("winograd v", (16, N * th * tw, C), x.dtype, np)
    with cores_shared_with_blas():
        _data_tiles(x, 0, N, *padding, th, tw, V)
    return V


def gy_tiles(gy: Array, th: int, tw: int) -> Array:
    """A g A^T of every 2x2 tile of gy: (16, N*th*tw, O), a workspace."""
    N, O = gy.shape[:2]
    GY = workspace("winograd gy", (16, N * th * tw, O), gy.dtype, np)
    with cores_shared_with_blas():
        _gy_tiles(np.ascontiguousarray(gy), th, tw, GY)
    return GY


# --- the kernels ------------------------------------------------------------


def few_tiles(out_shape: Shape, weight_shape: Shape) -> bool:
    """Whether a 3x3 convolution of output ``out_shape`` (N, channels, OH, OW) has too few 2x2
    output tiles for Winograd: under MIN_TILES, or under TILES_PER_CHANNEL times the wider
    side of its weight (O, C, 3, 3). Its forward and gradients then go to numba_im2col.

    NOTE: Winograd transforms the whole weight on every call (U = G g G^T, its cost growing
    with O * C) and saves products on each tile, so with few tiles the transform outweighs
    them: at batch 1, 512 -> 512 channels on 4 x 4 maps took 8-13 times im2col's time. On 2
    BLAS threads Winograd stopped losing at about 256 tiles on narrow layers and at about
    twice the wider side's channels on wide ones; the bound is that point, and the figures
    for each shape, dtype and thread count are in benchmarks/README.md ("Winograd on few
    tiles"), measured with the transform in NumPy, several times slower than now.
    """
    N, _, OH, OW = out_shape
    th, tw = winograd.tile_grid(OH, OW)
    return N * th * tw < max(MIN_TILES, TILES_PER_CHANNEL * max(weight_shape[0], weight_shape[1]))


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_forward, a block of images at a time; filters of few taps (an RGB
    image's 3x3: 27) go to numba_im2col, whose per-image GEMMs (by_images.few_taps) took a
    half to a third of Winograd's time on them (benchmarks/README.md, "Filters of few taps");
    so do convolutions of few output tiles (``few_tiles``)."""
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
    """(gx, gW) of a "same" 3x3 convolution: gx as a convolution of gy by Winograd
    (``conv2d_input_grad``), gW from numba_im2col's columns of gy, an image at a time.

    numba_im2col.conv2d_grads reads each image's columns of gy in two GEMMs, one for each
    gradient; here they feed only gW's, and gx takes Winograd's 2.25x fewer
    multiplications. On maps numba_im2col declines as too small, down to SMALL_MAP_CELLS,
    gW is Winograd's too (``conv2d_weight_grad``, F(3x3, 2x2)). Other convolutions go to
    numba_im2col.conv2d_grads unchanged, and outside those maps None from it (the caller then
    runs the pair of gradient kernels) stays None; so do convolutions of few tiles
    (``few_tiles``).
    """
    if not winograd.applies(weight.shape, stride, dilation, groups) or few_tiles(x.shape, weight.shape):
        return numba_im2col.conv2d_grads(gy, x, weight, stride, padding, dilation, groups)
    grads = numba_im2col.conv2d_grads(gy, x, weight, stride, padding, dilation, groups, input_grad=False)
    if grads is not None:
        gw = grads[1]
    elif _small_same_map(x.shape, weight.shape, stride, padding, dilation, groups):
        gw = conv2d_weight_grad(gy, x, weight.shape, stride, padding, dilation, groups)
    else:
        return None
    return conv2d_input_grad(gy, weight, x.shape, stride, padding, dilation, groups), gw


def _out_shape(x_shape: Shape, out_channels: int, padding: Pair) -> Shape:
    """The (N, O, OH, OW) of a 3x3 stride-1 convolution of x."""
    N, _, H, W = x_shape
    return N, out_channels, conv_out_size(H, 3, 1, padding[0]), conv_out_size(W, 3, 1, padding[1])


def _small_same_map(x_shape, weight_shape, stride, padding, dilation, groups):
    """Whether a "same" convolution's map is from SMALL_MAP_CELLS to under numba_im2col's
    MIN_PIXELS cells: where conv2d_grads takes both gradients by Winograd."""
    cells = x_shape[2] * x_shape[3]
    same = im2col.full_padding(weight_shape, stride, padding, dilation, groups) is not None
    return same and SMALL_MAP_CELLS <= cells < numba_im2col.MIN_PIXELS


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """winograd.conv2d_weight_grad with jitted transforms (the whole batch at once); of few
    tiles (``few_tiles``, gy's), numba_im2col's."""
    if not winograd.applies(weight_shape, stride, dilation, groups) or few_tiles(gy.shape, weight_shape):
        return numba_im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    return winograd.weight_gradient(
        gy, x, padding, data_tiles, gy_tiles, numba_winograd_weight.weight_from_tiles
    )
