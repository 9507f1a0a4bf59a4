"""PyTorch's side of the benchmark cases (run by worker.py for ``--compare torch``): the
same layers, and the twins of the same models (twin.py) trained on the same batches.

PyTorch is imported here only, and only when asked for: it is never a minicnn dependency.
"""

import numpy as np
import torch

from . import cases
from .twin import to_torch


def _device(device):
    return torch.device("cuda" if device == "cuda" else "cpu")


def sync_for(device):
    return torch.cuda.synchronize if device == "cuda" else None


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

    gys = []

    def forward():
        with torch.no_grad():
            run()

    def forward_backward():
        for v in t.values():
            v.grad = None
        y = run()
        if not gys:
            gys.extend(torch.ones_like(y) for _ in range(2))
        y.backward(gys[0])
        gys.reverse()  # two gy arrays in turn, as cases.build_layer

    return forward, forward_backward


def _model_and_batches(name, batch, dtype, device, batches):
    dev = _device(device)
    model = to_torch(cases.MODELS[name][0]()).to(device=dev, dtype=_dtype(dtype))
    pairs = [
        (torch.tensor(x, device=dev), torch.tensor(labels, device=dev))
        for x, labels in cases.model_inputs(name, batch, dtype, batches)
    ]
    return model, pairs


def torch_model_step(name, batch, dtype, device, batches=cases.BATCHES):
    """PyTorch's twin of cases.model_step, on the same batches in turn."""
    model, pairs = _model_and_batches(name, batch, dtype, device, batches)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    next_batch = cases.in_turn(pairs)

    def step():
        x, labels = next_batch()
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), labels).backward()
        opt.step()

    return step


def torch_model_infer(name, batch, dtype, device, batches=cases.BATCHES):
    model, pairs = _model_and_batches(name, batch, dtype, device, batches)
    model.eval()
    next_batch = cases.in_turn(pairs)

    def infer():
        with torch.no_grad():
            model(next_batch()[0])

    return infer
