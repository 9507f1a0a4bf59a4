"""The GPU and all-core targets, read off the result files that benchmarks/gpu_check.sh writes.

    python benchmarks/gpu_targets.py benchmarks/results [--json benchmarks/results/gpu.json]

Each target is a ratio of two figures of one result file (minicnn's and PyTorch's,
timed in turn), except ResNet-20 on cuda against minicnn's own CPU cores, which
divides two files. A file that is not there (its step failed or ran past its limit)
makes its targets MISSING. With --json, the figures, the verdicts and the file each
came from are written as JSON as well. A line whose verdict needs reading with care says
why after it (NOTES): a graph replay raced against PyTorch's eager steps, or two files that
may come from two machines.
"""

import argparse
import json
import os
import sys

# (what, file, minicnn's key, the other side: (file, key), target, "min" or "max")
# "min": minicnn's images/s over the other's must be at least the target; "max": minicnn's
# time over the other's (the bench's ratio) at most.
TARGETS = [
    (
        "ResNet-20 training, batch 256, cuda op by op / minicnn on the CPU",
        "cuda-resnet20-b256",
        "train_images_per_s",
        ("cpu-resnet20-b256", "train_images_per_s"),
        10.0,
        "min",
    ),
    (
        "ResNet-20 training, batch 256, cuda op by op / PyTorch (cuDNN, eager)",
        "cuda-resnet20-b256",
        "train_images_per_s",
        ("cuda-resnet20-b256", "torch_train_images_per_s"),
        1.0,
        "min",
    ),
    (
        "ResNet-20 training, batch 256, cuda as a CUDA graph / PyTorch (cuDNN, eager)",
        "cuda-resnet20-b256-graph",
        "train_images_per_s",
        ("cuda-resnet20-b256-graph", "torch_train_images_per_s"),
        1.0,
        "min",
    ),
    (
        "MobileNet v1 training, batch 64, cuda op by op / PyTorch (cuDNN, eager)",
        "cuda-mobilenet",
        "train_images_per_s",
        ("cuda-mobilenet", "torch_train_images_per_s"),
        0.5,
        "min",
    ),
    (
        "MobileNet v1 training, batch 64, cuda as a CUDA graph / PyTorch (cuDNN, eager)",
        "cuda-mobilenet-graph",
        "train_images_per_s",
        ("cuda-mobilenet-graph", "torch_train_images_per_s"),
        0.5,
        "min",
    ),
    (
        "ResNet-20 training, batch 64, every CPU core: minicnn's time / PyTorch's",
        "cpu-all-cores-resnet20",
        "ratio_train",
        None,
        2.0,
        "max",
    ),
]


# what a PASS or FAIL does not say, printed after it and kept in the JSON as "note"
NOTES = {
    "cuda-resnet20-b256-graph": "a CUDA-graph replay against PyTorch's eager steps, not op by op",
    "cuda-mobilenet-graph": "a CUDA-graph replay against PyTorch's eager steps, not op by op",
}
TWO_FILES = "two files, which may come from two machines of one kind whose paces differ"


def figure(folder, name, key):
    """The first model row's ``key`` in folder/name.json, or None."""
    try:
        with open(os.path.join(folder, name + ".json")) as f:
            return json.load(f)["models"][0].get(key)
    except (OSError, IndexError, KeyError, ValueError, TypeError):
        return None


def check(folder):
    """One dict per target: its figures, ratio, target and verdict ("PASS", "FAIL", "MISSING")."""
    rows = []
    for what, name, key, other, target, sense in TARGETS:
        mine = figure(folder, name, key)
        theirs = figure(folder, *other) if other else None
        ratio = mine if other is None else (mine / theirs if mine and theirs else None)
        if ratio is None:
            verdict = "MISSING"
        else:
            verdict = "PASS" if (ratio >= target if sense == "min" else ratio <= target) else "FAIL"
        sources = [name + ".json"] + ([other[0] + ".json"] if other and other[0] != name else [])
        note = TWO_FILES if len(sources) > 1 else NOTES.get(name)
        rows.append(
            {
                "what": what,
                "minicnn": mine,
                "other": theirs,
                "ratio": ratio,
                "target": (">= " if sense == "min" else "<= ") + f"{target:g}",
                "verdict": verdict,
                "files": sources,
                "note": note,
            }
        )
    return rows


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("folder", help="the folder of gpu_check.sh's result files")
    p.add_argument("--json", help="also write the targets to this JSON file")
    a = p.parse_args(argv)
    rows = check(a.folder)
    for r in rows:
        shown = "-" if r["ratio"] is None else f"{r['ratio']:.2f}"
        why = " (its step failed or ran past its limit; see the log)" if r["verdict"] == "MISSING" else ""
        if r["note"] and r["verdict"] != "MISSING":
            why = f" ({r['note']})"
        print(f"{r['what']}: {shown} (target {r['target']}): {r['verdict']}{why}  [{', '.join(r['files'])}]")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"targets": rows}, f, indent=1)
    return 0 if all(r["verdict"] == "PASS" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
