"""Shared helpers of the model tests: parameter counts, forwards, a short training run."""

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn import nn


def count(model):
    return sum(int(p.numel()) for p in model.parameters())


def images(shape, seed=0, dtype=np.float32):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def forward_shape(model, shape):
    model.eval()
    with mc.no_grad():
        return model(images(shape)).shape


def train_steps(model, shape, num_classes, steps=20, lr=0.05, loss_fn=None, seed=0, momentum=0.9):
    """Loss (eval mode) before and after ``steps`` SGD steps (with momentum) on one fixed batch."""
    x = images(shape, seed)
    y = mc.tensor(np.arange(shape[0]) % num_classes)
    loss_fn = loss_fn or (lambda out: F.cross_entropy(out, y))

    def eval_loss():
        # dropout off; BN keeps batch statistics (20 steps are too few for running ones)
        model.eval()
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                m.train()
        with mc.no_grad():
            return float(F.cross_entropy(model(x), y).item())

    before = eval_loss()
    model.train()
    velocity = {}
    for _ in range(steps):
        model.zero_grad()
        loss_fn(model(x)).backward()
        for p in model.parameters():
            if p.grad is not None:
                v = velocity[id(p)] = momentum * velocity.get(id(p), 0) + p.grad.data
                p.data -= lr * v
    return before, eval_loss()
