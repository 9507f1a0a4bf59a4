"""Writing what another core has just read: one core's copy into columns that BLAS's
threads read, into one buffer or a ring of them, in one process.

    OPENBLAS_NUM_THREADS=2 python benchmarks/other_core.py --rounds 10 --out benchmarks/results/NAME.json

(--out never overwrites a file).

Each shape is C,O,S: the loop of ``numba_im2col.conv2d_grads`` over images of C channels
with O output channels, S x S, a 3x3 kernel: one image's gy copied into its columns by a
one-thread jitted loop, then the two GEMMs that read them on BLAS's threads. Timed per
round, the way "one" writes every image into the same buffer (the kernel's loop before its
ring) and "ring" into the kernel's ring of buffers in turn (``numba_im2col.ring_size``:
``RING_BYTES`` of them); "beside" runs the loop of "one" with each copy going into
another buffer, which no GEMM reads, so that the copies run beside the same GEMMs but
write nothing they read; and "copy alone" the copies with no GEMM. The copies of each way
are also timed by themselves inside its loop ("copy in one", "copy in ring", "copy in
beside"). Each round reads the two-thread probe
(``system.two_threads_over_one``) first: above ``system.SHARED_ABOVE`` the two BLAS threads
slowed each other. Printed and written per shape: the medians of the rounds, and the
ratio ring / one over all rounds and over the clear ones.
"""

import argparse
import time

import numpy as np
from kernel_records import refuse_existing, write

from minicnn.bench import system
from minicnn.kernels import numba_im2col

SHAPES = [
    "16,16,32",  # ResNet-20's first stage
    "32,32,16",  # its second
    "64,64,32",  # the fair bench's convolution
]
IMAGES = 32  # images per timed call
# what a round times, in ms
TIMES = ("one", "ring", "beside", "copy_in_one", "copy_in_ring", "copy_in_beside", "copy_alone")


def measure(shape, rounds):
    C, O, S = shape
    rng = np.random.default_rng(sum(shape))
    gpad = rng.standard_normal((IMAGES, O, S + 2, S + 2), dtype=np.float32)  # gy, padded by 1
    x = rng.standard_normal((IMAGES, C, S * S), dtype=np.float32)
    w = rng.standard_normal((C, O * 9), dtype=np.float32)
    ring = numba_im2col.ring_size(O * 9 * S * S * 4, IMAGES)
    buffers = np.empty((ring, O * 9, S * S), dtype=np.float32)
    gx = np.empty((IMAGES, C, S * S), dtype=np.float32)
    part = np.empty((O * 9, C), dtype=np.float32)
    spare = np.empty_like(buffers[0])
    copy_times = []

    def images(count, beside=False):
        """The joint gradients' loop over the images, with ``count`` buffers in turn; ``beside``:
        the copies go into ``spare`` instead, which no GEMM reads."""
        copying = 0.0
        for n in range(IMAGES):
            cols = buffers[n % count]
            start = time.perf_counter()
            numba_im2col._image_windows(gpad[n], (spare if beside else cols).reshape(O, 3, 3, S, S))
            copying += time.perf_counter() - start
            np.matmul(w, cols, out=gx[n])
            np.matmul(cols, x[n].T, out=part)
        copy_times.append(copying)

    def copy_alone():
        for n in range(IMAGES):
            numba_im2col._image_windows(gpad[n], spare.reshape(O, 3, 3, S, S))

    def timed(fn):
        start = time.perf_counter()
        fn()
        return (time.perf_counter() - start) * 1e3

    images(1), images(ring), copy_alone()  # compile, and fault the buffers in
    rows = []
    for r in range(rounds):
        probe = system.two_threads_over_one()
        ways = [
            ("one", lambda: images(1)),
            ("ring", lambda: images(ring)),
            ("beside", lambda: images(1, beside=True)),
        ]
        row = {"two_threads": probe}
        for name, fn in ways if r % 2 == 0 else ways[::-1]:
            row[name] = timed(fn)
            row[f"copy_in_{name}"] = copy_times[-1] * 1e3
        row["copy_alone"] = timed(copy_alone)
        rows.append(row)
    return summary(shape, ring, rows)


def summary(shape, ring, rows):
    """The medians over the rounds, and ring / one over all rounds and over the clear ones."""
    ratios = np.array([row["ring"] / row["one"] for row in rows])
    clear = np.array([_clear(row["two_threads"]) for row in rows])
    out = {
        "shape": ",".join(map(str, shape)),
        "column_mb_per_image": shape[1] * 9 * shape[2] ** 2 * 4 / 1e6,
        "images": IMAGES,
        "ring": ring,
        "rounds": rows,
        "ratio": float(np.median(ratios)),
        "clear_rounds": int(clear.sum()),
        "ratio_clear": float(np.median(ratios[clear])) if clear.any() else None,
    }
    for key in TIMES:
        out[f"{key}_ms"] = float(np.median([row[key] for row in rows]))
    return out


def _clear(probe):
    return probe is not None and probe <= system.SHARED_ABOVE


def line(row):
    """The printed summary of one shape."""
    clear = "none" if row["ratio_clear"] is None else f"{row['ratio_clear']:.3f}"
    ms = {key: f"{row[key + '_ms']:.1f}" for key in TIMES}
    return (
        f"{row['shape']} ({row['column_mb_per_image']:.2f} MB of columns an image, {IMAGES} images): "
        f"one buffer {ms['one']} ms (its copies {ms['copy_in_one']}), a ring of {row['ring']} "
        f"{ms['ring']} ms (its copies {ms['copy_in_ring']}), the copies beside the GEMMs "
        f"{ms['copy_in_beside']} ms and alone {ms['copy_alone']} ms; "
        f"ring / one {row['ratio']:.3f}, over the {row['clear_rounds']} clear rounds of "
        f"{len(row['rounds'])} {clear}"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="C,O,S each")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--out", help="write the results as JSON (never over an existing file)")
    args = parser.parse_args()
    refuse_existing(args.out, "other_core.py")
    results = []
    for text in args.shapes:
        row = measure(tuple(int(v) for v in text.split(",")), args.rounds)
        print(line(row), flush=True)
        results.append(row)
    if args.out:
        write(args.out, args.rounds, 1, results)


if __name__ == "__main__":
    main()
