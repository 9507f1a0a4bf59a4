"""PyTorch twins of the benchmark cases, for ``--compare torch``.

PyTorch is imported here only, and only when asked for: it is never a minicnn
dependency. A model's twin is built from the minicnn model itself: each layer
becomes its torch.nn counterpart with the same hyperparameters, and each custom
block keeps its own ``forward`` code, run on the twin with ``F`` pointing at a
small shim of torch functions (the blocks use only F.relu and F.cat).
"""
import types

import numpy as np

import torch
import torch.nn as tnn

from .. import nn
from ..models.resnet_cifar import ShortcutA
from . import cases

_F_SHIM = types.SimpleNamespace(relu=torch.relu, cat=lambda ts, dim=0: torch.cat(list(ts), dim),
                                dropout=torch.nn.functional.dropout)


def _device(device):
    return torch.device("cuda" if device == "cuda" else "cpu")


def sync_for(device):
    return torch.cuda.synchronize if device == "cuda" else None


class _ShortcutA(tnn.Module):
    def __init__(self, stride, pad):
        super().__init__()
        self.stride, self.pad = stride, pad

    def forward(self, x):
        x = x[:, :, ::self.stride, ::self.stride]
        return torch.nn.functional.pad(x, (0, 0, 0, 0, self.pad // 2, self.pad - self.pad // 2))


class _Block(tnn.Module):
    """A custom minicnn block: torch children, the minicnn forward code."""

    def __init__(self, module):
        super().__init__()
        fn = type(module).forward
        glb = dict(fn.__globals__, F=_F_SHIM)
        self._fwd = types.FunctionType(fn.__code__, glb, fn.__name__, fn.__defaults__, fn.__closure__)
        for key, value in vars(module).items():
            if (value is None or isinstance(value, (int, float, bool, str))) and not key.startswith("_"):
                object.__setattr__(self, key, value)
        for key, value in getattr(module, "_modules", {}).items():
            if value is None:                    # e.g. a block without a downsample
                object.__setattr__(self, key, None)
        for name, child in module.named_children():
            setattr(self, name, to_torch(child))

    def forward(self, *args):
        return self._fwd(self, *args)


def to_torch(m):
    """The torch.nn twin of a minicnn module (same layers and hyperparameters, own init)."""
    if isinstance(m, nn.Conv2d):
        return tnn.Conv2d(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.padding,
                          m.dilation, m.groups, bias=m.bias is not None)
    if isinstance(m, nn.Linear):
        return tnn.Linear(m.in_features, m.out_features, bias=m.bias is not None)
    if isinstance(m, nn.BatchNorm2d):
        return tnn.BatchNorm2d(m.num_features, m.eps, m.momentum)
    if isinstance(m, nn.ReLU):
        return tnn.ReLU()
    if isinstance(m, nn.MaxPool2d):
        return tnn.MaxPool2d(m.kernel_size, m.stride, m.padding, ceil_mode=m.ceil_mode)
    if isinstance(m, nn.AvgPool2d):
        return tnn.AvgPool2d(m.kernel_size, m.stride, m.padding, m.ceil_mode, m.count_include_pad)
    if isinstance(m, nn.AdaptiveAvgPool2d):
        return tnn.AdaptiveAvgPool2d(m.output_size)
    if isinstance(m, nn.LocalResponseNorm):
        return tnn.LocalResponseNorm(m.size, m.alpha, m.beta, m.k)
    if isinstance(m, nn.Dropout):
        return tnn.Dropout(m.p)
    if isinstance(m, nn.Flatten):
        return tnn.Flatten(m.start_dim, m.end_dim)
    if isinstance(m, nn.Identity):
        return tnn.Identity()
    if isinstance(m, nn.Tanh):
        return tnn.Tanh()
    if isinstance(m, ShortcutA):
        return _ShortcutA(m.stride, m.pad)
    if isinstance(m, nn.Sequential) and type(m).forward is nn.Sequential.forward:
        return tnn.Sequential(*[to_torch(c) for _, c in m.named_children()])
    return _Block(m)


def _dtype(dtype):
    return getattr(torch, np.dtype(dtype).name)


def build_layer(case, dtype, device):
    """(forward, forward+backward) closures for a layer case in PyTorch."""
    dev = _device(device)
    t = {k: torch.tensor(a, device=dev) for k, a in cases.layer_inputs(case, dtype).items()}
    for k in ("x", "w", "b", "weight", "bias"):
        if k in t:
            t[k].requires_grad_(True)
    tf = torch.nn.functional

    def run():
        op = case["op"]
        if op == "conv":
            return tf.conv2d(t["x"], t["w"], t["b"], case["stride"], case["padding"])
        if op == "maxpool":
            return tf.max_pool2d(t["x"], 3, 2)
        if op == "lrn":
            return tf.local_response_norm(t["x"], 5, alpha=1e-4, beta=0.75, k=2.0)
        if op == "bn":
            return tf.batch_norm(t["x"], t["mean"], t["var"], t["weight"], t["bias"], training=True)
        return tf.relu(t["x"])

    gy = {}

    def forward():
        with torch.no_grad():
            run()

    def forward_backward():
        for v in t.values():
            v.grad = None
        y = run()
        if "g" not in gy:
            gy["g"] = torch.ones_like(y)
        y.backward(gy["g"])

    return forward, forward_backward


def _model_and_batch(name, batch, dtype, device):
    builder, chw, default_batch, _ = cases.MODELS[name]
    dev = _device(device)
    model = to_torch(builder()).to(device=dev, dtype=_dtype(dtype))
    rng = np.random.default_rng(0)
    batch = batch or default_batch
    x = torch.tensor(rng.standard_normal((batch,) + chw).astype(dtype), device=dev)
    labels = torch.tensor(rng.integers(0, 10, batch), device=dev)
    return model, x, labels


def torch_model_step(name, batch, dtype, device):
    model, x, labels = _model_and_batch(name, batch, dtype, device)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step():
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()
    return step


def torch_model_infer(name, batch, dtype, device):
    model, x, _ = _model_and_batch(name, batch, dtype, device)
    model.eval()

    def infer():
        with torch.no_grad():
            model(x)
    return infer
