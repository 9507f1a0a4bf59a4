"""A/B of a kernel module: the same case with and without it, each side in its own process.

    python benchmarks/ab_kernels.py --kernel numba_depthwise --model mobilenet_v1
    python benchmarks/ab_kernels.py --kernel numba_depthwise --model mobilenet_v1 --mode infer
    python benchmarks/ab_kernels.py --kernel numba_winograd --only conv2d_forward --model resnet20
    python benchmarks/ab_kernels.py --kernel numba_cpu --only max_pool2d_input_grad --extend --model lenet5

Side A has the module named by --kernel first in the Numba chain and first in "auto"
(which takes every kernel it has, or those named by --only), side B has it in no chain
(kernels.TIERS and kernels.AUTO are edited before anything is built). A module that
others call directly (numba_im2col, the fallback of the depthwise and Winograd modules)
cannot be taken out this way: compare two checkouts with ab_env.py instead. The two are timed in
alternating rounds (minicnn.bench.fair) on --pairs pairs of fresh processes, with the
same thread variables, and the script prints each side's median of per-round medians,
the ratio A/B, the spread of the per-round ratios and each pair's ratio. Writes the
summary as JSON with --out.

With --extend the module keeps what "auto" already takes from it on both sides, and
side A takes the kernels named by --only as well: the A/B of lending one more kernel.
For a kernel "auto" already takes, side B goes without it: the A/B of keeping it.
"""

import argparse
import os
import sys

from kernel_records import refuse_existing

from minicnn.bench import cases, fair, worker


def child(module, side, threads, only=None, extend=False):
    """A worker (bench/worker.py protocol) whose numba and auto tiers have ``module`` or lack it
    (with ``extend``: whose auto tier takes the ``only`` kernels from it as well, or does not)."""
    from minicnn import kernels

    edit_tables(kernels, module, side, only, extend)
    worker.serve_stdio(worker.Worker("minicnn", threads))


def edit_tables(kernels, module, side, only=None, extend=False):
    """Edit ``kernels.TIERS`` and ``kernels.AUTO`` in place for one side (see the docstring)."""
    import importlib

    only = only or ()
    if extend:
        lent = tuple(n for n in kernels.AUTO.get(module, ()) if n not in only)
        kernels.AUTO[module] = lent + (tuple(only) if side == "with" else ())
        return
    for tier, chain in kernels.TIERS.items():
        kernels.TIERS[tier] = tuple(m for m in chain if m != module)
    kernels.AUTO.pop(module, None)
    if side == "with":
        lent = importlib.import_module(f"minicnn.kernels.{module}")
        kernels.TIERS["numba"] = (module,) + kernels.TIERS["numba"]
        names = only or kernels.KERNELS
        # first in the table: where another module lends the same kernel, side A takes this one
        rest = dict(kernels.AUTO)
        kernels.AUTO.clear()
        kernels.AUTO[module] = tuple(n for n in names if hasattr(lent, n))
        kernels.AUTO.update(rest)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--kernel", required=True, help="the kernel module (in minicnn/kernels/) compared")
    p.add_argument("--only", default="", help="comma-separated kernels side A takes (default: all)")
    p.add_argument("--extend", action="store_true", help="side A adds --only to what auto takes from it")
    fair.add_case_arguments(p)
    p.add_argument(
        "--numba-threads",
        type=int,
        default=None,
        help="NUMBA_NUM_THREADS of both sides (default: half of --threads)",
    )
    p.add_argument("--child", choices=["with", "without"], help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.child:
        return child(a.kernel, a.child, a.threads, [n for n in a.only.split(",") if n], a.extend)
    refuse_existing(a.out, "ab_kernels.py")
    build = fair.case_of(a)
    case, mode = build["case"], build["mode"]
    fair.end_workers_on_sigterm()
    here = os.path.dirname(os.path.abspath(__file__))
    env = fair.thread_env(a.threads)
    if a.numba_threads:
        env["NUMBA_NUM_THREADS"] = str(a.numba_threads)

    def start(side):
        command = [sys.executable, os.path.join(here, "ab_kernels.py"), "--child", side, "--kernel", a.kernel]
        command += ["--threads", str(a.threads), "--only", a.only] + (["--extend"] if a.extend else [])
        return lambda: fair.WorkerProcess("minicnn", a.threads, env=env, command=command)

    s = fair.compare_case(start("with"), start("without"), build, a.rounds, a.calls, a.pairs)
    s.update(
        case=case,
        mode=mode,
        tier=a.tier,
        threads=a.threads,
        kernel=a.kernel,
        numba_threads=env["NUMBA_NUM_THREADS"],
        load_after=os.getloadavg(),
    )
    if build["kind"] == "model":
        s["batches"] = build.get("batches", cases.BATCHES)
    print(
        f"{case} {mode} ({a.tier}, {a.threads} threads, Numba {env['NUMBA_NUM_THREADS']}): with {a.kernel} "
        f"{s['a']['median'] * 1e3:.2f} ms, without {s['b']['median'] * 1e3:.2f} ms, {fair.spread_line(s)}"
    )
    if a.out:
        fair.write_summary(a.out, s)


if __name__ == "__main__":
    main()
