"""numba_im2col.conv2d_grads (both gradients, an image at a time) against the pair of
gradient kernels, on 3x3 "same" convolutions, in one process.

    OPENBLAS_NUM_THREADS=2 python benchmarks/joint_grads.py --rounds 4 --out benchmarks/results/NAME.json

(the latest records: results/joint-grads-large-columns.json and -2.json, VGG's large maps;
--out never overwrites a file).

Each shape is N,C,O,S: x (N, C, S, S), weight (O, C, 3, 3), padding 1, float32. "pair" is
what Conv2d.backward runs where the joint kernel declines: numba_im2col's input gradient,
then its weight gradient on the same gy, in ``im2col.sharing(gy)`` as Conv2d.backward runs
them (the two share gy's columns, built for the whole batch); "joint" is conv2d_grads.
Consecutive calls alternate between two gy arrays. The two ways alternate round by round
(median of --calls calls a round); printed and written per shape: both medians, the size
of one image's columns, and the median and range of the per-round ratios (joint / pair).
"""

import argparse

import numpy as np
from kernel_records import compare, median_ms, refuse_existing, write

from minicnn.kernels import im2col, numba_im2col

SHAPES = [
    "64,16,16,32",  # ResNet-20's first stage
    "64,32,32,16",  # its second
    "32,64,64,32",  # the fair bench's convolution
    "16,128,128,32",
    "8,64,64,64",
    "16,32,32,64",
    "32,64,64,16",
    "16,128,128,16",
    "8,256,256,16",
    "8,256,256,32",
    "16,192,96,28",
    "4,128,128,56",
]
GEOMETRY = ((1, 1), (1, 1), (1, 1), 1)  # stride, padding, dilation, groups


def measure(shape, rounds, calls):
    N, C, O, S = shape
    rng = np.random.default_rng(sum(shape))
    x = rng.standard_normal((N, C, S, S), dtype=np.float32)
    w = rng.standard_normal((O, C, 3, 3), dtype=np.float32)
    gys = [rng.standard_normal((N, O, S, S), dtype=np.float32) for _ in range(2)]
    turn = [0]

    def next_gy():
        turn[0] += 1
        return gys[turn[0] % 2]

    def pair():
        gy = next_gy()
        with im2col.sharing(gy):  # as Conv2d.backward runs them
            numba_im2col.conv2d_input_grad(gy, w, x.shape, *GEOMETRY)
            numba_im2col.conv2d_weight_grad(gy, x, w.shape, *GEOMETRY)

    def joint():
        if numba_im2col.conv2d_grads(next_gy(), x, w, *GEOMETRY) is None:
            raise SystemExit(f"joint_grads.py: conv2d_grads declines {shape} (maps under MIN_PIXELS?)")

    pair(), joint()  # compile and fill the workspaces
    timed = {"pair": [], "joint": []}
    for _ in range(rounds):
        for name, fn in (("pair", pair), ("joint", joint)):
            timed[name].append(median_ms(fn, calls))
    return {
        "shape": ",".join(map(str, shape)),
        "column_mb_per_image": O * 9 * S * S * 4 / 1e6,
        **compare(timed["pair"], timed["joint"], "pair", "joint"),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="N,C,O,S each")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--out", help="write the results as JSON (never over an existing file)")
    args = parser.parse_args()
    refuse_existing(args.out, "joint_grads.py")
    results = []
    for text in args.shapes:
        row = measure(tuple(int(v) for v in text.split(",")), args.rounds, args.calls)
        low, high = row["ratio_range"]
        print(
            f"{row['shape']} ({row['column_mb_per_image']:.2f} MB of columns an image): pair "
            f"{row['pair_ms']:.1f} ms, joint {row['joint_ms']:.1f} ms, ratio {row['ratio']:.2f} "
            f"({low:.2f}-{high:.2f})",
            flush=True,
        )
        results.append(row)
    if args.out:
        write(args.out, args.rounds, args.calls, results)


if __name__ == "__main__":
    main()
