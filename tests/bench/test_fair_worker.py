"""The fair comparison's worker (worker.py): its protocol over pipes, what it times and counts, the
process it runs in."""

import importlib.util
import json
import mmap
import os
import sys

import pytest

from minicnn.bench import fair, system, worker
from minicnn.kernels import malloc


def test_the_two_thread_probe_times_two_threads_then_one(monkeypatch):
    """A GEMM timed with BLAS held to two threads and then to one; no answer on one core."""
    threadpoolctl = pytest.importorskip("threadpoolctl")
    asked = []
    real = threadpoolctl.threadpool_limits

    def limits(n, user_api=None):
        asked.append((n, user_api))
        return real(n, user_api=user_api)

    monkeypatch.setattr(threadpoolctl, "threadpool_limits", limits)
    monkeypatch.setattr(system.os, "cpu_count", lambda: 2)
    ratio = system.two_threads_over_one(n=64, calls=2)
    assert asked == [(2, "blas"), (1, "blas")]
    assert ratio > 0
    monkeypatch.setattr(system.os, "cpu_count", lambda: 1)
    assert system.two_threads_over_one() is None


def test_a_workers_time_reports_the_two_thread_probe_after_its_calls(monkeypatch):
    seen = []
    monkeypatch.setattr(system, "two_threads_over_one", lambda: seen.append(len(calls)) or 0.6)
    calls = []
    w = worker.Worker("minicnn", threads=1)
    w.fn = lambda: calls.append(1)
    assert w.time(3)["two_threads"] == 0.6
    assert seen == [4]  # after the untimed call and the 3 timed ones


def test_cpu_times_reads_the_steal_field_of_proc_stat(tmp_path):
    stat = tmp_path / "stat"
    stat.write_text("cpu  100 1 20 300 4 0 5 70 0 0\ncpu0 50 0 10 150 2 0 2 35 0 0\n")
    assert system.cpu_times(str(stat)) == (70, 500)
    stat.write_text("cpu  100 1 20 300\n")  # an old kernel without the field
    assert system.cpu_times(str(stat)) is None
    assert system.cpu_times(str(tmp_path / "none")) is None
    assert system.stolen_share((70, 500), (80, 600)) == 0.1
    assert system.stolen_share((70, 500), (70, 500)) is None  # no tick passed
    assert system.stolen_share(None, (70, 500)) is None


def test_a_workers_time_counts_the_page_faults_of_its_timed_calls():
    pages = 256

    def touch_fresh_pages():  # a shared anonymous mapping: the OS hands over pages at first write
        memory = mmap.mmap(-1, pages * mmap.PAGESIZE)
        for i in range(pages):
            memory[i * mmap.PAGESIZE] = 1
        memory.close()

    w = worker.Worker("minicnn", threads=1)
    w.fn = touch_fresh_pages
    out = w.time(4)
    if importlib.util.find_spec("resource") is None:  # Windows counts none
        assert out["minor_faults"] is None
        return
    # at most one fault a page; fewer where the kernel maps several pages at one fault
    assert pages // 4 <= out["minor_faults"] < pages + 50
    w.fn = lambda: None
    assert w.time(4)["minor_faults"] < 50


def test_serve_answers_each_line_and_reports_errors_without_stopping():
    class Stub:
        def time(self, calls):
            return {"times": [0.5] * calls}

        def build(self, **msg):
            raise KeyError(msg["case"])

    replies = []
    lines = [
        json.dumps({"cmd": "build", "case": "nope"}),
        "",
        json.dumps({"cmd": "time", "calls": 2}),
        json.dumps({"cmd": "quit"}),
        json.dumps({"cmd": "time", "calls": 9}),
    ]
    worker.serve(Stub(), lines, replies.append)
    assert replies == [{"error": "KeyError: 'nope'"}, {"times": [0.5, 0.5]}, {}]


def test_a_worker_process_speaks_the_protocol_over_pipes():
    # a minicnn worker stands in for both sides: the protocol, not the library, is tested
    w = fair.WorkerProcess("minicnn", threads=1)
    try:
        assert (
            w.request("build", kind="layer", case="relu", mode="forward", tier="numpy", dtype="float64")[
                "build_s"
            ]
            >= 0
        )
        assert len(w.time(3)) == 3
        info = w.request("info")
        assert info["library"] == "minicnn" and info["tier"] == "numpy"
        assert info["env"]["OPENBLAS_NUM_THREADS"] == "1" and info["env"]["NUMBA_NUM_THREADS"] == "1"
        with pytest.raises(fair.WorkerError, match="minicnn worker: ValueError: no layer case 'conv9x9'"):
            w.request("build", kind="layer", case="conv9x9", mode="forward")
    finally:
        w.close()
    assert w.proc.returncode == 0


def test_a_worker_that_dies_is_named():
    w = fair.WorkerProcess("torch", 1, command=[sys.executable, "-c", "import sys; sys.exit(3)"])
    with pytest.raises(fair.WorkerError, match="the torch worker ended"):
        w.request("info")


def test_a_worker_runs_in_a_session_of_its_own():
    """Ctrl-C in the terminal goes to the coordinator's process group only: one line, not
    one traceback per worker."""
    w = fair.WorkerProcess("minicnn", 1, command=[sys.executable, "-c", "import time; time.sleep(1)"])
    try:
        assert os.getsid(w.proc.pid) == w.proc.pid != os.getsid(0)
    finally:
        w.close()


@pytest.mark.parametrize(
    "device, graph_asked, want", [("cuda", True, True), ("cuda", False, False), ("cpu", True, False)]
)
def test_only_cuda_training_steps_are_built_as_graphs(monkeypatch, device, graph_asked, want):
    """--cuda-graph reaches the build request of a cuda training step, and nothing else."""
    builds = []

    def compare_case(start_a, start_b, build, rounds, calls, pairs=1, pause_s=0, seen=None):
        builds.append(dict(build))
        s = {"median": 0.01, "q1": 0.01, "q3": 0.01, "min": 0.01, "max": 0.01, "n": 1}
        return {"a": s, "b": s, "ratio": 1.0, "ratio_rounds": s, "pair_ratios": [1.0], "load_1min": [0.0]}

    monkeypatch.setattr(fair, "compare_case", compare_case)
    opts = {
        "threads": 1,
        "dtype": "float32",
        "rounds": 1,
        "repeats": 1,
        "pairs": 1,
        "modes": ("train", "infer"),
        "devices": [device],
        "tiers": ["auto"],
        "layers": [],
        "models": ["resnet20"],
        "batch_size": 4,
        "batches": 2,
        "cuda_graph": graph_asked,
    }
    fair.run(opts, log=lambda *a: None)
    by_mode = {b["mode"]: b for b in builds}
    assert by_mode["train"]["batches"] == by_mode["infer"]["batches"] == 2
    assert by_mode["train"].get("graph", False) is want
    assert "graph" not in by_mode["infer"]


@pytest.mark.parametrize("graph", [False, True])
def test_the_worker_builds_the_graph_step_when_asked(monkeypatch, graph):
    from minicnn.bench import cases

    seen = []
    monkeypatch.setattr(
        cases, "model_step", lambda *a, graph=False, batches: seen.append((graph, batches)) or (lambda: None)
    )
    w = worker.Worker("minicnn", 1)
    w.build("model", "lenet5", "train", tier="auto", batch=2, device="cpu", warmup=0, graph=graph)
    w.build("model", "lenet5", "train", batch=2, device="cpu", warmup=0, graph=graph, batches=1)
    assert seen == [(graph, cases.BATCHES), (graph, 1)]


def test_a_worker_imports_the_minicnn_its_pythonpath_names_even_from_a_checkout(tmp_path, monkeypatch):
    """An A/B of two versions sets PYTHONPATH on one side; run from a checkout, ``python -m``
    would put the checkout first and both sides would time the same code."""
    import shutil

    here = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    other = tmp_path / "other"
    shutil.copytree(
        os.path.join(here, "minicnn"), other / "minicnn", ignore=shutil.ignore_patterns("__pycache__")
    )
    monkeypatch.chdir(here)  # a directory with a minicnn package in it
    env = dict(fair.thread_env(1), PYTHONPATH=str(other))
    w = fair.WorkerProcess("minicnn", 1, env=env)
    try:
        info = w.request("info")
        assert info["package"] == str(other / "minicnn")
        # the worker set glibc's thresholds for itself, unless the user's environment sets them
        if malloc.glibc() and not malloc.users_setting():
            assert info["malloc"].startswith("glibc malloc thresholds set")
    finally:
        w.close()
    w = fair.WorkerProcess("minicnn", 1)  # by default: this checkout's minicnn
    try:
        assert w.request("info")["package"] == os.path.join(here, "minicnn")
    finally:
        w.close()


def test_sigterm_to_the_coordinator_kills_a_worker_in_the_middle_of_a_call(tmp_path):
    """``timeout`` ends a bench with SIGTERM: its workers, in sessions of their own, must not run
    on into the next measurement."""
    import signal
    import subprocess
    import sys
    import textwrap
    import time

    coordinator = textwrap.dedent(
        """
        import sys
        from minicnn.bench import fair
        busy = [sys.executable, "-c", "import sys, time; sys.stdin.readline(); time.sleep(120)"]
        worker = fair.WorkerProcess("minicnn", 1, command=busy)
        fair.end_workers_on_sigterm("bench")
        print(worker.proc.pid, flush=True)
        worker.request("time", calls=1)  # the worker never answers
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", coordinator], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    worker_pid = int(proc.stdout.readline())
    time.sleep(0.5)  # the coordinator waits in request()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 128 + signal.SIGTERM
    assert proc.stderr.read() == "bench: stopped by SIGTERM; nothing was recorded\n"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with open(f"/proc/{worker_pid}/stat") as f:
                if f.read().split(") ")[1][0] == "Z":  # a zombie: ended, not yet reaped
                    break
        except FileNotFoundError:
            break
        time.sleep(0.1)
    else:
        raise AssertionError(f"the worker {worker_pid} still runs after its coordinator ended")
