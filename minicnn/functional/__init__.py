"""Ops as autograd Functions, one file per family (``import minicnn.functional as F``)."""

from .activation import relu, sigmoid, tanh
from .activation import leaky_relu, prelu, rrelu
from .dropout import dropout, dropout2d
from .norm import batch_norm, local_response_norm
from .basic import abs, add, cast, clamp, div, exp, floor_divide, log, matmul, mul, neg, pow, sqrt, sub
from .basic import to_device, where
from .linear import linear
from .conv import conv2d
from .pooling import adaptive_avg_pool2d, avg_pool2d, max_pool2d
from .loss import cross_entropy, log_softmax, mse_loss, nll_loss, softmax
from .bce import binary_cross_entropy, binary_cross_entropy_with_logits
from .reduce import amax, amin, max, mean, min, std, sum, var
from .shape import cat, chunk, expand, flatten, getitem, permute, repeat, reshape, split, squeeze, stack
from .shape import transpose, unsqueeze, view
from . import numpy_protocol, tensor_methods  # give Tensor its operators and methods
