"""3x3 stride-1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin & Gray 2016,
"Fast Algorithms for Convolutional Neural Networks").

A 4x4 tile d of the input and a 3x3 filter g give a 2x2 tile of the output as

    Y = A^T [ (G g G^T) ⊙ (B^T d B) ] A

          [1  0 -1  0]         [ 1    0    0 ]
    B^T = [0  1  1  0]     G = [1/2  1/2  1/2]     A^T = [1  1  1  0]
          [0 -1  1  0]         [1/2 -1/2  1/2]           [0  1 -1 -1]
          [0  1  0 -1]         [ 0    0    1 ]

16 multiplications per tile where the direct sum takes 36. Tiles start every 2
cells, so they overlap by 2; the tile grid is ceil(OH/2) x ceil(OW/2), and an odd
output size reads one more row or column of zero padding, whose outputs are
dropped. Both transforms are linear, so the sum over input channels moves inside:

    M[k,l] = V[k,l] @ U[k,l]    V = B^T d B as (16, tiles, C),  U = G g G^T as (16, C, O)

16 GEMMs of (tiles x C) @ (C x O), each (k, l) entry of the 4x4 transformed tile on
its own, then Y = A^T M A per tile. (Tiles are laid out channel-last, so V and M
are the GEMMs' operands as they stand.) B^T and A^T hold only 0 and ±1: their
transforms are additions of shifted views of the arrays, written once in ``_combine``.

The gradients:
- gx is itself a 3x3 stride-1 convolution: of gy, padded by 2 - p, with the kernel
  flipped and in/out channels swapped (im2col.py's ``flipped_transposed_weight``, as a view).
- gW is F(3x3, 2x2), the same identity with the roles of filter and output swapped:
  the trilinear form sum_k (A y)_k (G g)_k (B^T d)_k that defines F(2, 3) differentiated
  by g, in 2-D:

      gW = G^T [ sum over batch and tiles of (A gy A^T) ⊙ (B^T d B) ] G

  where gy's 2x2 tiles meet x's 4x4 tiles: 16 GEMMs of (O x tiles) @ (tiles x C).
  (A holds only 0 and ±1 too.)

Every other convolution (another size, stride, dilation, groups; gx when p > 2) goes
to im2col.py unchanged. The transforms subtract neighbouring cells, so an inf in x can
give NaN (inf - inf) where the direct sum gives ±inf (docs/ops/conv2d.md). This file is
the pipeline to read, in ``xp`` code and tested against the reference loops; no tier
calls it directly: numba_winograd.py runs the same pipeline image by image, each thread
taking its own images, with jitted transforms, in "auto".
"""

from .. import backend
from ..backend import Array, Pair, Shape
from . import im2col
from .sizes import conv_out_size
from .workspaces import workspace, zeroed

B_T = ((1, 0, -1, 0), (0, 1, 1, 0), (0, -1, 1, 0), (0, 1, 0, -1))
G = ((1, 0, 0), (0.5, 0.5, 0.5), (0.5, -0.5, 0.5), (0, 0, 1))
A_T = ((1, 1, 1, 0), (0, 1, -1, -1))
A = tuple(zip(*A_T))


def applies(weight_shape: Shape, stride: Pair, dilation: Pair, groups: int) -> bool:
    """Whether a convolution takes the Winograd path: 3x3, stride 1, dilation 1, one group."""
    return tuple(weight_shape[2:]) == (3, 3) and tuple(stride) == tuple(dilation) == (1, 1) and groups == 1


def conv2d_forward(
    x: Array, weight: Array, bias: Array | None, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """y = A^T [ U ⊙ V ] A per 2x2 output tile, U = G g G^T, V = B^T d B, summed over channels."""
    if not applies(weight.shape, stride, dilation, groups):
        return im2col.conv2d_forward(x, weight, bias, stride, padding, dilation, groups)
    return convolve(x, weight, bias, padding)


def conv2d_input_grad(
    gy: Array, weight: Array, x_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gx = gy convolved with W'[c, o, u, v] = W[o, c, 2-u, 2-v], padding 2 - p (the full correlation)."""
    if not applies(weight.shape, stride, dilation, groups) or max(padding) > 2:
        return im2col.conv2d_input_grad(gy, weight, x_shape, stride, padding, dilation, groups)
    return convolve(gy, *input_grad_as_convolution(weight, padding))


def conv2d_weight_grad(
    gy: Array, x: Array, weight_shape: Shape, stride: Pair, padding: Pair, dilation: Pair, groups: int
) -> Array:
    """gW = G^T [ sum over batch and tiles of (A gy A^T) ⊙ (B^T d B) ] G:  F(3x3, 2x2)."""
    if not applies(weight_shape, stride, dilation, groups):
        return im2col.conv2d_weight_grad(gy, x, weight_shape, stride, padding, dilation, groups)
    return weight_gradient(gy, x, padding)


# --- the pipeline: transforms, 16 GEMMs, transform back --------------------
# ``data_tiles(x, padding, th, tw)`` gives V (16, N*th*tw, C); ``output_tiles(M, bias,
# y_shape, th, tw)`` the new y from M (16, N*th*tw, O); ``gy_tiles(gy, th, tw)`` gives
# (A gy A^T) as (16, N*th*tw, O). Tile (n, i, j) is row (n*th + i)*tw + j. (numba_winograd.py
# runs the same pipelines image by image, each thread taking its own images.)


def tile_grid(OH: int, OW: int) -> Pair:
    """(th, tw): the 2x2 output tiles that cover OH x OW, an odd size rounded up."""
    return -(-OH // 2), -(-OW // 2)


def convolve(x, weight, bias, padding):
    """The 3x3 stride-1 convolution of x (N, C, H, W) by weight (O, C, 3, 3): a new (N, O, OH, OW)."""
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    O = weight.shape[0]
    OH, OW = conv_out_size(H, 3, 1, padding[0]), conv_out_size(W, 3, 1, padding[1])
    th, tw = tile_grid(OH, OW)
    V = data_tiles(x, padding, th, tw)
    M = workspace("winograd m", (16, N * th * tw, O), x.dtype, xp)
    im2col._per_group(V, weight_tiles(weight), out=M)
    return output_tiles(M, bias, (N, O, OH, OW), th, tw)


def weight_gradient(gy, x, padding):
    """gW (O, C, 3, 3), a new array: S[k, l] = (A gy A^T)[k, l]^T @ V[k, l] over all tiles, then G^T S G."""
    th, tw = tile_grid(*gy.shape[2:])
    V = data_tiles(x, padding, th, tw)
    S = im2col._per_group(gy_tiles(gy, th, tw).transpose(0, 2, 1), V)
    return weight_from_tiles(S)


def weight_tiles(weight: Array) -> Array:
    """U = G g G^T of every filter, as the (C x O) operands of the GEMMs: (16, C, O), a new array."""
    xp = backend.xp_of(weight)
    O, C = weight.shape[:2]
    g = xp.asarray(G, dtype=weight.dtype)
    # NOTE: two plain GEMMs over all O*C filters at once. ``g @ weight @ g.T`` gives the
    # same numbers as O*C separate small products, which NumPy's batched matmul runs
    # one matrix at a time, far slower than one GEMM
    wg = (weight.reshape(O * C * 3, 3) @ g.T).reshape(O * C, 3, 4)  # w G^T, per filter
    u = g @ wg.transpose(1, 0, 2).reshape(3, O * C * 4)  # G (w G^T): (4, O*C*4)
    return xp.ascontiguousarray(u.reshape(4, O, C, 4).transpose(0, 3, 2, 1)).reshape(16, C, O)


def weight_from_tiles(S: Array) -> Array:
    """gW = G^T s G of every 4x4 tile s = S[:, o, c] of S (16, O, C): (O, C, 3, 3), a new array."""
    xp = backend.xp_of(S)
    _, O, C = S.shape
    g = xp.asarray(G, dtype=S.dtype)
    return g.T @ S.reshape(4, 4, O, C).transpose(2, 3, 0, 1) @ g


def input_grad_as_convolution(weight: Array, padding: Pair) -> tuple[Array, None, Pair]:
    """(W', bias, padding) of the convolution of gy that gives gx: W' flipped with in/out swapped, 2 - p.

    W' is a view of the weight (im2col.py's ``flipped_transposed_weight`` as it reads, not
    copied): the convolution transforms it at once, reading it where it lies, so a copy
    made first would be read once and dropped (numba_winograd's jitted transform reads the
    view in place; ``weight_tiles`` here copies it in its reshape).
    """
    return weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1], None, (2 - padding[0], 2 - padding[1])


# --- the transforms on xp ---------------------------------------------------


def data_tiles(x: Array, padding: Pair, th: int, tw: int) -> Array:
    """V = B^T d B of every 4x4 tile d of x padded, tile (i, j) at (2i, 2j): (16, N*th*tw, C).

    x is first copied channel-last into a zero border (kept per shape, so only its
    interior is rewritten), deep enough for th x tw whole tiles; then B^T is applied
    down the columns of every tile at once (rows 2i + m are one strided view per m),
    then along its rows. Channels last: each addition runs over C contiguous values,
    and V is the (tiles x C) operand of the GEMMs as it stands. A workspace.
    """
    xp = backend.xp_of(x)
    N, C, H, W = x.shape
    ph, pw = padding
    xpad = zeroed(("winograd x channel-last", x.shape, ph, pw), (N, 2 * th + 2, 2 * tw + 2, C), x.dtype, xp)
    xp.copyto(xpad[:, ph : ph + H, pw : pw + W], x.transpose(0, 2, 3, 1))
    rows = workspace("winograd rows", (4, N, th, 2 * tw + 2, C), x.dtype, xp)
    _combine(B_T, [xpad[:, m : m + 2 * th : 2] for m in range(4)], rows)
    V = workspace("winograd v", (4, 4, N, th, tw, C), x.dtype, xp)
    _combine(B_T, [rows[:, :, :, m : m + 2 * tw : 2] for m in range(4)], V.swapaxes(0, 1))
    return V.reshape(16, N * th * tw, C)


def output_tiles(M: Array, bias: Array | None, y_shape: Shape, th: int, tw: int) -> Array:
    """y[n, o, 2i + a, 2j + b] = (A^T m A)[a, b] + bias[o] for m = M[:, tile (n, i, j), o]: a new array.

    An odd output size drops the tiles' last row or column.
    """
    xp = backend.xp_of(M)
    N, O, OH, OW = y_shape
    M = M.reshape(4, 4, N, th, tw, O)
    rows = workspace("winograd rows", (2, 4, N, th, tw, O), M.dtype, xp)
    _combine(A_T, list(M), rows)
    Y = workspace("winograd y", (N, O, th, 2, tw, 2), M.dtype, xp)  # y's cells, odd sizes rounded up
    _combine(A_T, [rows[:, m] for m in range(4)], Y.transpose(5, 3, 0, 2, 4, 1))
    y = xp.empty(y_shape, dtype=M.dtype)
    xp.copyto(y, Y.reshape(N, O, 2 * th, 2 * tw)[:, :, :OH, :OW])
    if bias is not None:
        y += bias.reshape(1, O, 1, 1)
    return y


def gy_tiles(gy: Array, th: int, tw: int) -> Array:
    """A g A^T of every 2x2 tile g of gy, tile (i, j) at (2i, 2j): (16, N*th*tw, O), a workspace.

    gy is copied channel-last onto a grid of whole tiles, padded with zeros: they give
    the extra input row or column of an odd output size no weight.
    """
    xp = backend.xp_of(gy)
    N, O, OH, OW = gy.shape
    gpad = zeroed(("winograd gy", gy.shape), (N, 2 * th, 2 * tw, O), gy.dtype, xp)
    xp.copyto(gpad[:, :OH, :OW], gy.transpose(0, 2, 3, 1))
    rows = workspace("winograd rows", (4, N, th, 2 * tw, O), gy.dtype, xp)
    _combine(A, [gpad[:, a::2] for a in range(2)], rows)
    GY = workspace("winograd gy", (4, 4, N, th, tw, O), gy.dtype, xp)
    _combine(A, [rows[:, :, :, b::2] for b in range(2)], GY.swapaxes(0, 1))
    return GY.reshape(16, N * th * tw, O)


def _combine(matrix, parts, out):
    """out[k] = sum_m matrix[k][m] parts[m] for a matrix of 0 and ±1 entries: additions only.

    Each row is summed with the signs relative to its first term, then negated if
    that term's sign is -1.
    """
    xp = backend.xp_of(out)
    for k, row in enumerate(matrix):
        (s0, p0), *rest = [(c, parts[m]) for m, c in enumerate(row) if c]
        if rest:
            (s1, p1), *rest = rest
            (xp.add if s1 == s0 else xp.subtract)(p0, p1, out=out[k])
        else:
            xp.copyto(out[k], p0)
        for s, p in rest:
            (xp.add if s == s0 else xp.subtract)(out[k], p, out=out[k])
        if s0 < 0:
            xp.negative(out[k], out=out[k])
    return out
