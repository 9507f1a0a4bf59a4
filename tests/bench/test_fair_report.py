"""The fair comparison's options, thread settings and the rows and lines it reports, with stand-in
workers."""

import os

import pytest
from fair_helpers import FakeWorker

from minicnn.bench import __main__ as bench_main
from minicnn.bench import fair, report
from minicnn.cli_common import UsageError


def test_thread_env_sizes_every_pool_alike():
    env = fair.thread_env(2, base={"PATH": "/bin", "OMP_NUM_THREADS": "8", "PYTHONPATH": "/x"})
    assert env["PATH"] == "/bin"
    import minicnn

    root = os.path.dirname(os.path.dirname(os.path.abspath(minicnn.__file__)))
    assert env["PYTHONPATH"] == root + os.pathsep + "/x"  # the children import this minicnn
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert env[var] == "2"
    assert env["NUMBA_NUM_THREADS"] == "2"  # the jitted loops on every core, as minicnn's default
    assert fair.thread_env(16)["NUMBA_NUM_THREADS"] == "16"
    # the copy threads keep minicnn's default, whatever the parent had
    assert "MINICNN_COPY_THREADS" not in fair.thread_env(2, base={"MINICNN_COPY_THREADS": "4"})


def test_missing_torch_is_one_line_naming_the_extra(monkeypatch, capsys):
    monkeypatch.setattr(fair, "torch_installed", lambda: False)
    assert bench_main.main(["--compare", "torch"]) == 1  # a missing extra, not a bad argument
    message = capsys.readouterr().err
    assert message.startswith("python -m minicnn bench: error: --compare torch needs PyTorch")
    assert message.count("\n") == 1 and ".[compare]" in message


def test_compare_options_default_to_auto_kernels_and_rounds(monkeypatch):
    monkeypatch.setattr(fair, "torch_installed", lambda: True)
    opts = bench_main.options(["--compare", "torch", "--threads", "2"])
    assert opts["tiers"] == ["auto"] and opts["threads"] == 2
    assert opts["rounds"] == 5 and opts["pairs"] == 4 and opts["repeats"] == 5
    assert opts["modes"] == ["forward", "forward_backward", "train", "infer"]
    some = bench_main.options(
        ["--compare", "torch", "--kernels", "numpy,auto", "--rounds", "4", "--modes", "train"]
    )
    assert some["tiers"] == ["numpy", "auto"] and some["rounds"] == 4 and some["modes"] == ["train"]
    with pytest.raises(UsageError, match="unknown modes step"):
        bench_main.options(["--modes", "step"])


def test_fair_run_fills_rows_that_the_report_prints(monkeypatch):
    log = []
    sides = {"minicnn": [[0.02, 0.03, 0.04]] * 6, "torch": [[0.01, 0.01, 0.02]] * 6}
    monkeypatch.setattr(
        fair,
        "WorkerProcess",
        lambda lib, threads: type("W", (FakeWorker,), {"close": lambda self: None})(lib, sides[lib], log),
    )
    alternate = fair.alternate
    monkeypatch.setattr(
        fair, "alternate", lambda *args, **kw: alternate(*args, **kw, sleep=lambda t: None, cpu=lambda: None)
    )
    opts = {
        "threads": 2,
        "dtype": "float32",
        "rounds": 1,
        "pairs": 2,
        "repeats": 3,
        "tiers": ["reference", "auto"],
        "devices": ["cpu"],
        "layers": ["relu"],
        "models": ["lenet5"],
        "batch_size": None,
        "modes": ["forward", "forward_backward", "train"],
    }
    layers, models, info = fair.run(opts, log=lambda msg: None)
    assert info == {"minicnn": {"version": "minicnn"}, "torch": {"version": "torch"}}
    (model,) = models  # trained, not timed for inference
    assert "train" in model and "infer" not in model and model["ratio_train"] == pytest.approx(3.0)
    assert model["train_images_per_s"] == pytest.approx(64 / 0.03)
    (row,) = layers  # the reference tier is not compared
    assert row["tier"] == "auto" and row["ratio_forward"] == pytest.approx(3.0)
    assert row["ratio_forward_backward_rounds"]["max"] == pytest.approx(3.0)
    assert row["torch_forward_backward"]["median"] == pytest.approx(0.01)
    assert row["ratio_forward_backward_pairs"] == pytest.approx([3.0, 3.0])
    text = "\n".join(report.layer_table(layers))
    assert "3.00 [3.00-3.00]" in text
    assert model["faults_train"] is None  # the stand-ins count no faults: nothing printed
    assert report.fault_lines(layers + models) == []
    model["faults_train"], model["torch_faults_train"] = 850.0, 505.2
    assert report.fault_lines(layers + models) == [
        "Minor page faults a call, minicnn against PyTorch: lenet5 train 850 against 505"
    ]
    assert model["stolen_train"] == {
        "a": [None, None],
        "b": [None, None],
    }  # the stand-in machine says nothing
    assert report.stolen_lines(layers + models) == []
    model["stolen_train"] = {"a": [0.02, None], "b": [0.25]}
    row["stolen_forward"] = {"a": [None], "b": [None]}  # not said: left out
    assert report.stolen_lines(layers + models) == [
        "CPU time stolen by the host during the turns: lenet5 train 2-25%"
    ]
    bars = report._ratio_bars({"layers": layers, "models": models})
    assert [label for label, *_ in bars] == ["relu fwd+bwd (auto)", "lenet5 train (auto)\nstolen 2-25%"]
    model["two_threads_train"] = {"a": [0.55, 0.9], "b": [0.6, None]}
    bars = report._ratio_bars({"layers": layers, "models": models})
    assert bars[1][0] == "lenet5 train (auto)\nstolen 2-25%, slowed 1/3"


def test_fair_lines_record_threads_load_and_each_side():
    lines = report.fair_lines(
        {
            "rounds": 7,
            "calls_per_round": 5,
            "threads": 2,
            "thread_env": {"OMP_NUM_THREADS": "2"},
            "load_before": [1.25, 0, 0],
            "load_after": [2.5, 0, 0],
            "workers": {
                "torch": {
                    "version": "2.x",
                    "threads": 2,
                    "blas": [{"internal_api": "openblas", "architecture": "Haswell", "num_threads": 2}],
                    "malloc": "glibc malloc thresholds set",
                }
            },
        }
    )
    assert "1 pair of fresh processes per case, each 7 alternating rounds of 5 calls" in lines[0]
    assert "1.25 before, 2.50 after" in lines[0]
    assert "openblas Haswell 2 threads" in lines[1] and "torch threads 2" in lines[1]
    assert lines[1].endswith("; glibc malloc thresholds set")
    one = report.fair_lines(
        {
            "pairs": 3,
            "rounds": 1,
            "calls_per_round": 1,
            "threads": 2,
            "thread_env": {},
            "load_before": [0, 0, 0],
            "load_after": [0, 0, 0],
        }
    )
    assert "3 pairs of fresh processes per case, each 1 alternating round of 1 call," in one[0]


def test_a_compare_run_records_the_thread_variables_it_leaves_to_minicnn_as_none(monkeypatch):
    """The children's environment leaves the copy threads to minicnn's default; the record
    says so (None) rather than failing at the end of a run."""
    from minicnn.bench import runner

    monkeypatch.setattr(fair, "run", lambda opts, log: ([], [], {"torch": {"version": "x"}}))
    monkeypatch.setattr(runner.system, "environment", lambda devices: {})
    opts = {"devices": ["cpu"], "compare": "torch", "threads": 2, "pairs": 1, "rounds": 1, "repeats": 1}
    result = runner._run(dict(opts, memory=False))
    recorded = result["fair"]["thread_env"]
    assert recorded["NUMBA_NUM_THREADS"] == "2" and recorded["MINICNN_COPY_THREADS"] is None
