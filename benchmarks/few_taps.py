"""im2col.py's convolution kernels with one GEMM per image against the one GEMM, in one process.

    OPENBLAS_NUM_THREADS=2 python benchmarks/few_taps.py --rounds 5 --out benchmarks/results/NAME.json

(the latest record: results/few-taps-pointwise-2.json; --out never overwrites a file).

Each shape is N,C,O,S,K,P: x (N, C, S, S), weight (O, C, K, K), padding P, stride 1,
float32, with a bias. Both ways run the same kernels of ``minicnn.kernels.im2col``, with
the limits of ``minicnn.kernels.by_images`` set: "one GEMM" with ``FEW_TAPS`` at 0 and
``POINTWISE_CELLS`` above every map, so that no convolution goes image by image; "by
images" with FEW_TAPS set to the shape's taps and the pointwise limits
(``POINTWISE_CELLS``, ``POINTWISE_WEIGHT_RATIO``) out of the way, so that every kernel
that has a way by images takes it: a 1x1 convolution on x itself (its weight gradient only
where S*S >= C, else by its columns), the others by their columns.
With Numba, a 1x1 shape also times "both_grads": what Conv2d.backward runs in the numba and
auto tiers, ``conv2d_grads`` (the joint gradients of numba_im2col.py, which copy each gy[n]
into columns) where it takes the convolution, else the two gradient kernels; the one-GEMM
way has the pointwise paths off, so the joint kernel takes what it took before them.
The ways alternate round by round (median of ``--calls`` calls a round); printed and
written per shape and kernel: the medians of both ways and the median and range of the
per-round ratios (by images / one GEMM).
"""

import argparse
import itertools

import numpy as np
from kernel_records import compare, median_ms, refuse_existing, write

from minicnn import backend
from minicnn.kernels import by_images, im2col
from minicnn.kernels import get as kernels_of_tier

SHAPES = [
    "64,1,6,28,5,2",  # LeNet-5's first convolution
    "64,3,16,32,3,1",  # 3x3 on RGB (ResNet-20's first)
    "64,3,32,32,3,1",
    "64,32,64,32,1,0",  # 1x1 on 32 channels
    "64,64,128,16,1,0",  # 1x1 on 64 channels
    "64,16,16,32,3,1",  # 144 taps
    # MobileNet v1's 1x1 layers on 32x32 images (16x16 maps down to 2x2)
    "64,32,64,16,1,0",
    "64,64,128,8,1,0",
    "64,128,128,8,1,0",
    "64,128,256,4,1,0",
    "64,256,256,4,1,0",
    "64,256,512,2,1,0",
    "64,512,512,2,1,0",
    # GoogLeNet's 1x1 reductions (at a smaller batch), and 512 x 512 weights on a 14x14 map
    "32,192,64,28,1,0",
    "32,480,192,14,1,0",
    "16,512,512,14,1,0",
    # weights 10 and 16 times the values an image's copies move
    "16,1024,1024,7,1,0",
    "64,512,512,4,1,0",
    # fewer output than input channels on 256 cells and more: the joint gradients took these
    "32,256,128,28,1,0",
    "64,64,32,16,1,0",
]


def measure(shape, rounds, calls):
    N, C, O, S, K, P = shape
    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, C, S, S), dtype=np.float32)
    w = rng.standard_normal((O, C, K, K), dtype=np.float32)
    b = rng.standard_normal(O, dtype=np.float32)
    geometry = ((1, 1), (P, P), (1, 1), 1)
    gy = rng.standard_normal(im2col.conv2d_forward(x, w, b, *geometry).shape, dtype=np.float32)
    # NOTE: two gy arrays in turn: the gradient kernels reuse gy's columns (or matrix) for the
    # very same gy array, which one array call after call would give them for free
    gys = itertools.cycle([gy, gy.copy()])
    kernels = {
        "forward": lambda: im2col.conv2d_forward(x, w, b, *geometry),
        "input_grad": lambda: im2col.conv2d_input_grad(next(gys), w, x.shape, *geometry),
        "weight_grad": lambda: im2col.conv2d_weight_grad(next(gys), x, w.shape, *geometry),
    }
    if K == 1 and backend.numba_available():
        tier = kernels_of_tier("numba")

        def both_grads():
            g = next(gys)
            joint = tier.conv2d_grads(g, x, w, *geometry)
            if joint is not None:
                return joint
            with im2col.sharing(g):  # as Conv2d.backward runs them
                gx = tier.conv2d_input_grad(g, w, x.shape, *geometry)
                return gx, tier.conv2d_weight_grad(g, x, w.shape, *geometry)

        kernels["both_grads"] = both_grads
    never = S * S + 1  # a map size no shape reaches
    ways = {
        "one_gemm": {"FEW_TAPS": 0, "POINTWISE_CELLS": never},
        "by_images": {"FEW_TAPS": C * K * K, "POINTWISE_CELLS": 0, "POINTWISE_WEIGHT_RATIO": O * C},
    }
    times = {(k, way): [] for k in kernels for way in ways}
    saved = {
        name: getattr(by_images, name) for name in ("FEW_TAPS", "POINTWISE_CELLS", "POINTWISE_WEIGHT_RATIO")
    }
    try:
        for _ in range(rounds):
            for name, fn in kernels.items():
                for way, limits in ways.items():
                    for limit, value in {**saved, **limits}.items():
                        setattr(by_images, limit, value)
                    fn()  # warm: workspaces and caches
                    times[name, way].append(median_ms(fn, calls))
    finally:
        for limit, value in saved.items():
            setattr(by_images, limit, value)
    return {
        name: compare(times[name, "one_gemm"], times[name, "by_images"], "one_gemm", "by_images")
        for name in kernels
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="N,C,O,S,K,P each")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=15)
    parser.add_argument("--out", help="write the results as JSON")
    args = parser.parse_args()
    refuse_existing(args.out, "few_taps.py")
    results = []
    for text in args.shapes:
        shape = tuple(int(v) for v in text.split(","))
        N, C, O, S, K, P = shape
        row = measure(shape, args.rounds, args.calls)
        results.append({"shape": text, "taps": C * K * K, **row})
        for name, r in row.items():
            print(
                f"{N}x{C}x{S}x{S} -> {O}, {K}x{K} ({C * K * K} taps) {name}: "
                f"{r['one_gemm_ms']:.2f} -> {r['by_images_ms']:.2f} ms, ratio {r['ratio']:.2f} "
                f"({r['ratio_range'][0]:.2f}-{r['ratio_range'][1]:.2f})",
                flush=True,
            )
    if args.out:
        write(args.out, args.rounds, args.calls, results)


if __name__ == "__main__":
    main()
