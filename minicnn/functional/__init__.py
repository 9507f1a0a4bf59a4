"""Ops as autograd Functions, one file per family (``import minicnn.functional as F``)."""

from .activation import relu, sigmoid, tanh
from .activation import cos, sin
from .activation import leaky_relu, prelu, rrelu
from .smooth_activation import celu, elu, gelu, mish, selu, silu, softplus, softsign
from .hard_activation import hardsigmoid, hardswish, hardtanh, relu6, threshold
from .shrink import hardshrink, softshrink, tanhshrink
from .glu import glu
from .dropout import alpha_dropout, dropout, dropout1d, dropout2d, feature_alpha_dropout
from .norm import batch_norm, local_response_norm
from .sample_norm import group_norm, layer_norm
from .instance_norm import instance_norm
from .basic import abs, add, exp, log, matmul, mul, neg, pow, sqrt, sub
from .clamping import clamp
from .copying import cast, clone, to_device
from .linear import linear
from .conv import conv2d
from .conv_transpose import conv_transpose2d
from .pooling import adaptive_avg_pool2d, adaptive_max_pool2d, avg_pool2d, max_pool2d
from .pooling import max_pool2d_with_indices
from .unpool import max_unpool2d
from .one_d import adaptive_avg_pool1d, adaptive_max_pool1d, avg_pool1d, conv1d, conv_transpose1d, max_pool1d
from .one_d import max_unpool1d
from .lp_pool import lp_pool1d, lp_pool2d
from .loss import cross_entropy, log_softmax, nll_loss, softmax
from .regression_loss import huber_loss, l1_loss, mse_loss, smooth_l1_loss
from .bce import binary_cross_entropy, binary_cross_entropy_with_logits
from .kl_div import kl_div
from .margin_loss import multi_margin_loss, multilabel_soft_margin_loss, soft_margin_loss
from .embedding_loss import cosine_embedding_loss, hinge_embedding_loss, margin_ranking_loss
from .embedding_loss import triplet_margin_loss

# (norm is mc.norm and x.norm: here the name is the module norm.py's)
from .reduce import amax, amin, argmax, argmin, logsumexp, max, mean, min, sum
from .variance import std, var
from .cumulative import cumsum, prod
from .shorthands import clamp_max, clamp_min, clip, reciprocal, square
from .pointwise import ceil, div, floor, floor_divide, maximum, minimum, remainder, round, sign, where
from .one_hot import one_hot
from .embedding import embedding
from .pad import pad
from .unfold import fold, unfold
from .interpolate import interpolate
from . import interpolate_antialias  # noqa: F401, E402  # loaded now, or a first antialiased call would add the name
from .rearrange import channel_shuffle, pixel_shuffle, pixel_unshuffle, unflatten
from .distance import cosine_similarity, normalize, pairwise_distance
from .log_sigmoid import logsigmoid, softmin
from .select import argsort, gather, index_select, masked_fill, sort, topk
from .index_writes import index_add, index_fill, scatter, scatter_add
from .ternary import addcdiv, addcmul, lerp
from .indexing import getitem
from .shape import cat, chunk, expand, flatten, permute, repeat, reshape, split, squeeze, stack
from .shape import transpose, unsqueeze, view
from .matrix import bmm, mm
from .reorder import flip, roll

# out=, as torch's (mc.add(x, y, out=z)); the Tensor methods (x.add(y)) take none, as torch's
from .out_arg import takes_out as _takes_out
from . import reduce

add, cos, div, exp, floor_divide, log, maximum, minimum, mul, pow = map(
    _takes_out, (add, cos, div, exp, floor_divide, log, maximum, minimum, mul, pow)
)
remainder, sigmoid, sin, sqrt, sub, tanh = map(_takes_out, (remainder, sigmoid, sin, sqrt, sub, tanh))
reciprocal, square = map(_takes_out, (reciprocal, square))
# (these, as torch's, take only an out of the result's own dtype)
abs, ceil, clamp, floor, neg, round, sign = (
    _takes_out(f, exact_dtype=True) for f in (abs, ceil, clamp, floor, neg, round, sign)
)
clamp_max, clamp_min, clip = (_takes_out(f, exact_dtype=True) for f in (clamp_max, clamp_min, clip))
where = _takes_out(where, exact_dtype=True, tensors=("condition", "input", "other"))  # numbers: no out=
matmul, mm, bmm = (_takes_out(f, exact_dtype=True) for f in (matmul, mm, bmm))
cat, stack = (_takes_out(f, dtype_error=TypeError, out_may_be_input=False) for f in (cat, stack))
# reductions compute in out's dtype, as torch's: sum, prod and cumsum in any (the input cast
# first: mc.sum(x, out=long_out) adds x's values truncated), the others into a floating out
sum, prod = (_takes_out(f, in_out_dtype=("biuf", "biuf")) for f in (sum, prod))
cumsum = _takes_out(cumsum, in_out_dtype=("biuf", "iuf"))  # (a bool out: refused, as torch's)
mean, std, var = (_takes_out(f, in_out_dtype=("f", "f")) for f in (mean, std, var))
logsumexp = _takes_out(logsumexp, in_out_dtype=("biuf", "f"))
amax, amin = (_takes_out(f, exact_dtype=True) for f in (amax, amin))
argmax, argmin = (_takes_out(f, exact_dtype=True, differentiable=False) for f in (argmax, argmin))
max, min = (_takes_out(f, pair=reduce.gives_pair) for f in (max, min))  # max(x, dim, out=(values, indices))

# give Tensor its operators and methods
from . import in_place_methods, numpy_protocol, setitem, tensor_methods
from . import in_place_fill, in_place_index, in_place_math, in_place_random

# relu_, elu_, ...: written into x under the rules of Tensor's in-place methods
from .in_place_activation import celu_, elu_, hardtanh_, leaky_relu_, relu_, rrelu_, selu_, threshold_

# torch's names this module lacks get a line on what minicnn has instead (dir() unchanged)
from ..torch_names import give_hints  # noqa: E402

give_hints("functional")
del give_hints
