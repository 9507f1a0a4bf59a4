"""Dropout layers: Dropout, Dropout1d, Dropout2d, AlphaDropout, FeatureAlphaDropout and DropConnect."""

from .. import functional as F
from ..functional.checks import check_p
from .module import Module


class Dropout(Module):
    """Inverted dropout (AlexNet's fc6 and fc7): zero each element with probability p
    in training, scale the rest by 1/(1 - p); the identity in eval mode.

    Shapes: any -> the same. ``inplace`` is PyTorch's, accepted and shown as PyTorch shows it,
    never used: x is never written into (docs/ops/dropout.md).
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        check_p(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training, self.inplace, name=self._label())

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(Dropout):
    """Channel dropout of signals: each (n, c) row of L values is zeroed whole with probability
    p in training, the rest scaled by 1/(1 - p) (``F.dropout1d``); the identity in eval mode.

    Shapes: (N, C, L) or (C, L) -> the same.

    >>> from minicnn import nn
    >>> nn.Dropout1d(0.2)
    Dropout1d(p=0.2, inplace=False)
    """

    def forward(self, x):
        return F.dropout1d(x, self.p, self.training, self.inplace, name=self._label())


class Dropout2d(Dropout):
    """Channel dropout: each (n, c) feature map is zeroed whole with probability p.

    Shapes: (N, C, H, W) -> the same. A 3-D input is refused: PyTorch (2.14) reads it as a batch
    of signals (N, C, L), with a warning that it will read it as one image (C, H, W); write
    ``x.unsqueeze(0)`` for an image, or use ``Dropout1d`` for signals.
    """

    def forward(self, x):
        return F.dropout2d(x, self.p, self.training, self.inplace, name=self._label())


class AlphaDropout(Dropout):
    """Alpha dropout (Klambauer et al. 2017), for SELU networks: in training each element is set
    to SELU's floor with probability p, then an affine map keeps the mean and variance of an
    input of mean 0 and variance 1 (``F.alpha_dropout``); the identity in eval mode.

    Shapes: any -> the same. ``inplace`` as Dropout's: accepted and shown, never used.
    """

    def forward(self, x):
        return F.alpha_dropout(x, self.p, self.training, self.inplace, name=self._label())


class FeatureAlphaDropout(Dropout):
    """Alpha dropout of whole channels: each (n, c) slice is kept or dropped as one
    (``F.feature_alpha_dropout``); the identity in eval mode.

    Shapes: (N, C, *) -> the same.
    """

    def forward(self, x):
        return F.feature_alpha_dropout(x, self.p, self.training, self.inplace, name=self._label())


class DropConnect(Module):
    """DropConnect (Wan et al. 2013) around a Linear layer: drops weights, not activations.

    The variant the CNN-history essay mentions after dropout: in training each
    weight of the wrapped layer is zeroed with probability p for this forward
    pass (kept ones scaled by 1/(1 - p)), so every example of the batch sees the
    same thinned layer; eval uses the full weight. (The paper's inference
    samples a Gaussian moment-matched to the masked sum; the scaled-mask mean
    here is the common simplification.) The bias is kept.

    Shapes: as the wrapped Linear, (N, in_features) -> (N, out_features).
    """

    def __init__(self, linear, p=0.5):
        super().__init__()
        check_p(type(self).__name__, p)
        if not hasattr(linear, "weight") or getattr(linear.weight, "ndim", 0) != 2:
            raise TypeError(
                f"DropConnect: expected a Linear layer with a 2-D weight, got {type(linear).__name__}"
            )
        self.linear, self.p = linear, p

    def forward(self, x):
        weight = F.dropout(self.linear.weight, self.p, self.training, name=self._label())
        return F.linear(x, weight, self.linear.bias, name=self._label())

    def extra_repr(self):
        return f"p={self.p}"
