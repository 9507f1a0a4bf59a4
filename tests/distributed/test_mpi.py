"""Two real ranks under mpiexec: data parallelism equals one process, and failures end the job."""

import json
import os
import shutil
import subprocess
import sys
import time

import pytest

pytest.importorskip("mpi4py")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
TIMEOUT = 60


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    found = beside if os.path.exists(beside) else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found (pip install mpich)")
    return found


def launch(*args, n=2):
    """Run ``args`` on n ranks; returns (exit status, stdout + stderr)."""
    env = dict(
        os.environ,
        PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    done = subprocess.run(
        [mpiexec(), "-n", str(n), sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    return done.returncode, done.stdout + done.stderr


def scenario(name, *extra):
    code, out = launch(os.path.join(HERE, "mpi_worker.py"), name, *extra)
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
    assert len(lines) == 1, out  # rank 0 alone reports
    return json.loads(lines[0][len("RESULT ") :])


def test_lenet5_two_ranks_equal_one_process_with_the_whole_batch():
    result = scenario("lenet")
    assert result["moved"] > 1e-3  # the steps did change the weights
    assert result["ranks_gap"] == 0.0
    assert result["gap_to_one_process"] < 1e-10


def test_sync_batchnorm_two_ranks_equal_one_process_with_the_whole_batch():
    result = scenario("syncbn")
    assert result["ranks_gap"] == 0.0
    assert result["gap_to_one_process"] < 1e-10
    assert result["buffer_gap"] < 1e-10  # running mean and variance too
    assert result["plain_bn_gap"] > 1e-6  # per-rank BatchNorm would not be the same


def test_different_data_per_rank_but_identical_weights_after_every_step():
    result = scenario("seeds")
    assert min(result["data_gaps"]) > 0.1
    assert result["weight_gaps"] == [0.0] * 5


def test_fit_distributed_keeps_ranks_identical_and_only_rank0_writes(tmp_path):
    result = scenario("fit", str(tmp_path))
    assert result["world"] == 2
    assert result["weights_gap"] == 0.0
    assert result["val_acc_gap"] == 0.0 and result["train_loss_gap"] == 0.0
    assert result["rank0_wrote"] and not result["others_wrote"]


def test_fit_distributed_counts_accuracy_over_the_labelled_images_of_all_ranks():
    result = scenario("labelled")
    assert result["train_acc"] == pytest.approx(result["model_acc"], abs=1e-12)


def test_ctrl_c_on_every_rank_names_rank_0s_checkpoint_on_each(tmp_path):
    result = scenario("interrupt", str(tmp_path))
    assert result == {"epoch": [2, 2], "kept": [1, 1]}


def test_a_failing_rank_ends_the_job_with_its_error():
    code, out = launch(os.path.join(HERE, "mpi_worker.py"), "fail")
    assert code != 0
    assert "rank one failed on purpose" in out
    assert "[rank 1 of 2]" in out
    assert "RESULT" not in out


@pytest.mark.parametrize("silent, speaker", [("1", 0), ("0", 1)])
def test_a_silent_rank_is_named_after_the_timeout(silent, speaker):
    began = time.monotonic()
    code, out = launch(os.path.join(HERE, "mpi_worker.py"), "silent", silent)
    assert code != 0 and "RESULT" not in out
    assert time.monotonic() - began < 40  # the silent rank sleeps 50 s: not waited for
    line = next(line for line in out.splitlines() if "waited 2 s" in line)
    assert line.startswith(f"[rank {speaker} of 2]") and "all_reduce #1" in line
    assert (f"rank(s) {silent} never reached it" if speaker == 0 else "no word from rank 0") in line


def test_the_cli_under_mpiexec_without_distributed_refuses_in_one_line(tmp_path):
    code, out = launch(
        "-m",
        "minicnn",
        "train",
        "lenet5",
        "--data",
        "digits",
        "--epochs",
        "1",
        "--out",
        str(tmp_path / "run"),
    )
    assert code == 2
    lines = out.strip().splitlines()
    assert len(lines) == 1 and "without --distributed" in lines[0], out
    assert lines[0].startswith("python -m minicnn train: error:")
    assert not (tmp_path / "run").exists()


def test_a_batch_that_does_not_split_over_the_ranks_is_said_once_before_they_join(tmp_path):
    args = ["train", "lenet5", "--data", "digits", "--epochs", "1", "--batch-size", "63"]
    code, out = launch("-m", "minicnn", *args, "--distributed", "--out", str(tmp_path / "run"))
    assert code == 2
    lines = out.strip().splitlines()
    assert lines == [
        "python -m minicnn train: error: --distributed: the batch size 63 does not split evenly "
        "over 2 ranks; use a multiple of 2"
    ], out


def test_overwrite_under_mpiexec_replaces_the_run_on_every_rank(tmp_path):
    """Rank 0 sets the old run aside; a rank that looks before it does is not refused."""
    out = tmp_path / "run"
    args = ["-m", "minicnn", "train", "lenet5", "--data", "digits", "--epochs", "1", "--quiet"]
    code, said = launch(*args, "--seed", "1", "--distributed", "--out", str(out))
    assert code == 0, said
    code, said = launch(*args, "--seed", "2", "--distributed", "--overwrite", "--out", str(out))
    assert code == 0, said
    assert json.loads((out / "metrics.json").read_text())["seed"] == 2
    assert [name for name in os.listdir(out) if name.startswith(".")] == []


def test_a_command_other_than_train_under_mpiexec_is_told_to_run_without_it():
    code, out = launch("-m", "minicnn", "summary", "lenet5")
    assert code == 2
    assert out.strip().splitlines() == [
        "python -m minicnn summary: error: started by an MPI launcher as 2 processes: summary runs "
        "in one process; run it without mpiexec"
    ], out


def test_fit_with_per_rank_batchnorm_keeps_buffers_and_validation_identical():
    result = scenario("bn_fit")
    assert result["weights_gap"] == 0.0 and result["buffers_gap"] == 0.0
    assert result["val_loss_gap"] == 0.0 and result["lr_gap"] == 0.0
    assert result["lrs"][-1] < result["lrs"][0]  # the plateau schedule did cut, alike on each rank
    assert result["val_vs_one_process"] < 1e-5  # the ranks' halves add up to the whole set
    assert result["val_acc_vs_one_process"] == 0.0


def test_a_parameter_no_rank_used_keeps_no_gradient_and_a_partly_used_one_is_averaged():
    result = scenario("unused")
    assert result["c_grad_none_on_every_rank"] and result["c_moved"] == 0.0
    assert result["b_gap_between_ranks"] == 0.0 and result["b_vs_half_rank0"] < 1e-15


def test_sync_batchnorm_counts_the_global_batch_not_this_ranks_slice():
    result = scenario("syncbn_small")
    assert result["[1, 1]"] < 1e-12 and result["[3, 0]"] < 1e-12
    assert "Expected more than 1 value per channel when training, got 1 over all ranks" in result["[1, 0]"]


def test_ddp_refuses_ranks_that_hold_different_models_on_every_rank():
    result = scenario("model_mismatch")
    assert result["shape"] == (
        "DistributedDataParallel: the ranks hold different models: where rank 0 has parameter "
        "'0.weight' (6, 4) float32, rank 1 has parameter '0.weight' (8, 4) float32; wrap the same "
        "model on every rank"
    )
    assert "where rank 0 has nothing, rank 1 has parameter '1.weight' (2,) float32" in result["count"]
    assert result["shape_on_every_rank"] and result["count_on_every_rank"]


def test_collectives_that_differ_between_ranks_end_the_job_naming_both():
    code, out = launch(os.path.join(HERE, "mpi_worker.py"), "collective_mismatch")
    assert code != 0 and "RESULT" not in out
    line = next(line for line in out.splitlines() if "differs between ranks" in line)
    assert line == (
        "RuntimeError: minicnn.distributed: collective #1 differs between ranks: rank 0 calls "
        "all_reduce(sum) of 1 float64, rank 1 calls all_reduce(sum) of 3 float64; every rank "
        "must make the same collectives in the same order"
    )
    assert "[rank 0 of 2]" in out
