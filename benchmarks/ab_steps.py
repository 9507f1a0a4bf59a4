"""A/B of one kernel inside one process: whole training steps, the kernel swapped between turns.

    python benchmarks/ab_steps.py --model resnet20 --kernel conv2d_grads --from numba_im2col
    python benchmarks/ab_steps.py --model vgg11_bn_cifar --kernel conv2d_forward --from numba_im2col

Side A is "auto" with ``--kernel`` taken from the module ``--from`` (in minicnn/kernels/),
side B is "auto" as it is. One model is built once; in each round both sides take a turn
(A first in even rounds, B first in odd ones), and a turn sets the kernel on the kernel set,
runs one untimed step, then ``--calls`` timed ones. The script prints each side's median of
per-round medians, the ratio A/B (the median of the per-round ratios), its spread, and the
ratio over the rounds in which a GEMM on two BLAS threads ran at full speed after both turns
(system.two_threads_over_one at most system.SHARED_ABOVE: the host was between slow spells).

Why in one process: on a machine with slow spells (benchmarks/README.md, "Writing what another
core has just read") two processes started minutes apart may each run mostly in or out of one,
and ab_env.py's ratios then spread by a few percent. Here the two sides' turns are seconds
apart, so a spell slows both. What it cannot tell apart: both sides share the caches, the
allocator's free lists, Numba's compiled code and BLAS's threads, so a change that helps by
leaving memory in another state shows here as it would not in a process of its own. Compare
two checkouts, or a change that is not a kernel, with ab_env.py. The process runs with the
thread variables it was started with (the record's: unset; see benchmarks/README.md).

``compare`` is the same protocol for two functions given in a script (a variant under trial
against the kernel in use).
"""

import argparse
import importlib
import json
import os
import sys
import time

import numpy as np


def compare(step, kernel_set, name, fn_a, fn_b, rounds, calls, probe=None):
    """Alternate turns of ``step()`` with ``kernel_set.<name>`` set to ``fn_a`` and to ``fn_b``.

    Returns minicnn.bench.fair.summarize of the per-call times, plus "clear_ratio" (the median
    ratio over rounds whose probes after both turns read at most system.SHARED_ABOVE, or None),
    "clear_rounds" (how many there were) and "probes" (``probe()`` after each turn:
    {"a": [...], "b": [...]}). The kernel the set had is put back at the end, whatever happens.
    """
    from minicnn.bench import fair, system

    probe = probe or system.two_threads_over_one
    before = getattr(kernel_set, name)
    times: dict[str, list] = {"a": [], "b": []}
    probes: dict[str, list] = {"a": [], "b": []}
    fns = {"a": fn_a, "b": fn_b}
    try:
        for r in range(rounds):
            for side in "ab" if r % 2 == 0 else "ba":
                setattr(kernel_set, name, fns[side])
                step()  # the other side just ran: its buffers and code are in the caches
                turn = []
                for _ in range(calls):
                    t0 = time.perf_counter()
                    step()
                    turn.append(time.perf_counter() - t0)
                times[side].append(turn)
                probes[side].append(probe())
    finally:
        setattr(kernel_set, name, before)
    s = fair.summarize(times["a"], times["b"])
    clear = system.clear_round_ratios(s["round_medians_a"], s["round_medians_b"], probes["a"], probes["b"])
    clear_ratio = float(np.median(clear)) if clear else None
    return dict(s, clear_ratio=clear_ratio, clear_rounds=len(clear), probes=probes)


def kernel_from(module_name, kernel):
    """minicnn.kernels.<module_name>.<kernel>, or a one-line SystemExit saying what is wrong."""
    from minicnn import kernels

    if kernel not in kernels.KERNELS + kernels.OPTIONAL:
        raise SystemExit(f"ab_steps: --kernel expected one of minicnn's kernels, got {kernel!r}")
    try:
        module = importlib.import_module(f"minicnn.kernels.{module_name}")
    except ImportError as e:
        raise SystemExit(
            f"ab_steps: --from expected a module of minicnn/kernels/, got {module_name!r} ({e})"
        ) from None
    fn = getattr(module, kernel, None)
    if not callable(fn):
        raise SystemExit(f"ab_steps: minicnn.kernels.{module_name} has no kernel {kernel!r}")
    return fn


def main(argv=None):
    from minicnn import backend, kernels
    from minicnn.bench import cases, system
    from minicnn.cli_common import positive_int
    from minicnn.kernels import malloc

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, choices=sorted(cases.MODELS))
    p.add_argument("--kernel", required=True, help="the kernel swapped (minicnn.kernels.KERNELS, OPTIONAL)")
    p.add_argument("--from", dest="module", required=True, help="the module side A takes it from")
    p.add_argument("--batch", type=positive_int, default=64)
    p.add_argument("--rounds", type=positive_int, default=12)
    p.add_argument("--calls", type=positive_int, default=4)
    p.add_argument("--out", help="write the summary as JSON")
    p.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    a = p.parse_args(argv)
    if a.out and os.path.exists(a.out) and not a.overwrite:
        raise SystemExit(f"ab_steps: {a.out} exists; give --overwrite to replace it")
    fn_a = kernel_from(a.module, a.kernel)
    malloc.keep_freed_memory()  # as the bench's workers run
    backend.use_kernels("auto")
    kernel_set = kernels.get("auto")
    fn_b = getattr(kernel_set, a.kernel)
    step = cases.model_step(a.model, a.batch, np.float32, "cpu")
    for fn in (fn_a, fn_b):  # compiled and warm on both sides before any timing
        setattr(kernel_set, a.kernel, fn)
        step()
    setattr(kernel_set, a.kernel, fn_b)
    s = compare(step, kernel_set, a.kernel, fn_a, fn_b, a.rounds, a.calls)
    r = s["ratio_rounds"]
    clear = "no clear round"
    if s["clear_ratio"] is not None:
        clear = f"{s['clear_ratio']:.3f} over {s['clear_rounds']} clear"
    print(
        f"{a.model} train, batch {a.batch}: {a.kernel} from {a.module} {s['a']['median'] * 1e3:.2f} ms, "
        f"auto's {s['b']['median'] * 1e3:.2f} ms, ratio {s['ratio']:.3f} "
        f"(rounds {r['min']:.3f}-{r['max']:.3f}, IQR {r['q1']:.3f}-{r['q3']:.3f}; {clear} of {a.rounds})"
    )
    if a.out:
        from minicnn import io

        s.update(model=a.model, batch=a.batch, kernel=a.kernel, module=a.module, cpu=system.cpu_name())
        thread_vars = ("OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "OMP_NUM_THREADS")
        s["env"] = {k: os.environ.get(k) for k in thread_vars}
        io.write_atomic(a.out, json.dumps(s, indent=1).encode(), who="ab_steps")


if __name__ == "__main__":
    sys.exit(main())
