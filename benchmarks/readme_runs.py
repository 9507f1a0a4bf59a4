"""The README's training rows, run as a user runs them, recorded with the machine.

    python benchmarks/readme_runs.py [--out benchmarks/results/readme-runs.json] [--skip-resnet] [--overwrite]

Each job runs in a fresh process from an empty temporary folder:

1. ``python -m minicnn train lenet5`` (the README's first command, its defaults);
2. ``python -m minicnn train resnet20 --data shapes --epochs 4``;
3. for reference, the same modern LeNet-5 in PyTorch with plain SGD (lr 0.05,
   momentum 0.9, batches of 64, 10 epochs, no augmentation) on all 4,000
   training digits of mnist5k, tested on its 1,000 test digits (needs the
   ``compare`` extra).

The two minicnn jobs are read from the ``metrics.json`` their run folders hold
(test and validation accuracy, seconds of training); the PyTorch job prints its
own. The record holds every figure with the machine and library versions.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

TORCH_LENET = """
import json, time
import numpy as np
import torch
from torch import nn
from minicnn import data

torch.manual_seed(0)
train, test = data.mnist5k("train"), data.mnist5k("test")
x, y = torch.tensor(train.images), torch.tensor(train.labels, dtype=torch.long)
xt, yt = torch.tensor(test.images), torch.tensor(test.labels, dtype=torch.long)
net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2, 2),
                    nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2, 2), nn.Flatten(),
                    nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
opt = torch.optim.SGD(net.parameters(), lr=0.05, momentum=0.9)
began = time.perf_counter()
for epoch in range(10):
    order = torch.randperm(len(x))
    for i in range(0, len(x), 64):
        batch = order[i:i + 64]
        opt.zero_grad()
        nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
        opt.step()
seconds = time.perf_counter() - began
with torch.no_grad():
    accuracy = float((net(xt).argmax(1) == yt).float().mean())
print(json.dumps({"test_accuracy": accuracy, "seconds": seconds, "torch": torch.__version__}))
"""


def run_minicnn(args):
    """``python -m minicnn train ARGS`` in an empty folder; its metrics.json and wall seconds."""
    with tempfile.TemporaryDirectory() as folder:
        env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "minicnn", "train", *args], cwd=folder, env=env, check=True)
        wall = time.perf_counter() - began
        (run,) = os.listdir(os.path.join(folder, "runs"))
        with open(os.path.join(folder, "runs", run, "metrics.json")) as f:
            metrics = json.load(f)
    return {"command": "python -m minicnn train " + " ".join(args), "wall_seconds": wall, **metrics}


def run_torch_lenet():
    out = subprocess.run(
        [sys.executable, "-c", TORCH_LENET], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    return {"command": "PyTorch LeNet-5, SGD lr 0.05 momentum 0.9, batch 64, 10 epochs", **json.loads(out)}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=os.path.join(HERE, "results", "readme-runs.json"))
    parser.add_argument("--skip-resnet", action="store_true", help="leave out the ResNet-20 job")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    args = parser.parse_args(argv)
    if os.path.exists(args.out) and not args.overwrite:
        raise SystemExit(f"readme_runs: {args.out} exists; give --overwrite to replace it")
    sys.path.insert(0, ROOT)
    from minicnn import io
    from minicnn.bench.system import environment

    jobs = {"lenet5": run_minicnn(["lenet5"])}
    if not args.skip_resnet:
        jobs["resnet20_shapes"] = run_minicnn(["resnet20", "--data", "shapes", "--epochs", "4"])
    jobs["torch_lenet5_sgd"] = run_torch_lenet()
    record = {"environment": environment(("cpu",)), "jobs": jobs}
    for name, job in jobs.items():
        print(f"{name}: test accuracy {job['test_accuracy']:.4f}, {job['seconds']:.1f} s of training")
    io.write_atomic(args.out, json.dumps(record, indent=1).encode(), who="--out")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
