"""The benchmark cases: single layers and whole models, built for minicnn.

A layer case is a dict: the op, its input shape and parameters, its FLOPs (multiply-add
= 2) and, for convolutions, the shape (m, k, n) of its forward GEMM. ``build_layer``
turns it into two closures, forward and forward+backward; ``model_step`` and
``model_infer`` do the same for a model's training step and inference.
"""

import numpy as np

from .. import backend, models, optim
from .. import functional as F
from ..kernels.sizes import conv_out_size
from ..tensor import no_grad, tensor


def _conv(name, n, c, h, o, k, stride=1, padding=0):
    oh = conv_out_size(h, k, stride, padding, 1)
    gemm = (o, c * k * k, n * oh * oh)
    return {
        "name": name,
        "op": "conv",
        "x": (n, c, h, h),
        "w": (o, c, k, k),
        "stride": stride,
        "padding": padding,
        "flops": 2.0 * gemm[0] * gemm[1] * gemm[2],
        "gemm": gemm,
    }


def _elementwise(name, op, x, flops_per_element, **params):
    return {
        "name": name,
        "op": op,
        "x": x,
        "flops": float(flops_per_element * np.prod(x)),
        "gemm": None,
        **params,
    }


LAYERS = [
    _conv("conv3x3_64", 32, 64, 32, 64, 3, padding=1),
    _conv("alexnet_conv1", 8, 3, 227, 96, 11, stride=4),
    _conv("conv1x1_256_64", 32, 256, 16, 64, 1),
    # max pool: k*k comparisons per output; LRN: square, window sum, power, product;
    # BN: statistics (3) and affine (2) per element; ReLU: one comparison
    _elementwise("maxpool3x3s2", "maxpool", (32, 64, 32, 32), 9 / 4),
    _elementwise("lrn5", "lrn", (8, 96, 55, 55), 5 + 4),
    _elementwise("batchnorm2d", "bn", (32, 64, 32, 32), 5),
    _elementwise("relu", "relu", (32, 64, 32, 32), 1),
]

# The reference tier is plain Python loops: it runs only on these shrunken shapes.
TINY = {
    "conv3x3_64": _conv("conv3x3_64", 1, 8, 8, 8, 3, padding=1),
    "alexnet_conv1": _conv("alexnet_conv1", 1, 3, 31, 8, 11, stride=4),
    "conv1x1_256_64": _conv("conv1x1_256_64", 1, 32, 8, 8, 1),
    "maxpool3x3s2": _elementwise("maxpool3x3s2", "maxpool", (1, 8, 16, 16), 9 / 4),
    "lrn5": _elementwise("lrn5", "lrn", (1, 16, 8, 8), 9),
    "batchnorm2d": _elementwise("batchnorm2d", "bn", (2, 8, 8, 8), 5),
    "relu": _elementwise("relu", "relu", (2, 8, 8, 8), 1),
}

# name -> (builder, input (C, H, W), default batch, timed modes)
MODELS = {
    "lenet5": (lambda: models.lenet5(), (1, 28, 28), 64, ("train", "infer")),
    "resnet20": (lambda: models.resnet20(), (3, 32, 32), 64, ("train", "infer")),
    "vgg11_bn_cifar": (lambda: models.vgg11_bn_cifar(), (3, 32, 32), 64, ("train", "infer")),
    "alexnet_small": (lambda: models.alexnet_small(), (3, 32, 32), 64, ("train", "infer")),
    "nin": (lambda: models.nin(), (3, 32, 32), 64, ("train", "infer")),
    "mobilenet_v1": (lambda: models.mobilenet_v1(num_classes=10), (3, 32, 32), 64, ("train", "infer")),
    "googlenet": (lambda: models.googlenet(aux_logits=False), (3, 224, 224), 8, ("infer",)),
    "resnet18": (lambda: models.resnet18(), (3, 224, 224), 8, ("infer",)),
}
QUICK_MODELS = ("lenet5", "resnet20")
# reference tier: LeNet-5 on one image only
REFERENCE_MODELS = {"lenet5": 1}


def layer_inputs(case, dtype, seed=0):
    """NumPy inputs of a case, the same for minicnn and PyTorch."""
    rng = np.random.default_rng(seed)
    arrays = {"x": rng.standard_normal(case["x"]).astype(dtype)}
    if case["op"] == "conv":
        fan_in = np.prod(case["w"][1:])
        arrays["w"] = (rng.standard_normal(case["w"]) / np.sqrt(fan_in)).astype(dtype)
        arrays["b"] = np.zeros(case["w"][0], dtype=dtype)
    if case["op"] == "bn":
        c = case["x"][1]
        arrays.update(
            weight=np.ones(c, dtype), bias=np.zeros(c, dtype), mean=np.zeros(c, dtype), var=np.ones(c, dtype)
        )
    return arrays


def layer_forward(case, t):
    """The op of a case on minicnn tensors ``t`` (a dict like layer_inputs)."""
    op = case["op"]
    if op == "conv":
        return F.conv2d(t["x"], t["w"], t["b"], stride=case["stride"], padding=case["padding"])
    if op == "maxpool":
        return F.max_pool2d(t["x"], 3, 2)
    if op == "lrn":
        return F.local_response_norm(t["x"], 5, alpha=1e-4, beta=0.75, k=2.0)
    if op == "bn":
        return F.batch_norm(t["x"], t["mean"], t["var"], t["weight"], t["bias"], training=True)
    return F.relu(t["x"])


def build_layer(case, dtype, device):
    """(forward, forward+backward) closures for a layer case in minicnn.

    The backward takes two gy arrays in turn (as torch_cases.build_layer does): a kernel may reuse
    what it derived from the very same gy array (im2col.py's columns of gy, shared by a
    convolution's two gradients), which a training step, with a new gy each time, never can.
    """
    arrays = layer_inputs(case, dtype)
    grads = {"x", "w", "b", "weight", "bias"}
    t = {k: tensor(a, requires_grad=k in grads, device=device) for k, a in arrays.items()}
    leaves = [v for k, v in t.items() if k in grads]
    gys = []

    def forward():
        with no_grad():
            layer_forward(case, t)

    def forward_backward():
        for leaf in leaves:
            leaf.grad = None
        y = layer_forward(case, t)
        if not gys:
            gys.extend(backend.xp_of(y.data).ones_like(y.data) for _ in range(2))
        y.backward(gys[0])
        gys.reverse()  # the other array next call, as every training step brings a new gy

    return forward, forward_backward


# Batches a timed step takes in turn. On one batch repeated, a kernel whose branches
# depend on the data (which cell of a pooling window wins, which units ReLU kills) meets
# the same branches every call and the CPU learns them, which a training run, with a new
# batch every step, never lets it (benchmarks/README.md, "Max pooling on 2x2 tiles").
BATCHES = 4


def model_inputs(name, batch, dtype, batches=BATCHES, seed=0):
    """``batches`` (x, labels) pairs of NumPy arrays for a model case, the same for minicnn and
    PyTorch: drawn one after the other from one generator, so the first pair does not depend
    on how many follow it."""
    _, chw, default_batch, _ = MODELS[name]
    batch = batch or default_batch
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(batches):
        x = rng.standard_normal((batch,) + chw).astype(dtype)
        pairs.append((x, rng.integers(0, 10, batch)))
    return pairs


def in_turn(items):
    """A closure returning the items one after the other, round and round."""
    turn = [-1]

    def next_item():
        turn[0] = (turn[0] + 1) % len(items)
        return items[turn[0]]

    return next_item


def _model_and_batches(name, batch, dtype, device, batches):
    model = MODELS[name][0]().to(device=device, dtype=dtype)
    pairs = [
        (tensor(x, device=device), tensor(labels, device=device))
        for x, labels in model_inputs(name, batch, dtype, batches)
    ]
    return model, pairs


def model_step(name, batch, dtype, device, graph=False, batches=BATCHES):
    """A closure running one SGD training step (forward, cross-entropy, backward, update), on
    ``batches`` batches in turn.

    ``graph``: on cuda, the step recorded once as a CUDA graph (graph.py) and the closure
    its replay, with the cross-entropy written out against one-hot targets. A graph reads
    the buffers it was recorded with, so it replays the first batch only.
    """
    if graph and device != "cuda":
        raise ValueError(f"a CUDA graph needs device cuda, got {device!r}")
    model, pairs = _model_and_batches(name, batch, dtype, device, batches)
    model.train()
    opt = optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    next_batch = in_turn(pairs)

    def step():
        x, labels = next_batch()
        opt.zero_grad()
        loss = F.cross_entropy(model(x), labels)
        loss.backward()
        opt.step()

    if not graph:
        return step
    from . import graph as cuda_graph

    drawn = cuda_graph.random_layers(model)
    if drawn:
        raise ValueError(
            f"{name} has layers that draw random numbers each step ({', '.join(drawn)}); "
            "a CUDA graph would replay one draw"
        )
    x, labels = pairs[0]
    model.eval()  # the number of classes, without moving batch norm's statistics
    with no_grad():
        classes = model(x).shape[1]
    model.train()
    onehot = tensor(np.eye(classes, dtype=dtype)[labels.numpy()], device=device)
    return cuda_graph.capture(cuda_graph.training_step(model, opt, x, onehot), backend.cupy())


def model_infer(name, batch, dtype, device, batches=BATCHES):
    """A closure running inference (eval mode, no graph) on ``batches`` batches in turn."""
    model, pairs = _model_and_batches(name, batch, dtype, device, batches)
    model.eval()
    next_batch = in_turn(pairs)

    def infer():
        with no_grad():
            model(next_batch()[0])

    return infer


def model_batch(name, batch):
    return batch or MODELS[name][2]
