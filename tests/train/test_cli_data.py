"""python -m minicnn train and eval on data read from files (mnist:PATH, cifar10:PATH): the
folder is recorded whole, with each file's size and SHA-256, so that a resume or an eval from
any folder reads the files the run read, or refuses in one line where they changed; eval
reads the test files alone."""

import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

from minicnn import io, models
from minicnn.__main__ import main

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN = ["train", "lenet5", "--epochs", "1", "--val-fraction", "0", "--quiet"]


def one_error_line(capsys, command):
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("resuming ")]
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m minicnn {command}: error: "), err
    return err[0].removeprefix(f"python -m minicnn {command}: error: ")


def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def mnist_files(folder, rng, splits=(("train", 20), ("t10k", 10))):
    """An MNIST-format folder of random images, labels i % 10."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, n in splits:
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        (folder / f"{split}-images-idx3-ubyte").write_bytes(_idx(images, 2051))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(_idx(np.arange(n) % 10, 2049))
    return folder


def images_seen(run):
    """Images each epoch of the run trained on, from its history."""
    rows = json.loads((run / "history.json").read_text())
    return [round(row["images_per_second"] * row["seconds"]) for row in rows]


def test_a_relative_data_folder_is_recorded_whole_and_read_from_any_folder(
    tmp_path, rng, monkeypatch, capsys
):
    first, other = (
        mnist_files(tmp_path / "a" / "d", rng),
        mnist_files(tmp_path / "b" / "d", rng, (("train", 40),)),
    )
    mnist_files(other, rng, (("t10k", 10),))
    run = tmp_path / "run"
    monkeypatch.chdir(tmp_path / "a")
    assert main([*TRAIN, "--data", "mnist:d", "--out", str(run)]) == 0
    whole = f"mnist:{os.path.realpath(first)}"
    metrics = json.loads((run / "metrics.json").read_text())
    meta = json.loads(io.load(run / "checkpoint.npz")["meta"])
    assert metrics["data"] == metrics["settings"]["data"] == meta["settings"]["data"] == whole
    files = sorted(p.name for p in first.iterdir())
    assert sorted(metrics["data_files"]) == sorted(meta["data_files"]) == files
    assert {name: entry["bytes"] for name, entry in meta["data_files"].items()} == {
        name: (first / name).stat().st_size for name in files
    }
    # from a folder whose d/ is another data set: the run goes on with its own
    monkeypatch.chdir(tmp_path / "b")
    assert main(["train", "lenet5", "--resume", "--epochs", "2", "--quiet", "--out", str(run)]) == 0
    assert images_seen(run) == [20, 20]
    capsys.readouterr()
    assert main(["eval", str(run / "model.npz")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == f"data: {whole}"
    # the d/ of this folder, named on resume, is another folder than the run's
    assert main(["train", "lenet5", "--resume", "--epochs", "3", "--data", "mnist:d", "--out", str(run)]) == 2
    assert one_error_line(capsys, "train") == (
        f"--resume: --data mnist:{os.path.realpath(other)} differs from the checkpoint's {whole} (the "
        "metrics would mix two data sets); leave it out, or start again with --overwrite"
    )


def test_a_resume_refuses_data_files_changed_since_the_run_read_them(tmp_path, rng, capsys):
    folder, run = mnist_files(tmp_path / "d", rng), tmp_path / "run"
    assert main([*TRAIN, "--data", f"mnist:{folder}", "--out", str(run)]) == 0
    before = (run / "checkpoint.npz").read_bytes()
    images = folder / "train-images-idx3-ubyte"
    size = images.stat().st_size
    images.write_bytes(images.read_bytes()[:16] + rng.integers(0, 256, size - 16, dtype=np.uint8).tobytes())
    assert main(["train", "lenet5", "--resume", "--epochs", "2", "--out", str(run)]) == 2
    assert one_error_line(capsys, "train") == (
        f"--resume: the files in {folder} changed since the run read them: train-images-idx3-ubyte (as many "
        "bytes, other ones: its SHA-256 differs); put them back as they were, or start again with --overwrite"
    )
    mnist_files(folder, rng, (("train", 30),))
    (folder / "train-labels-idx1-ubyte").unlink()
    (folder / "train-labels-idx1-ubyte.gz").write_bytes(
        __import__("gzip").compress(_idx(np.arange(30) % 10, 2049))
    )
    assert main(["train", "lenet5", "--resume", "--epochs", "2", "--out", str(run)]) == 2
    assert one_error_line(capsys, "train") == (
        f"--resume: the files in {folder} changed since the run read them: train-images-idx3-ubyte (23,536 "
        "bytes, was 15,696), train-labels-idx1-ubyte.gz (not one the run read), train-labels-idx1-ubyte "
        "(read then, not now); put them back as they were, or start again with --overwrite"
    )
    assert (run / "checkpoint.npz").read_bytes() == before


@pytest.mark.parametrize("weights", ["model.npz", "checkpoint.npz"])
def test_eval_refuses_test_files_changed_since_unless_data_is_named(weights, tmp_path, rng, capsys):
    folder, run = mnist_files(tmp_path / "d", rng), tmp_path / "run"
    assert main([*TRAIN, "--data", f"mnist:{folder}", "--out", str(run)]) == 0
    mnist_files(folder, rng, (("train", 30),))  # eval reads no training file: these may change
    capsys.readouterr()
    assert main(["eval", str(run / weights)]) == 0
    assert "test accuracy" in capsys.readouterr().out
    mnist_files(folder, rng, (("t10k", 20),))
    assert main(["eval", str(run / weights)]) == 2
    notes = run / "metrics.json" if weights == "model.npz" else f"the meta of {run / weights}"
    assert one_error_line(capsys, "eval") == (
        f"the files in {folder} changed since the run read them: t10k-images-idx3-ubyte (15,696 bytes, was "
        f"7,856), t10k-labels-idx1-ubyte (28 bytes, was 18) (data mnist:{folder}, read from {notes}; pass "
        "--data to choose)"
    )
    assert main(["eval", str(run / weights), "--data", f"mnist:{folder}"]) == 0  # chosen: these files


def test_a_relative_path_a_run_recorded_before_is_read_from_the_current_folder_with_a_warning(
    tmp_path, rng, monkeypatch
):
    folder, run = mnist_files(tmp_path / "d", rng), tmp_path / "run"
    assert main([*TRAIN, "--data", f"mnist:{folder}", "--out", str(run)]) == 0
    state = io.load(run / "checkpoint.npz")
    meta = json.loads(state["meta"])
    meta["settings"]["data"] = "mnist:d"  # as runs recorded a relative --data
    del meta["data_files"]
    state["meta"] = json.dumps(meta)
    io.save(state, run / "checkpoint.npz")
    monkeypatch.chdir(tmp_path)
    with pytest.warns(UserWarning) as said:
        assert main(["train", "lenet5", "--resume", "--epochs", "2", "--quiet", "--out", "run"]) == 0
    assert [str(w.message) for w in said] == [
        f"the checkpoint gives the data as mnist:d, a relative path (recorded before runs kept whole "
        f"paths): read from the current folder, mnist:{os.path.realpath(folder)}"
    ]
    meta = json.loads(io.load(run / "checkpoint.npz")["meta"])
    assert meta["settings"]["data"] == f"mnist:{os.path.realpath(folder)}" and len(meta["data_files"]) == 4


def test_the_warning_of_a_relative_path_is_one_line_naming_the_command(tmp_path, rng):
    mnist_files(tmp_path / "d", rng, (("t10k", 10),))
    io.save(models.lenet5().state_dict(), tmp_path / "model.npz")
    (tmp_path / "metrics.json").write_text(json.dumps({"model": "lenet5", "data": "mnist:d"}))
    done = subprocess.run(
        [sys.executable, "-m", "minicnn", "eval", "model.npz"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=ROOT),
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == (
        "python -m minicnn eval: warning: ./metrics.json gives the data as mnist:d, a relative path "
        f"(recorded before runs kept whole paths): read from the current folder, "
        f"mnist:{os.path.realpath(tmp_path / 'd')}\n"
    )


def test_eval_of_a_recorded_folder_without_its_files_says_where_the_folder_was_read(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    run = tmp_path / "run"
    run.mkdir()
    io.save(models.lenet5().state_dict(), run / "model.npz")
    (run / "metrics.json").write_text(json.dumps({"model": "lenet5", "data": f"mnist:{tmp_path / 'empty'}"}))
    assert main(["eval", str(run / "model.npz")]) == 2
    line = one_error_line(capsys, "eval")
    assert line.startswith("MNIST: t10k-images-idx3-ubyte or t10k-images-idx3-ubyte.gz not found in ")
    assert line.endswith(
        f"(data mnist:{tmp_path / 'empty'}, read from {run / 'metrics.json'}; pass --data to choose)"
    )


def _cifar_batch(rng, n):
    data = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
    return pickle.dumps({b"data": data, b"labels": [int(v) for v in np.arange(n) % 10]}, protocol=2)


@pytest.mark.parametrize("kind", ["mnist", "cifar10"])
def test_eval_reads_the_test_files_alone(kind, tmp_path, rng, capsys):
    """A folder that holds only the test split is all an evaluation needs."""
    folder = tmp_path / "testonly"
    if kind == "mnist":
        mnist_files(folder, rng, (("t10k", 10),))
        name = "lenet5"
    else:
        folder.mkdir()
        (folder / "test_batch").write_bytes(_cifar_batch(rng, 10))
        name = "resnet20"
    io.save(models.get(name).state_dict(), tmp_path / "w.npz")
    assert main(["eval", str(tmp_path / "w.npz"), "--model", name, "--data", f"{kind}:{folder}"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"data: {kind}:{folder}" and out[-1].startswith("test accuracy: ")
    assert (
        main([*TRAIN, "--data", f"{kind}:{folder}", "--out", str(tmp_path / "run")]) == 2
    )  # train needs them
    assert "not found in" in one_error_line(capsys, "train")
