"""A/B of a Winograd kernel module against im2col.py on 3x3 "same" convolutions, in one process.

    OPENBLAS_NUM_THREADS=2 nice python benchmarks/ab_winograd.py --module numba_winograd \\
        --shapes 32,64,64,32 64,64,64,16 --rounds 11

Each shape is N,C,O,S: x (N, C, S, S), weight (O, C, 3, 3), padding 1, float32. Four
cases, each side timed in alternating order round by round (median of 3 calls a round):

    fwd          conv2d_forward
    bwd          conv2d_input_grad then conv2d_weight_grad on the same gy (as a backward runs
                 them: im2col.py's two share gy's columns), both from the module
    bwd_gx_only  the module's input gradient, im2col.py's weight gradient
    bwd_gw_only  im2col.py's input gradient, the module's weight gradient

against im2col.py for both. Consecutive calls alternate between two gy arrays, so no call
reuses what the previous one left for its gy. Prints per case: median time with / without
the module, the median of the per-round ratios and their range.
"""

import argparse
import importlib
import time

import numpy as np

from minicnn.kernels import im2col

ARGS = ((1, 1), (1, 1), (1, 1), 1)  # stride, padding, dilation, groups


def cases(mod, x, w, b, gys):
    def fwd(m):
        return lambda i: m.conv2d_forward(x, w, b, *ARGS)

    def bwd(mx, mw):
        def run(i):
            gy = gys[i % 2]
            with im2col.sharing(gy):  # as Conv2d.backward runs them
                mx.conv2d_input_grad(gy, w, x.shape, *ARGS)
                mw.conv2d_weight_grad(gy, x, w.shape, *ARGS)

        return run

    return {
        "fwd": (fwd(mod), fwd(im2col)),
        "bwd": (bwd(mod, mod), bwd(im2col, im2col)),
        "bwd_gx_only": (bwd(mod, im2col), bwd(im2col, im2col)),
        "bwd_gw_only": (bwd(im2col, mod), bwd(im2col, im2col)),
    }


def median_of_calls(run, calls=3):
    times = []
    for i in range(calls):
        t0 = time.perf_counter()
        run(i)
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--module", default="numba_winograd", help="winograd or numba_winograd")
    p.add_argument("--shapes", nargs="+", default=["32,64,64,32", "64,64,64,16", "64,64,64,8"])
    p.add_argument("--cases", default="fwd,bwd,bwd_gx_only,bwd_gw_only")
    p.add_argument("--rounds", type=int, default=7)
    a = p.parse_args()
    mod = importlib.import_module(f"minicnn.kernels.{a.module}")
    for shape in a.shapes:
        N, C, O, S = map(int, shape.split(","))
        rng = np.random.default_rng(0)
        x = rng.standard_normal((N, C, S, S)).astype(np.float32)
        w = (rng.standard_normal((O, C, 3, 3)) / 10).astype(np.float32)
        b = rng.standard_normal(O).astype(np.float32)
        gys = [rng.standard_normal((N, O, S, S)).astype(np.float32) for _ in range(2)]
        found = {k: v for k, v in cases(mod, x, w, b, gys).items() if k in a.cases.split(",")}
        out = []
        for name, (with_, without) in found.items():
            with_(0), without(0)  # compile, fill the workspaces
            ta, tb = [], []
            for r in range(a.rounds):
                order = [(with_, ta), (without, tb)]
                for run, into in order[:: 1 if r % 2 == 0 else -1]:
                    into.append(median_of_calls(run))
            ratios = np.array(ta) / np.array(tb)
            out.append(
                f"{name} {np.median(ta) * 1e3:.1f}/{np.median(tb) * 1e3:.1f} ms "
                f"ratio {np.median(ratios):.2f} [{ratios.min():.2f}-{ratios.max():.2f}]"
            )
        print(f"N{N} {C}->{O} {S}x{S}: " + "  ".join(out), flush=True)


if __name__ == "__main__":
    main()
