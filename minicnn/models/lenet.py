"""LeNet: the 1989 zip-code net and LeNet-5 in three versions.

LeCun et al., "Backpropagation Applied to Handwritten Zip Code Recognition",
Neural Computation 1989 (the net of section 5 and its Figure 3, 16x16 input):
    H1  12 maps 8x8, 5x5 kernels stride 2, weights shared per map, one bias per unit
    H2  12 maps 4x4, 5x5 kernels stride 2, each map reads 8 of H1's 12 maps
    H3  30 units, fully connected;  output 10 units, fully connected
    free parameters: H1 12*25 + 12*8*8 = 1,068;  H2 12*8*25 + 12*4*4 = 2,592;
    H3 30*192 + 30 = 5,790;  output 10*30 + 10 = 310;  total 9,760 (as the paper states).
Assumptions where the paper is silent: the paper says H2's choice of 8 maps
follows "a scheme that will not be described here"; map j here reads H1 maps
j, j+1, ..., j+7 (mod 12). The 16x16 image is padded with 2 zeros per side so
that 5x5 windows at stride 2 give 8x8 and then 4x4, as the paper's sizes need.
Every unit uses the scaled tanh of the 1998 paper's Appendix A except the
output, left linear so that its 10 values serve as logits for cross-entropy.

LeCun, Bottou, Bengio, Haffner, "Gradient-Based Learning Applied to Document
Recognition", Proc. IEEE 1998, section II.B and Table I (LeNet-5, 32x32 input):
    C1 156, S2 12, C3 1,516 (Table I's partial connections), S4 32, C5 48,120,
    F6 10,164 trainable parameters; squashing f(a) = 1.7159 tanh(2a/3).
The paper's output layer is a set of Euclidean RBF units with fixed
parameters; here it is a Linear 84 -> 10 (850 parameters), the usual stand-in.

``variant="modern"`` is the form taught today (28x28, padding 2, ReLU, max
pooling); ``variant="caffe"`` is Caffe's examples/mnist/lenet.prototxt.

Initialisation. Both papers draw each weight from U(-2.4/F, 2.4/F), F the
fan-in of the unit it feeds (1998, Appendix A; the 1989 paper likewise). The
default here, ``init="default"``, is not that: Conv2d and Linear layers keep
PyTorch's default (weight and bias from U(-1/sqrt(F), 1/sqrt(F))); the
partially connected C3 and H2 draw their weights from U(-1/sqrt(F_j),
1/sqrt(F_j)), F_j the fan-in of map j, with zero biases; H1's per-unit biases
start at 0; S2's and S4's coefficients start at 0.25 (the layer begins as the
2x2 average) with zero biases. ``init="paper"`` (LeNet1989, LeNet5) redraws
every trainable parameter by the papers' rule; see ``paper_init_``.
"""

import numpy as np

from .. import functional as F
from .. import nn, rng
from ..functional.conv import conv2d
from ..functional.pooling import avg_pool2d

# Table I of the 1998 paper: the S2 maps each C3 map reads.
C3_TABLE = (
    (0, 1, 2),
    (1, 2, 3),
    (2, 3, 4),
    (3, 4, 5),
    (0, 4, 5),
    (0, 1, 5),
    (0, 1, 2, 3),
    (1, 2, 3, 4),
    (2, 3, 4, 5),
    (0, 3, 4, 5),
    (0, 1, 4, 5),
    (0, 1, 2, 5),
    (0, 1, 3, 4),
    (1, 2, 4, 5),
    (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)

# The 1989 net's H2: map j reads 8 consecutive H1 maps (an assumption, see above).
H2_TABLE = tuple(tuple(sorted((j + k) % 12 for k in range(8))) for j in range(12))


class ScaledTanh(nn.Module):
    """f(a) = A tanh(S a) with A = 1.7159, S = 2/3 (1998, Appendix A): f(1) = 1, f(-1) = -1."""

    def __init__(self, amplitude=1.7159, slope=2.0 / 3.0):
        super().__init__()
        self.amplitude, self.slope = amplitude, slope

    def forward(self, x):
        return F.tanh(x * self.slope) * self.amplitude

    def extra_repr(self):
        return f"amplitude={self.amplitude}, slope={self.slope:.4g}"


class TrainableSubsampling(nn.Module):
    """S2/S4 of LeNet-5: y = coef_c * (sum of a 2x2 block of map c) + bias_c.

    One coefficient and one bias per map (2 parameters per map); the sum is
    4 x the 2x2 average, so it is written with avg_pool2d.
    """

    def __init__(self, channels, kernel_size=2):
        super().__init__()
        self.channels, self.kernel_size = channels, kernel_size
        self.weight = nn.Parameter(np.empty((channels,), dtype=np.float32))
        self.bias = nn.Parameter(np.empty((channels,), dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        """Back to the k x k average: each coefficient 1/k^2, each bias 0."""
        nn.init.constant_(self.weight, 1.0 / self.kernel_size**2)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        k = self.kernel_size
        summed = avg_pool2d(x, k, k, name=self._label()) * float(k * k)
        shape = (1, self.channels, 1, 1)
        return summed * self.weight.reshape(shape) + self.bias.reshape(shape)

    def extra_repr(self):
        return f"{self.channels}, kernel_size={self.kernel_size}"


class PartialConv2d(nn.Module):
    """A convolution in which output map j reads only the input maps table[j].

    Consecutive output maps with the same number of inputs form one run; each
    run gathers its input maps (x[:, idx], a map may be gathered twice) and is
    one grouped conv with one group per output map, so the weights are exactly
    the paper's free parameters: ``weight<r>`` of shape (maps in run r, fan-in, k, k).
    ``bias_shape`` "map" gives one bias per map, "unit" one per output unit
    (the 1989 net), which needs ``out_size``.
    """

    def __init__(self, table, kernel_size, stride=1, padding=0, bias="map", out_size=None):
        super().__init__()
        self.table, self.kernel_size = tuple(tuple(t) for t in table), kernel_size
        self.stride, self.padding = stride, padding
        self.runs = []  # (first map, number of maps, fan-in)
        for j, inputs in enumerate(self.table):
            if self.runs and len(inputs) == self.runs[-1][2]:
                start, n, fan_in = self.runs[-1]
                self.runs[-1] = (start, n + 1, fan_in)
            else:
                self.runs.append((j, 1, len(inputs)))
        self.in_channels = 1 + max(max(t) for t in self.table)
        self.out_channels = len(self.table)
        for r, (_, n, fan_in) in enumerate(self.runs):
            shape = (n, fan_in, kernel_size, kernel_size)
            setattr(self, f"weight{r}", nn.Parameter(np.empty(shape, dtype=np.float32)))
        shape = (self.out_channels,) if bias == "map" else (self.out_channels,) + tuple(out_size)
        self.bias_per_unit = bias != "map"
        self.bias = nn.Parameter(np.empty(shape, dtype=np.float32))
        self.reset_parameters()

    def reset_parameters(self):
        """Run r's weights from U(+-1/sqrt(F)), F = fan-in x k x k of its maps; biases 0."""
        for r, (_, _, fan_in) in enumerate(self.runs):
            bound = 1.0 / np.sqrt(fan_in * self.kernel_size**2)
            nn.init.uniform_(getattr(self, f"weight{r}"), -bound, bound)
        nn.init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"{self._label()}: expected input (N, {self.in_channels}, H, W), got {x.shape}")
        outs = []
        for r, (start, n, _) in enumerate(self.runs):
            idx = np.array([c for j in range(start, start + n) for c in self.table[j]])
            outs.append(
                conv2d(
                    x[:, idx],
                    getattr(self, f"weight{r}"),
                    None,
                    stride=self.stride,
                    padding=self.padding,
                    groups=n,
                    name=self._label(),
                )
            )
        y = outs[0] if len(outs) == 1 else F.cat(outs, dim=1)
        if self.bias_per_unit:
            if y.shape[1:] != self.bias.shape:
                raise ValueError(
                    f"{self._label()}: output maps {y.shape[1:]} do not match "
                    f"the per-unit bias {self.bias.shape}; input {x.shape}"
                )
            return y + self.bias.reshape((1,) + self.bias.shape)
        return y + self.bias.reshape(1, -1, 1, 1)

    def macs(self, x_shape, y_shape):
        """Multiply-adds: each output unit reads fan-in * k * k inputs."""
        per_map = y_shape[0] * y_shape[2] * y_shape[3] * self.kernel_size**2
        return sum(per_map * len(t) for t in self.table)

    def extra_repr(self):
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, "
            f"fan_in={[len(t) for t in self.table]}"
        )


class LocallyBiasedConv2d(nn.Module):
    """Shared 5x5 weights per map, but a bias for every output unit (1989's H1)."""

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, out_size):
        super().__init__()
        self.conv = nn.Conv2d(
            in_channels, out_channels, kernel_size, stride=stride, padding=padding, bias=False
        )
        self.bias = nn.Parameter(np.zeros((out_channels,) + tuple(out_size), dtype=np.float32))

    def reset_parameters(self):
        """The per-unit biases back to 0. ``conv`` is a layer of its own: the loop over
        ``modules()`` resets it next, so it is not drawn twice."""
        nn.init.zeros_(self.bias)

    def forward(self, x):
        y = self.conv(x)
        if y.shape[1:] != self.bias.shape:
            raise ValueError(
                f"{self._label()}: output maps {y.shape[1:]} do not match the "
                f"per-unit bias {self.bias.shape}; input {x.shape} (expected 16x16)"
            )
        return y + self.bias.reshape((1,) + self.bias.shape)


INITS = ("default", "paper")


def _check_init(init, where):
    if init not in INITS:
        raise ValueError(f"{where}: unknown init {init!r}; expected 'default' or 'paper'")


def paper_init_(model):
    """Redraw every trainable parameter of a LeNet from U(-2.4/F, 2.4/F), in place; returns it.

    The rule of the 1998 paper's Appendix A (and of the 1989 paper): F is the fan-in of the
    unit the parameter feeds, so each unit's weighted sum starts with about the same spread,
    inside the squashing function's working range. Where the papers leave a choice:
      - F counts the inputs a unit reads, not the bias's constant input (C1: 25, not 26).
      - Biases: the rule is stated for weights, but the papers count a bias as the weight
        of one more connection (C1's 122,304 connections are 6 x 28 x 28 x 26), so a bias
        is drawn by the same rule, with its unit's F, not set to 0.
      - S2/S4's coefficient is one weight shared by the 4 connections of a unit, so F = 4
        and it is drawn from U(-0.6, 0.6) like its bias (it may start negative; the
        default, 0.25, starts the layer as the 2x2 average).
      - C3 and H2: F_j = k x k x (maps map j reads), from the connection table, per map.
      - The output layer's Linear (the stand-in for the paper's fixed RBF units) is drawn
        by the same rule, as any trained layer.
    Draws come from minicnn's generator (``mc.manual_seed``), in module order.
    """
    for m in model.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = int(np.prod(m.weight.shape[1:]))  # in_channels x k x k, or in_features
            _uniform_fan_in(m.weight, fan_in)
            if m.bias is not None:
                _uniform_fan_in(m.bias, fan_in)
        elif isinstance(m, LocallyBiasedConv2d):  # its conv (no bias) is visited on its own
            _uniform_fan_in(m.bias, int(np.prod(m.conv.weight.shape[1:])))
        elif isinstance(m, PartialConv2d):
            k2 = m.kernel_size**2
            for r, (_, _, fan_in) in enumerate(m.runs):
                _uniform_fan_in(getattr(m, f"weight{r}"), fan_in * k2)
            _uniform_fan_in(m.bias, [len(inputs) * k2 for inputs in m.table])  # one F per map
        elif isinstance(m, TrainableSubsampling):
            _uniform_fan_in(m.weight, m.kernel_size**2)
            _uniform_fan_in(m.bias, m.kernel_size**2)
    return model


def _uniform_fan_in(param, fan_in):
    """param <- U(-2.4/F, 2.4/F); ``fan_in`` one number, or one per output map (axis 0)."""
    bound = 2.4 / np.asarray(fan_in, dtype=np.float64)
    bound = bound.reshape(bound.shape + (1,) * (param.ndim - bound.ndim))
    param.data[...] = rng.default_generator().uniform(-bound, bound, size=param.shape)


class LeNet1989(nn.Module):
    """The 1989 zip-code net: 16x16 -> H1 12x8x8 -> H2 12x4x4 -> H3 30 -> 10. 9,760 parameters.

    ``init="default"``: H1's weights, H3 and output from PyTorch's default, H2's weights from
    U(+-1/sqrt(200)), the per-unit biases of H1 and H2 at 0. ``init="paper"``: everything from
    U(+-2.4/F) (``paper_init_``): F = 25 (H1), 200 (H2), 192 (H3), 30 (output).
    """

    def __init__(self, num_classes=10, init="default"):
        _check_init(init, "LeNet1989")
        super().__init__()
        self.h1 = LocallyBiasedConv2d(1, 12, 5, stride=2, padding=2, out_size=(8, 8))
        self.act1 = ScaledTanh()
        self.h2 = PartialConv2d(H2_TABLE, 5, stride=2, padding=2, bias="unit", out_size=(4, 4))
        self.act2 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.h3 = nn.Linear(12 * 4 * 4, 30)
        self.act3 = ScaledTanh()
        self.output = nn.Linear(30, num_classes)
        if init == "paper":
            paper_init_(self)

    def forward(self, x):
        x = self.act2(self.h2(self.act1(self.h1(x))))
        return self.output(self.act3(self.h3(self.flatten(x))))


class LeNet5(nn.Module):
    """LeNet-5 as in the 1998 paper: C1, S2, C3 (Table I), S4, C5, F6, output.

    ``init="default"``: C1, C5, F6 and output start from PyTorch's default, U(+-1/sqrt(F))
    for weights and biases; C3's weights from U(+-1/sqrt(F_j)) (F_j = 25 x the maps map j
    reads) with zero biases; S2's and S4's coefficients at 0.25 with zero biases.
    ``init="paper"``: every weight, bias and coefficient from U(+-2.4/F) (``paper_init_``):
    F = 25 (C1), 4 (S2, S4), 75, 100 or 150 per map (C3), 400 (C5), 120 (F6), 84 (output).
    """

    def __init__(self, num_classes=10, init="default"):
        _check_init(init, "LeNet5")
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.act1 = ScaledTanh()
        self.s2 = TrainableSubsampling(6)
        self.act2 = ScaledTanh()
        self.c3 = PartialConv2d(C3_TABLE, 5)
        self.act3 = ScaledTanh()
        self.s4 = TrainableSubsampling(16)
        self.act4 = ScaledTanh()
        self.c5 = nn.Conv2d(16, 120, 5)  # 5x5 on 5x5 maps: fully connected, but a conv
        self.act5 = ScaledTanh()
        self.flatten = nn.Flatten()
        self.f6 = nn.Linear(120, 84)
        self.act6 = ScaledTanh()
        self.output = nn.Linear(84, num_classes)
        if init == "paper":
            paper_init_(self)

    def forward(self, x):
        x = self.act2(self.s2(self.act1(self.c1(x))))
        x = self.act4(self.s4(self.act3(self.c3(x))))
        x = self.flatten(self.act5(self.c5(x)))
        return self.output(self.act6(self.f6(x)))


class LeNetCaffe(nn.Module):
    """Caffe's lenet.prototxt: conv 20 5x5, pool, conv 50 5x5, pool, ip 500, relu, ip 10."""

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.ip1 = nn.Linear(50 * 4 * 4, 500)
        self.relu1 = nn.ReLU()
        self.ip2 = nn.Linear(500, num_classes)

    def forward(self, x):
        x = self.pool2(self.conv2(self.pool1(self.conv1(x))))
        return self.ip2(self.relu1(self.ip1(self.flatten(x))))


def _modern(num_classes):
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2, 2),
        nn.Flatten(),
        nn.Linear(16 * 5 * 5, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, num_classes),
    )


def lenet1989(num_classes=10, init="default"):
    """The 1989 zip-code net (16x16 input, 9,760 parameters); ``init="paper"`` for its U(+-2.4/F)."""
    return LeNet1989(num_classes, init)


def lenet5(variant="modern", num_classes=10, init="default"):
    """LeNet-5: "modern" (28x28, ReLU, max pool), "1998" (32x32, the paper) or "caffe" (28x28).

    ``init="paper"`` (variant "1998" only) draws every parameter from the paper's U(+-2.4/F)."""
    _check_init(init, "lenet5")
    if init == "paper" and variant != "1998":
        raise ValueError(
            f"lenet5: init='paper' is the 1998 paper's rule, for variant='1998'; got {variant!r}"
        )
    if variant == "modern":
        return _modern(num_classes)
    if variant == "1998":
        return LeNet5(num_classes, init)
    if variant == "caffe":
        return LeNetCaffe(num_classes)
    raise ValueError(f"lenet5: unknown variant {variant!r}; expected 'modern', '1998' or 'caffe'")
