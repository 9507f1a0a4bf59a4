"""Shared helpers of the model tests: parameter counts, forwards, a short training run."""
import numpy as np

import minicnn as mc
import minicnn.functional as F


def count(model):
    return sum(int(p.numel()) for p in model.parameters())


def images(shape, seed=0, dtype=np.float32):
    return mc.tensor(np.random.default_rng(seed).standard_normal(shape).astype(dtype))


def forward_shape(model, shape):
    model.eval()
    with mc.no_grad():
        return model(images(shape)).shape


def train_steps(model, shape, num_classes, steps=20, lr=0.05, loss_fn=None, seed=0):
    """Loss (eval mode) before and after ``steps`` plain SGD steps on one fixed batch."""
    x = images(shape, seed)
    y = mc.tensor(np.arange(shape[0]) % num_classes)
    loss_fn = loss_fn or (lambda out: F.cross_entropy(out, y))

    def eval_loss():
        model.eval()
        with mc.no_grad():
            return float(F.cross_entropy(model(x), y).item())
    before = eval_loss()
    model.train()
    for _ in range(steps):
        model.zero_grad()
        loss_fn(model(x)).backward()
        with mc.no_grad():
            for p in model.parameters():
                if p.grad is not None:
                    p.data -= lr * p.grad.data
    return before, eval_loss()
