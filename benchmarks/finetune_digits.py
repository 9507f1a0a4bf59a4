"""Fine-tuning against training from scratch, with few labels.

    python benchmarks/finetune_digits.py [--per-class 50] [--seeds 0 1 2]

A LeNet-5 is trained on the digits 0-4 of mnist5k's training split. Then, for
the digits 5-9 with only ``per-class`` labels each, the same net is trained
two ways: from scratch, and starting from the 0-4 weights with a new head
(every layer fine-tuned). Both get the same recipe (Adam with a one-cycle
schedule, 30 epochs, 2-pixel translations) and are tested on all of the test
split's 5-9 digits. Prints both accuracies per seed and their means, and
writes results/finetune_digits_<per-class>.json.
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


def digits(dataset, wanted, per_class=None, seed=0):
    """The images of the digits in ``wanted`` (per_class of each, if given), relabelled from 0."""
    rng = np.random.default_rng(seed)
    index = [rng.choice(np.flatnonzero(dataset.labels == d), per_class, replace=False)
             if per_class else np.flatnonzero(dataset.labels == d) for d in wanted]
    index = np.concatenate(index)
    return data.TensorDataset(dataset.images[index], dataset.labels[index] - min(wanted))


def train(model, dataset, epochs, lr, seed):
    loader = data.DataLoader(dataset, batch_size=32, shuffle=True, seed=seed,
                             transform=T.RandomTranslate(2))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * len(loader))
    fit(model, loader, opt, epochs, scheduler=sched, scheduler_step="batch", progress=False)
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--per-class", type=int, default=50)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = p.parse_args()
    train_all, test_all = data.mnist5k("train"), data.mnist5k("test")
    test = data.DataLoader(digits(test_all, range(5, 10)), batch_size=500)

    mc.manual_seed(0)
    source = train(models.lenet5(num_classes=5), digits(train_all, range(5)), 15, 3e-3, seed=0)
    rows = []
    for seed in args.seeds:
        few = digits(train_all, range(5, 10), args.per_class, seed=seed)
        mc.manual_seed(seed)
        scratch = train(models.lenet5(num_classes=5), few, 30, 3e-3, seed)
        mc.manual_seed(seed)
        tuned = models.lenet5(num_classes=5)
        tuned.load_state_dict(source.state_dict())
        replace_head(tuned, 5)
        tuned = train(tuned, few, 30, 3e-3, seed)
        row = {"seed": seed, "from_scratch": evaluate(scratch, test)["accuracy"],
               "fine_tuned": evaluate(tuned, test)["accuracy"]}
        rows.append(row)
        print(f"seed {seed}: from scratch {row['from_scratch']:.2%}, "
              f"fine-tuned from 0-4 {row['fine_tuned']:.2%}")
    mean = {k: float(np.mean([r[k] for r in rows])) for k in ("from_scratch", "fine_tuned")}
    print(f"{5 * args.per_class} labels of 5-9 ({args.per_class} per digit), mean of {len(rows)} seeds: "
          f"from scratch {mean['from_scratch']:.2%}, fine-tuned {mean['fine_tuned']:.2%}")
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    with open(os.path.join(HERE, "results", f"finetune_digits_{args.per_class}.json"), "w") as f:
        json.dump({"per_class": args.per_class, "runs": rows, "mean": mean}, f, indent=1)


if __name__ == "__main__":
    main()
