"""A case's ratio to PyTorch over several fair records: its pairs of processes pooled.

    python benchmarks/across_records.py --case lenet5 benchmarks/results/cpu-fair-epyc-2{7,8,9}.json \\
        benchmarks/results/cpu-fair-epyc-3{0,1}.json
    python benchmarks/across_records.py --case conv3x3_64 benchmarks/results/cpu-fair-epyc-3{0,1}.json

One record's ratio moves with the day (the host's spells, the load), so whether a target
is met is asked of several records of the same code. Each record's pairs of fresh processes
(``ratio_<mode>_pairs`` of the case's row, a model's or a layer's: the median of each pair's
per-round ratios) are the units pooled: rounds of one pair share a process, pairs do not.
The script prints each record's pairs, then over all the pairs: their median, how many are
under 1.0, and a 95% interval of that median by the bootstrap (pairs drawn with replacement,
``--draws`` times, from seed 0, so that the figures printed can be read again). The interval
is the records' spread, not a proof that they ran the same code: choose records between
which the case's kernels did not change. A model's mode defaults to train, a layer's to forward_backward.
"""

import argparse
import json
import sys

import numpy as np


def pair_ratios(record, case, mode=None):
    """The case's per-pair ratios in one fair record (a dict read from its JSON): a model's
    (mode train by default) or a layer's (forward_backward)."""
    for kind, default in (("models", "train"), ("layers", "forward_backward")):
        for row in record.get(kind, []):
            if row.get("case") == case:
                pairs = row.get(f"ratio_{mode or default}_pairs")
                if not pairs:
                    raise ValueError(f"the record has no pair ratios for {case} {mode or default}")
                return [float(r) for r in pairs]
    raise ValueError(f"the record has no {case} row")


def pooled(pairs, draws=10000, seed=0):
    """Median of the pooled pair ratios, pairs under 1.0, and the bootstrap 95% interval of the
    median."""
    pairs = np.asarray(pairs, dtype=float)
    rng = np.random.default_rng(seed)
    medians = np.median(rng.choice(pairs, size=(draws, pairs.size)), axis=1)
    low, high = np.percentile(medians, [2.5, 97.5])
    return {
        "pairs": int(pairs.size),
        "median": float(np.median(pairs)),
        "under_1": int((pairs < 1).sum()),
        "interval_95": [float(low), float(high)],
    }


def main(argv=None):
    from minicnn.cli_common import positive_int

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("records", nargs="+", help="fair records (JSON written by --compare torch --out)")
    p.add_argument("--case", required=True, help="a model (lenet5) or a layer (conv3x3_64)")
    p.add_argument("--mode", choices=["train", "infer", "forward", "forward_backward"])
    p.add_argument("--draws", type=positive_int, default=10000, help="bootstrap draws")
    a = p.parse_args(argv)
    everything = []
    for path in a.records:
        try:
            with open(path) as f:
                record = json.load(f)
            pairs = pair_ratios(record, a.case, a.mode)
        except (OSError, ValueError) as e:
            raise SystemExit(f"across_records: {path}: {e}") from None
        everything += pairs
        print(f"{path}: {', '.join(f'{r:.3f}' for r in pairs)}")
    s = pooled(everything, a.draws)
    low, high = s["interval_95"]
    print(
        f"{a.case}{' ' + a.mode if a.mode else ''}, {s['pairs']} pairs of {len(a.records)} records: "
        f"median ratio {s['median']:.3f}, 95% interval {low:.3f}-{high:.3f}, {s['under_1']} pairs under 1.0"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
