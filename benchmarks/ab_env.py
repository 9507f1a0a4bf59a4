"""A/B of an environment setting: the same minicnn case under two environments, each in its own process.

    python benchmarks/ab_env.py --model resnet20 --a "NUMBA_NUM_THREADS=2 NUMBA_THREADING_LAYER=workqueue"
    python benchmarks/ab_env.py --model lenet5 --threads 16 --a "NUMBA_NUM_THREADS=16 OMP_WAIT_POLICY=passive"
    python benchmarks/ab_env.py --model lenet5 --a "" --b "PYTHONPATH=<another checkout>"  # two versions

Both sides start from the bench's thread variables (``fair.thread_env``: BLAS and OpenMP
on --threads, Numba on half of them); side A then sets the variables given by --a, side B
those given by --b (none by default). Variables read when a library loads (Numba's
threading layer, OpenMP's wait policy, OpenBLAS's) can only be compared this way: a
process cannot change them after start. The rounds alternate as in ``--compare torch``
(minicnn.bench.fair), on --pairs pairs of fresh processes; the script prints each side's
median of per-round medians, the ratio A/B and the spread of the per-round ratios, and
writes them as JSON with --out,
with what each process reported it ran with (its variables, Numba's threading layer,
where it imported minicnn from: the workers start outside the working directory, so
PYTHONPATH decides).

A model case takes cases.BATCHES batches in turn (--batches N). A checkout from before that
option times its model steps on one batch and refuses the flag: against such a checkout
the two sides do not time the same thing, and a model A/B against it measures the change
of code and of protocol together.
"""

import argparse
import os

from kernel_records import refuse_existing

from minicnn.bench import cases, fair, system


def parse_assignments(text):
    """ "A=1 B=x" -> {"A": "1", "B": "x"}; a word without "=" is an error. PYTHONPATH's
    folders are made absolute: the workers start in a directory of their own."""
    out = {}
    for word in text.split():
        name, eq, value = word.partition("=")
        if not eq or not name:
            raise SystemExit(f"ab_env.py: expected NAME=VALUE, got {word!r}")
        if name == "PYTHONPATH":
            value = os.pathsep.join(os.path.abspath(p) for p in value.split(os.pathsep) if p)
        out[name] = value
    return out


def parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--a", required=True, help='side A\'s variables, "NAME=VALUE NAME=VALUE"')
    p.add_argument("--b", default="", help="side B's variables (default: none beyond the bench's)")
    fair.add_case_arguments(p)
    return p


def main(argv=None):
    a = parser().parse_args(argv)
    if not (a.model or a.layer):
        raise SystemExit("ab_env.py: give --model or --layer")
    refuse_existing(a.out, "ab_env.py")
    build = fair.case_of(a)
    case, mode = build["case"], build["mode"]
    fair.end_workers_on_sigterm()
    envs = {
        side: dict(fair.thread_env(a.threads), **parse_assignments(text))
        for side, text in (("a", a.a), ("b", a.b))
    }
    infos = []

    def start(side):
        return lambda: fair.WorkerProcess("minicnn", a.threads, env=envs[side])

    def seen(wa, wb):  # what each process ran with: the variables as it saw them, Numba's layer
        if not infos:
            infos.extend(w.request("info") for w in (wa, wb))

    s = fair.compare_case(start("a"), start("b"), build, a.rounds, a.calls, a.pairs, seen=seen)
    s["info_a"], s["info_b"] = infos
    s.update(case=case, mode=mode, tier=a.tier, threads=a.threads, env_a=a.a, env_b=a.b)
    s.update(pairs=a.pairs, rounds=a.rounds, calls=a.calls, load_after=os.getloadavg())
    if build["kind"] == "model":
        s["batches"] = build.get("batches", cases.BATCHES)
    s["machine"] = {"cpu": system.cpu_name(), "cores": os.cpu_count(), "blas": system.blas_info()}
    print(
        f"{case} {mode} ({a.tier}, {a.threads} threads): A [{a.a}] {s['a']['median'] * 1e3:.2f} ms, "
        f"B [{a.b or 'bench defaults'}] {s['b']['median'] * 1e3:.2f} ms, {fair.spread_line(s)}"
    )
    for side, info in (("A", s["info_a"]), ("B", s["info_b"])):
        print(f"  {side} imported minicnn from {info.get('package', 'a version that does not say')}")
    if a.out:
        fair.write_summary(a.out, s)


if __name__ == "__main__":
    main()
