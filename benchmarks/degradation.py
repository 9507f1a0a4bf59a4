"""Plain-20 against ResNet-20 on SyntheticShapes: He et al.'s degradation experiment, small.

    python benchmarks/degradation.py [--epochs 4] [--n 10000]

Both nets are built by ``models.resnet20`` (``plain=True`` drops the
shortcuts), start from the same seed and see the same batches. Writes the
training-error curves (per step, smoothed) to results/degradation_shapes.png
and the figures to results/degradation_shapes.json.
"""

import argparse
import json
import os
import time

import numpy as np

import minicnn as mc
import minicnn.functional as F
from minicnn import data, models, optim
from minicnn.train import evaluate

HERE = os.path.dirname(os.path.abspath(__file__))


def train(plain, train_set, test_set, epochs, seed):
    mc.manual_seed(seed)
    model = models.resnet20(num_classes=len(train_set.classes), plain=plain)
    loader = data.DataLoader(train_set, batch_size=64, shuffle=True, seed=seed)
    opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.05, total_steps=epochs * len(loader))
    errors, began = [], time.perf_counter()
    model.train()
    for epoch in range(epochs):
        for x, y in loader:
            logits = model(x)
            loss = F.cross_entropy(logits, y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            errors.append(float((logits.data.argmax(1) != y.data).mean()))
        print(
            f"{'plain' if plain else 'resnet'}-20 epoch {epoch + 1}: training error "
            f"{np.mean(errors[-len(loader) :]):.3f}",
            flush=True,
        )
    test = evaluate(model, data.DataLoader(test_set, batch_size=500))
    return {
        "train_error_per_step": errors,
        "test_accuracy": test["accuracy"],
        "seconds": time.perf_counter() - began,
    }


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=4)
    p.add_argument("--n", type=int, default=10000)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    train_set = data.SyntheticShapes(args.n, seed=args.seed)
    test_set = data.SyntheticShapes(2000, seed=args.seed + 1)
    runs = {
        name: train(name == "plain-20", train_set, test_set, args.epochs, args.seed)
        for name in ("resnet-20", "plain-20")
    }
    out = os.path.join(HERE, "results")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "degradation_shapes.json"), "w") as f:
        json.dump({"epochs": args.epochs, "n": args.n, "runs": runs}, f)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.8))
    for name, run in runs.items():
        e = np.asarray(run["train_error_per_step"])
        smooth = np.convolve(e, np.ones(25) / 25, mode="valid")
        ax.plot(
            np.arange(len(smooth)) * args.epochs / len(e),
            smooth,
            label=f"{name} (test accuracy {run['test_accuracy']:.3f})",
        )
    ax.set_xlabel("epoch")
    ax.set_ylabel("training error (25-step mean)")
    ax.set_title(f"SyntheticShapes, {args.n} images: plain vs residual, 20 layers")
    ax.legend()
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "degradation_shapes.png"), dpi=110)
    for name, run in runs.items():
        print(f"{name}: test accuracy {run['test_accuracy']:.4f} in {run['seconds']:.0f} s")


if __name__ == "__main__":
    main()
