"""The bench's command line at its boundary: every refusal in one line before any case runs,
exit statuses like the other commands', result files never overwritten unasked and
written whole. The runner is a stand-in wherever the cases themselves do not matter."""

import importlib
import json
import os
import subprocess
import sys
import warnings

import pytest

from minicnn.__main__ import main as cli_main
from minicnn.bench import __main__ as bench_main
from minicnn.bench import report, runner
from minicnn.cli_common import UsageError

memory_fit = importlib.import_module("minicnn.memory_fit")

PREFIX = "python -m minicnn bench: error: "
SMALL = ["--quick", "--layers", "relu", "--models", "none", "--kernels", "numpy", "--device", "cpu"]
ENV = {
    "cpu": "a CPU",
    "cpu_count": 2,
    "memory_gb": 1.0,
    "gpu": None,
    "load_average": [0.5, 0.5, 0.5],
    "python": "3",
    "numpy": "2",
    "numba": None,
    "cupy": None,
    "blas": [],
    "openblas_env": {},
    "allocation": "default",
}


def _timing(rng):
    t = sorted(rng.uniform(1e-3, 1e-2, 5))
    return {"median": t[2], "q1": t[1], "q3": t[3], "min": t[0], "max": t[4], "n": 5}


def _result(rng, layers=True, models=True):
    layer = {"case": "relu", "tier": "numpy", "device": "cpu", "forward": _timing(rng)}
    layer["forward_backward"] = _timing(rng)
    model = {"case": "lenet5", "tier": "numpy", "device": "cpu", "batch": 2, "infer": _timing(rng)}
    model["train"] = _timing(rng)
    return {
        "options": {},
        "environment": ENV,
        "layers": [layer] if layers else [],
        "models": [model] if models else [],
    }


@pytest.fixture
def fake_run(monkeypatch, rng):
    """runner.run replaced by a stand-in that records each call and returns a small result."""
    calls = []

    def run(opts):
        calls.append(opts)
        return _result(rng)

    monkeypatch.setattr(runner, "run", run)
    return calls


def _one_error_line(err):
    assert err.startswith(PREFIX) and err.count("\n") == 1 and "Traceback" not in err, err
    return err[len(PREFIX) :].strip()


# --- defect 1: --out is checked before anything runs ---------------------------------


def test_an_out_that_is_a_file_is_refused_before_any_case_runs(tmp_path, fake_run, capsys):
    afile = tmp_path / "afile"
    afile.write_bytes(b"kept")
    assert cli_main(["bench"] + SMALL + ["--out", str(afile)]) == 2
    message = _one_error_line(capsys.readouterr().err)
    assert message == f"--out {afile}: is a file, not a folder"
    assert fake_run == [] and afile.read_bytes() == b"kept"


@pytest.mark.parametrize("entry", [["bench"], []])
def test_a_bad_thread_variable_is_named_before_any_case_runs(entry, fake_run, capsys, monkeypatch):
    monkeypatch.setenv("MINICNN_COPY_THREADS", "many")
    run = cli_main if entry else bench_main.main
    assert run(entry + SMALL) == 2
    message = _one_error_line(capsys.readouterr().err)
    assert message == "MINICNN_COPY_THREADS: expected a whole number, got 'many'" and fake_run == []


def test_an_out_inside_a_file_is_refused(tmp_path, fake_run, capsys):
    (tmp_path / "afile").write_bytes(b"")
    assert bench_main.main(SMALL + ["--out", str(tmp_path / "afile" / "sub")]) == 2
    assert "cannot write into" in _one_error_line(capsys.readouterr().err) and fake_run == []


def test_an_out_that_cannot_be_written_is_refused(tmp_path, fake_run, capsys, monkeypatch):
    folder = tmp_path / "ro"
    folder.mkdir()
    real_access = os.access
    # NOTE: a read-only file system as access(2) reports it (chmod does not stop root)
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(folder) else real_access(p, mode)
    )
    for out in (folder, folder / "new" / "deeper"):
        assert bench_main.main(SMALL + ["--out", str(out)]) == 2
        message = _one_error_line(capsys.readouterr().err)
        assert message == f"--out {out}: cannot write into {str(folder)!r}"
    assert fake_run == [] and os.listdir(folder) == []


def test_an_out_not_there_yet_is_made_and_written(tmp_path, fake_run, capsys):
    out = tmp_path / "a" / "b"
    assert bench_main.main(SMALL + ["--out", str(out), "--name", "run"]) == 0
    assert len(fake_run) == 1
    assert json.loads((out / "run.json").read_text())["layers"][0]["case"] == "relu"
    assert sorted(os.listdir(out)) == ["run.json", "run.png"]  # no temporary file left
    assert capsys.readouterr().out.rstrip().endswith(f"wrote {out / 'run.json'}, {out / 'run.png'}")


def test_a_name_with_a_folder_in_it_is_refused(tmp_path, fake_run, capsys):
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "sub/run"]) == 2
    assert "--name must be a file name without a folder" in _one_error_line(capsys.readouterr().err)
    assert fake_run == []


# --- defect 2: numbers are checked as they are read, batch sizes against memory ------------


@pytest.mark.parametrize(
    "flag", ["--batch-size", "--batches", "--threads", "--rounds", "--pairs", "--repeats"]
)
def test_counts_below_one_or_not_integers_are_refused(flag, rng, fake_run, capsys):
    bad = int(rng.integers(-(10**6), 1))
    assert bench_main.main(SMALL + [flag, str(bad)]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith(
        f"argument {flag}: must be at least 1, got {bad}"
    )
    assert bench_main.main(SMALL + [flag, "2.5"]) == 2
    assert f"argument {flag}: expected an integer, got '2.5'" in _one_error_line(capsys.readouterr().err)
    assert fake_run == []


def test_a_batch_that_cannot_fit_is_refused_before_running(rng, fake_run, capsys, monkeypatch):
    monkeypatch.setattr(memory_fit, "available_memory", lambda device="cpu": 10 * 2**20)
    batch = int(rng.integers(10**4, 10**9))  # lenet5 holds about 60 KB of activations per image
    argv = ["--quick", "--layers", "none", "--models", "lenet5", "--device", "cpu", "--batch-size"]
    assert bench_main.main(argv + [str(batch)]) == 2
    message = _one_error_line(capsys.readouterr().err)
    assert message.startswith(f"--batch-size {batch} is too large for lenet5 on cpu: ")
    assert "of memory available; not run" in message and fake_run == []
    assert bench_main.main(argv + [str(int(rng.integers(1, 33)))]) == 0 and len(fake_run) == 1


def test_the_peak_memory_run_counts_in_the_batch_check(rng, monkeypatch):
    monkeypatch.setattr(memory_fit, "available_memory", lambda device="cpu": 10 * 2**20)
    batch = str(int(rng.integers(10**4, 10**6)))
    argv = ["--layers", "none", "--models", "none", "--kernels", "numpy", "--device", "cpu", "--batch-size"]
    with pytest.raises(UsageError, match="too large for resnet20 on cpu"):
        bench_main.options(argv + [batch])
    relu = ["--layers", "relu", "--models", "none", "--kernels", "numpy", "--device", "cpu", "--no-memory"]
    assert bench_main.options(relu + ["--batch-size", batch])["batch_size"] == int(batch)


# --- defect 3: results are not overwritten unasked, and are written whole -----------------


@pytest.mark.parametrize("there", [["run.json"], ["run.png"], ["run.json", "run.png"]])
def test_results_already_there_are_kept_unless_overwrite(there, tmp_path, fake_run, capsys):
    for name in there:
        (tmp_path / name).write_bytes(b"earlier run")
    argv = SMALL + ["--out", str(tmp_path), "--name", "run"]
    assert bench_main.main(argv) == 2
    message = _one_error_line(capsys.readouterr().err)
    assert message == (
        f"--out {tmp_path}: {' and '.join(there)} already there; "
        "add --overwrite to replace them, or choose another --name"
    )
    assert fake_run == [] and all((tmp_path / n).read_bytes() == b"earlier run" for n in there)
    assert bench_main.main(argv + ["--overwrite"]) == 0
    assert json.loads((tmp_path / "run.json").read_text())["environment"] == ENV
    assert (tmp_path / "run.png").read_bytes()[:4] == b"\x89PNG"


def test_a_broken_link_in_the_way_is_named_and_replaced_itself_with_overwrite(tmp_path, fake_run, capsys):
    os.symlink(tmp_path / "nowhere" / "x.json", tmp_path / "run.json")
    argv = SMALL + ["--out", str(tmp_path), "--name", "run"]
    assert bench_main.main(argv) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"--out {tmp_path}: run.json (a broken link) already there; "
        "add --overwrite to replace them, or choose another --name"
    )
    assert bench_main.main(argv + ["--overwrite"]) == 0
    assert not (tmp_path / "run.json").is_symlink() and not (tmp_path / "nowhere").exists()
    assert json.loads((tmp_path / "run.json").read_text())["environment"] == ENV


def test_a_broken_link_as_out_is_refused_before_any_case_runs(tmp_path, fake_run, capsys):
    os.symlink(tmp_path / "nowhere", tmp_path / "out")
    assert bench_main.main(SMALL + ["--out", str(tmp_path / "out")]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"--out {tmp_path / 'out'}: is a broken link (to {str(tmp_path / 'nowhere')!r}), not a folder; "
        "remove the link or choose another --out"
    )
    assert fake_run == [] and not (tmp_path / "nowhere").exists()


def test_a_folder_in_the_way_is_refused_even_with_overwrite(tmp_path, fake_run, capsys):
    (tmp_path / "run.json").mkdir()
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "run", "--overwrite"]) == 2
    assert "run.json is there and is not a regular file" in _one_error_line(capsys.readouterr().err)
    assert fake_run == []


def test_a_result_that_appears_while_running_is_not_overwritten(tmp_path, monkeypatch, rng, capsys):
    def run(opts):  # another run writes the same name meanwhile
        (tmp_path / "run.json").write_bytes(b"the other run")
        return _result(rng)

    monkeypatch.setattr(runner, "run", run)
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "run"]) == 2
    assert "run.json already there" in _one_error_line(capsys.readouterr().err)
    assert (tmp_path / "run.json").read_bytes() == b"the other run"


@pytest.mark.parametrize("name", ["run.json", "run.png"])
def test_a_result_that_appears_while_it_is_written_is_not_overwritten(
    name, tmp_path, monkeypatch, fake_run, capsys
):
    pytest.importorskip("matplotlib")
    from minicnn import atomic_write

    real = atomic_write._create_temp

    def made_first(folder, base):  # after bench looked at --out, before its file is in place
        if base == name:
            (tmp_path / name).write_bytes(b"the other run")
        return real(folder, base)

    monkeypatch.setattr(atomic_write, "_create_temp", made_first)
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "run"]) == 2
    assert _one_error_line(capsys.readouterr().err).endswith(
        f"{name} already there; add --overwrite to replace them, or choose another --name"
    )
    assert (tmp_path / name).read_bytes() == b"the other run"
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_a_failed_write_leaves_the_earlier_files_whole(tmp_path, monkeypatch, rng):
    for name in ("run.json", "run.png"):
        (tmp_path / name).write_bytes(b"earlier run")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full_disk)
    with pytest.raises(OSError, match="(?i)no space left"):
        report.write(_result(rng), str(tmp_path), "run")
    assert (tmp_path / "run.json").read_bytes() == b"earlier run"
    matplotlib_figure = pytest.importorskip("matplotlib.figure")

    def half_a_png(self, f, **kw):
        f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.undo()
    monkeypatch.setattr(matplotlib_figure.Figure, "savefig", half_a_png)
    with pytest.raises(OSError, match="(?i)no space left"):
        report.write(_result(rng), str(tmp_path), "run")
    assert json.loads((tmp_path / "run.json").read_text())["layers"][0]["case"] == "relu"
    assert (tmp_path / "run.png").read_bytes() == b"earlier run"
    assert sorted(os.listdir(tmp_path)) == ["run.json", "run.png"]  # no temporary files left


def test_a_plot_of_an_earlier_run_is_removed_when_this_one_draws_none(tmp_path, rng):
    (tmp_path / "run.png").write_bytes(b"earlier run")
    result = _result(rng, layers=False, models=False)
    assert report.write(result, str(tmp_path), "run") == (str(tmp_path / "run.json"), None)
    assert sorted(os.listdir(tmp_path)) == ["run.json"]


# --- defect 4: errors and exit statuses like the other commands' --------------------------


def test_argparse_errors_are_one_line_with_status_2(fake_run, capsys):
    assert cli_main(["bench", "--no-such-flag"]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("unrecognized arguments: --no-such-flag")
    assert bench_main.main(["--dtype", "float16"]) == 2
    assert "argument --dtype: invalid choice: 'float16'" in _one_error_line(capsys.readouterr().err)
    assert bench_main.main(["--overwr"]) == 2  # a prefix is not --overwrite
    assert _one_error_line(capsys.readouterr().err).startswith("unrecognized arguments: --overwr")
    assert fake_run == []


def test_bad_names_are_one_line_with_status_2(fake_run, capsys):
    assert bench_main.main(["--layers", "conv9x9"]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith("unknown layers conv9x9; known: ")
    assert fake_run == []


def test_the_module_entry_names_itself(tmp_path):
    afile = tmp_path / "afile"
    afile.write_bytes(b"")
    done = subprocess.run(
        [sys.executable, "-m", "minicnn.bench", "--quick", "--out", str(afile)],
        capture_output=True,
        text=True,
        cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"python -m minicnn.bench: error: --out {afile}: is a file, not a folder\n"


def test_debug_shows_the_traceback_of_a_usage_error_and_keeps_its_status(fake_run, capsys):
    assert bench_main.main(["--layers", "conv9x9", "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().splitlines()[-1].startswith("minicnn.cli_common.UsageError: unknown layers conv9x9")


def test_a_failure_while_running_is_one_line_with_status_1(monkeypatch, capsys):
    def run(opts):
        raise KeyError("lost")

    monkeypatch.setattr(runner, "run", run)
    assert cli_main(["bench"] + SMALL) == 1
    assert _one_error_line(capsys.readouterr().err) == "KeyError: 'lost' (--debug shows where)"
    assert cli_main(["bench"] + SMALL + ["--debug"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):") and err.rstrip().endswith("KeyError: 'lost'")


def test_ctrl_c_is_one_line_with_status_130(monkeypatch, capsys):
    def run(opts):
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "run", run)
    assert bench_main.main(SMALL) == 130
    assert capsys.readouterr().err == "python -m minicnn bench: interrupted\n"


def test_a_missing_numba_is_a_failure_of_the_machine(monkeypatch, fake_run, capsys):
    from minicnn import backend

    monkeypatch.setattr(backend, "numba_available", lambda: False)
    assert bench_main.main(SMALL[:-4] + ["--kernels", "numba", "--device", "cpu"]) == 1
    assert "tier numba needs Numba" in _one_error_line(capsys.readouterr().err) and fake_run == []


# --- defect 5: the plot raises no warnings ----------------------------------------------


@pytest.mark.parametrize("layers, models", [(True, False), (False, True), (True, True)])
def test_the_plot_draws_a_panel_per_part_timed_without_warnings(layers, models, tmp_path, rng):
    pytest.importorskip("matplotlib")
    path = tmp_path / "p.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert report.plot(_result(rng, layers, models), str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_nothing_timed_draws_no_plot(tmp_path, rng):
    result = _result(rng, layers=False, models=False)
    result["layers"] = [{"case": "relu", "tier": "numpy", "device": "cpu", "error": "ValueError: x"}]
    assert not report.plot(result, str(tmp_path / "p.png"))
    assert os.listdir(tmp_path) == []


def test_a_small_real_run_warns_of_nothing(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        argv = SMALL + ["--repeats", "1", "--out", str(tmp_path), "--name", "run"]
        assert bench_main.main(argv) == 0
    err = capsys.readouterr().err
    assert "Warning" not in err and (tmp_path / "run.png").stat().st_size > 1000


def test_a_case_that_failed_makes_the_status_1_after_the_rest_is_written(tmp_path, monkeypatch, rng, capsys):
    result = _result(rng)
    result["models"][0] = {
        "case": "lenet5",
        "tier": "numpy",
        "device": "cpu",
        "batch": 2,
        "error": "MemoryError: x",
    }
    monkeypatch.setattr(runner, "run", lambda opts: result)
    assert cli_main(["bench"] + SMALL + ["--out", str(tmp_path), "--name", "r"]) == 1
    captured = capsys.readouterr()
    assert _one_error_line(captured.err) == "1 of 2 cases failed (their rows above say why)"
    assert "failed: MemoryError: x" in captured.out
    assert json.loads((tmp_path / "r.json").read_text())["models"][0]["error"] == "MemoryError: x"


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--threads", "2"], "--threads applies"),
        (["--threads", "2", "--rounds", "3"], "--threads and --rounds apply"),
        (["--pairs", "2"], "--pairs applies"),
    ],
)
def test_threads_and_rounds_without_compare_are_refused(flags, says, fake_run, capsys):
    assert cli_main(["bench"] + SMALL + flags) == 2
    assert _one_error_line(capsys.readouterr().err) == f"{says} to --compare torch; add it, or leave them out"
    assert fake_run == []


@pytest.mark.parametrize("device", ["cpu", "auto"])
def test_cuda_graph_without_the_gpu_is_one_line_with_status_2(device, fake_run, capsys, monkeypatch):
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: False)
    argv = ["--cuda-graph", "--device", device, "--models", "resnet20", "--layers", "none"]
    assert bench_main.main(argv) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"--cuda-graph records steps on the GPU: add --device cuda (got {device})"
    )
    assert fake_run == []


def test_the_report_says_when_cuda_steps_were_graph_replays(rng):
    result = _result(rng)
    assert "CUDA graph" not in report.text(result)
    result["models"][0]["graph"] = True
    said = "cuda training steps: minicnn's replay a CUDA graph recorded once, on its first batch"
    assert said + "." in report.text(result)
    result["models"][0]["torch_train"] = _timing(rng)
    said += "; PyTorch's run eager."
    assert said in report.text(result)
    del result["models"][0]["train"]  # a failed row: nothing was replayed
    assert "CUDA graph" not in report.text(result)


@pytest.fixture
def fake_gpu(monkeypatch):
    monkeypatch.setattr(bench_main.backend, "cuda_available", lambda: True)
    monkeypatch.setattr(bench_main, "check_device", lambda device: None)


def test_cuda_graph_reaches_the_options(fake_gpu):
    argv = ["--cuda-graph", "--device", "cuda", "--models", "resnet20", "--layers", "none", "--no-memory"]
    assert bench_main.options(argv)["cuda_graph"] is True
    assert bench_main.options(argv[1:])["cuda_graph"] is False


@pytest.mark.parametrize(
    "extra, said",
    [
        (["--models", "resnet20,nin"], "--cuda-graph: nin draw random numbers each step (dropout)"),
        (["--models", "resnet20", "--modes", "infer"], "--cuda-graph records training steps"),
        (["--models", "googlenet"], "--cuda-graph records training steps"),
    ],
)
def test_cuda_graph_refuses_what_it_cannot_record(fake_gpu, fake_run, capsys, extra, said):
    assert bench_main.main(["--cuda-graph", "--device", "cuda", "--layers", "none", *extra]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith(said)
    assert fake_run == []


@pytest.mark.parametrize("argv", [[], ["minicnn", "lenet5"], ["minicnn", "lenet5", "many", "float32"]])
def test_the_memory_child_refuses_bad_arguments_in_one_line(argv, capsys):
    from minicnn.bench import memory

    with pytest.raises(SystemExit) as stop:
        memory.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "expected LIB MODEL BATCH DTYPE" in err


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--name", "mine"], "--name: for the files written under --out; add --out FOLDER, or leave it out"),
        (["--overwrite"], "--overwrite: for the files written under --out"),
        (["--modes", "infer"], "--modes applies to --compare torch; add it, or leave --modes out"),
        (
            ["--layers", "none", "--models", "none", "--no-memory"],
            "--layers and --models name nothing to time",
        ),
    ],
)
def test_flags_that_would_be_ignored_are_refused(argv, says, fake_run, capsys):
    assert bench_main.main(argv) == 2
    assert _one_error_line(capsys.readouterr().err).startswith(says)
    assert fake_run == []


@pytest.mark.parametrize(
    "argv, says",
    [
        (["--kernels", ""], "--kernels '' names no tiers; give a comma list of reference, numpy-simple, "),
        (["--kernels", ","], "--kernels ',' names no tiers"),
        (["--tiers", "none"], "--kernels 'none' names no tiers"),
        (["--compare", "torch", "--modes", ","], "--modes ',' names no modes; give a comma list of forward,"),
        (["--compare", "torch", "--modes", ""], "--modes '' names no modes"),
    ],
)
def test_a_list_of_tiers_or_modes_that_names_none_is_refused(argv, says, fake_run, capsys):
    """Not every case skipped in silence (or every mode timed): as empty --layers and --models are."""
    assert bench_main.main(["--quick", "--layers", "relu", "--models", "none", *argv]) == 2
    assert _one_error_line(capsys.readouterr().err).startswith(says)
    assert fake_run == []


def test_a_name_too_long_for_the_file_system_is_refused_before_any_case_runs(tmp_path, fake_run, capsys, rng):
    name = "c" * int(rng.integers(252, 400))
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", name]) == 2
    assert _one_error_line(capsys.readouterr().err) == (
        f"--name '{'c' * 40}'...: the .json file cannot be made: its name is {len(name) + 5} bytes long, "
        "and this file system takes at most 255; choose another --name"
    )
    assert fake_run == [] and os.listdir(tmp_path) == []


def test_a_long_name_the_file_system_takes_is_written(tmp_path, fake_run, capsys, rng):
    """Its temporary file's name is short: a name near the limit is saved, not refused at the end."""
    name = "c" * int(rng.integers(230, 251))  # and ".json": at most 255 bytes
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", name]) == 0
    assert len(fake_run) == 1
    assert json.loads((tmp_path / f"{name}.json").read_text())["layers"][0]["case"] == "relu"
    assert sorted(os.listdir(tmp_path)) == sorted(f"{name}{ext}" for ext in (".json", ".png"))


def test_a_junk_plot_backend_is_named_before_any_case_runs(tmp_path, fake_run, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "bogus")
    monkeypatch.delitem(sys.modules, "matplotlib")  # its import is where MPLBACKEND is read
    assert bench_main.main(SMALL + ["--out", str(tmp_path)]) == 2
    message = _one_error_line(capsys.readouterr().err)
    assert message.startswith("MPLBACKEND='bogus' is not a backend matplotlib takes (")
    assert message.endswith("unset it (minicnn draws its pictures with agg)")
    assert fake_run == [] and os.listdir(tmp_path) == []


@pytest.mark.parametrize("before", [True, False], ids=["--debug bench", "bench --debug"])
def test_debug_before_bench_is_taken_as_after_it(before, fake_run, capsys):
    """python -m minicnn --debug bench ARGS is python -m minicnn bench --debug ARGS."""
    argv = ["bench", "--layers", "conv9x9"]
    assert cli_main(["--debug", *argv] if before else [*argv, "--debug"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert err.rstrip().splitlines()[-1].startswith("minicnn.cli_common.UsageError: unknown layers conv9x9")
    assert cli_main(["--debug", "bench", "--help"]) == 0
    assert "--quick" in capsys.readouterr().out and fake_run == []


def test_a_closed_output_pipe_ends_the_bench_quietly_with_its_files_written(tmp_path):
    """bench | head -0: what is printed goes nowhere, and the result is written all the same."""
    script = (
        "import sys\n"
        "from minicnn.bench import __main__ as bench, runner\n"
        "sys.path.insert(0, 'tests/bench')\n"
        "import numpy as np\n"
        "from test_bench_cli import _result\n"
        "runner.run = lambda opts: _result(np.random.default_rng(0))\n"
        f"sys.exit(bench.main({SMALL!r} + ['--out', {str(tmp_path)!r}, '--name', 'r']))\n"
    )
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    read, write = os.pipe()
    os.close(read)  # the reader has gone before the first line
    with os.fdopen(write, "w") as closed:
        done = subprocess.run(
            [sys.executable, "-c", script], stdout=closed, stderr=subprocess.PIPE, text=True, cwd=root
        )
    assert (done.returncode, done.stderr) == (0, "")
    assert json.loads((tmp_path / "r.json").read_text())["layers"][0]["case"] == "relu"
