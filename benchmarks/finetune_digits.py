"""Fine-tuning against training from scratch, with few labels.

    python benchmarks/finetune_digits.py [--per-class 50] [--seeds 0 1 2 3 4] [--val]

A LeNet-5 is trained on the 2,000 digits 0-4 of mnist5k's training split (Adam,
one-cycle to 3e-3, 30 epochs, translations of up to 3 pixels). Then, for the
digits 5-9 with only ``per-class`` labels each, the same net is trained two
ways: from scratch, and starting from the 0-4 weights with a new last layer
(every layer fine-tuned, no layer re-initialised but the last). Both get the
same recipe: Adam with a one-cycle schedule to 1e-2, 240 updates of batches of
32 (30 epochs at 50 per class), translations of up to 2 pixels.

The recipe was chosen with ``--val``: accuracy on the 5-9 images of the
training split that are not among the labelled ones (1,750 at 50 per class),
so the test split played no part in it. Without ``--val`` both nets are tested
on all 500 of the test split's 5-9 digits. Prints both accuracies per seed and
their means; a test run also writes results/finetune_digits_<per-class>.json.
"""

import argparse
import json
import os

import numpy as np

import minicnn as mc
from minicnn import data, models, optim
from minicnn.data import transforms as T
from minicnn.finetune import replace_head
from minicnn.train import evaluate, fit

HERE = os.path.dirname(os.path.abspath(__file__))
UPDATES = 240


def pick(labels, wanted, per_class=None, seed=0):
    """Indices of the digits in ``wanted`` (per_class of each, drawn with ``seed``, if given)."""
    rng = np.random.default_rng(seed)
    return np.concatenate(
        [
            rng.choice(np.flatnonzero(labels == d), per_class, replace=False)
            if per_class
            else np.flatnonzero(labels == d)
            for d in wanted
        ]
    )


def subset(dataset, index, first):
    """The images at ``index``, labels shifted so that digit ``first`` is class 0."""
    return data.TensorDataset(dataset.images[index], dataset.labels[index] - first)


def train(model, dataset, lr, seed, epochs=None, shift=2):
    """Adam, one-cycle to ``lr``; ``epochs`` or else about UPDATES batches of 32."""
    loader = data.DataLoader(
        dataset, batch_size=32, shuffle=True, seed=seed, transform=T.RandomTranslate(shift)
    )
    epochs = epochs or max(1, round(UPDATES / len(loader)))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    fit(model, loader, opt, epochs, scheduler=sched, scheduler_step="batch", progress=False)
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--per-class", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument(
        "--val", action="store_true", help="test on the unlabelled 5-9 images of the training split instead"
    )
    args = p.parse_args()
    mc.use_kernels("numpy")  # small batches: plain NumPy is the fastest here
    train_all, test_all = data.mnist5k("train"), data.mnist5k("test")

    mc.manual_seed(0)
    source = train(
        models.lenet5(num_classes=5),
        subset(train_all, pick(train_all.labels, range(5)), 0),
        3e-3,
        seed=0,
        epochs=30,
        shift=3,
    )
    rows = []
    for seed in args.seeds:
        labelled = pick(train_all.labels, range(5, 10), args.per_class, seed)
        few = subset(train_all, labelled, 5)
        if args.val:
            rest = np.setdiff1d(np.flatnonzero(train_all.labels >= 5), labelled)
            target = subset(train_all, rest, 5)
        else:
            target = subset(test_all, pick(test_all.labels, range(5, 10)), 5)
        target = data.DataLoader(target, batch_size=500)
        mc.manual_seed(seed)
        scratch = train(models.lenet5(num_classes=5), few, 1e-2, seed)
        mc.manual_seed(seed)
        tuned = models.lenet5(num_classes=5)
        tuned.load_state_dict(source.state_dict())
        tuned = train(replace_head(tuned, 5), few, 1e-2, seed)
        row = {
            "seed": seed,
            "from_scratch": evaluate(scratch, target)["accuracy"],
            "fine_tuned": evaluate(tuned, target)["accuracy"],
        }
        rows.append(row)
        print(
            f"seed {seed}: from scratch {row['from_scratch']:.2%}, "
            f"fine-tuned from 0-4 {row['fine_tuned']:.2%}"
        )
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("from_scratch", "fine_tuned")}
    split = "validation (unlabelled training images)" if args.val else "test"
    print(
        f"{5 * args.per_class} labels of 5-9 ({args.per_class} per digit), {split}, "
        f"mean of {len(rows)} seeds: from scratch {mean['from_scratch']:.2%}, "
        f"fine-tuned {mean['fine_tuned']:.2%}"
    )
    if not args.val:
        os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
        with open(os.path.join(HERE, "results", f"finetune_digits_{args.per_class}.json"), "w") as f:
            json.dump({"per_class": args.per_class, "runs": rows, "mean": mean}, f, indent=1)


if __name__ == "__main__":
    main()
