"""python -m minicnn eval: weights in another format are pointed to convert-weights, and a
model or data read from a run's notes is named with where it was read."""

import json
import os
import shutil

import numpy as np
import pytest

from minicnn import io, models
from minicnn.__main__ import main
from minicnn.weights import write_safetensors

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def one_error_line(capsys):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("python -m minicnn eval: error: "), err
    return err[0].removeprefix("python -m minicnn eval: error: ")


def a_run(folder, model="lenet5", data="digits", weights=None):
    """A run's folder as train leaves it, as far as eval reads it: model.npz and metrics.json."""
    folder.mkdir(parents=True, exist_ok=True)
    io.save(weights if weights is not None else models.get(model).state_dict(), folder / "model.npz")
    (folder / "metrics.json").write_text(json.dumps({"model": model, "data": data, "epochs": 1}))
    return folder


@pytest.mark.parametrize("name", ["lenet.pth", "lenet.bin"])
def test_a_pth_file_is_told_by_its_content_with_the_command_that_converts_it(
    name, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    shutil.copy(os.path.join(FIXTURES, "tiny_state.pth"), name)
    assert main(["eval", name, "--model", "lenet5"]) == 2
    assert one_error_line(capsys) == (
        f"{name} is a PyTorch .pth file (a zip holding 'tiny_state/data.pkl'), which eval does not read; "
        f"convert it to an .npz first: python -m minicnn convert-weights {name} lenet.npz"
    )


def test_a_safetensors_file_is_told_by_its_content_with_the_command_that_converts_it(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    write_safetensors(models.lenet5().state_dict(), "lenet_t.safetensors")
    assert main(["eval", "lenet_t.safetensors", "--model", "lenet5"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("lenet_t.safetensors is a safetensors file (a JSON header of ")
    assert line.endswith(
        "bytes), which eval does not read; convert it to an .npz first: "
        "python -m minicnn convert-weights lenet_t.safetensors lenet_t.npz"
    )
    # and once converted as it says, eval reads it
    assert main(line.partition("first: python -m minicnn ")[2].split()) == 0
    assert main(["eval", "lenet_t.npz", "--model", "lenet5", "--data", "digits"]) == 0
    assert "test accuracy" in capsys.readouterr().out


def test_a_safetensors_file_named_npz_is_told_by_its_content_and_converted_as_it_is(
    tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    write_safetensors(models.lenet5().state_dict(), "lenet.npz")
    assert main(["eval", "lenet.npz", "--model", "lenet5"]) == 2
    line = one_error_line(capsys)
    assert line.endswith(
        "convert it to an .npz first: python -m minicnn convert-weights lenet.npz lenet.npz.npz"
    )
    assert main(line.partition("first: python -m minicnn ")[2].split()) == 0
    assert main(["eval", "lenet.npz.npz", "--model", "lenet5", "--data", "digits"]) == 0


def test_a_pth_name_on_a_file_no_zip_gets_the_command_that_says_what_it_is(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "old.pth").write_bytes(b"\x80\x02 a pickle, as torch.save wrote before PyTorch 1.6")
    assert main(["eval", "old.pth", "--model", "lenet5"]) == 2
    assert one_error_line(capsys) == (
        "old.pth is not an .npz (nor any zip), and its name says PyTorch's format; convert it to an .npz "
        "first: python -m minicnn convert-weights old.pth old.npz"
    )


def test_the_help_says_which_weights_eval_reads(capsys):
    assert main(["eval", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "weights converted to .npz by convert-weights" in text
    assert main(["--help"]) == 0  # the command list's summary names the folder too
    listed = " ".join(capsys.readouterr().out.split())
    assert (
        "eval evaluate a run's folder or saved weights (model.npz, checkpoint.npz) on a test split" in listed
    )


def test_a_model_read_from_metrics_json_is_named_in_the_error_it_leads_to(tmp_path, capsys):
    run = a_run(tmp_path / "run", weights=models.resnet20().state_dict())  # another run's weights
    assert main(["eval", str(run / "model.npz")]) == 2
    assert one_error_line(capsys) == (
        f"{run / 'model.npz'}: these weights are not lenet5's: they lack '0.weight' "
        f"(model lenet5, read from {run / 'metrics.json'}; pass --model to choose)"
    )
    assert main(["eval", str(run / "model.npz"), "--model", "resnet20"]) == 2  # the model chosen: data next
    line = one_error_line(capsys)
    assert line.startswith("model resnet20 cannot take this data's images of shape (1, 28, 28)")
    assert line.endswith(f"(data digits, read from {run / 'metrics.json'}; pass --data to choose)")


def test_an_unknown_model_in_metrics_json_is_named_with_the_file(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(a_run(tmp_path / "run"))
    (tmp_path / "run" / "metrics.json").write_text(json.dumps({"model": "lenet9", "data": "digits"}))
    assert main(["eval", "model.npz"]) == 2
    line = one_error_line(capsys)
    assert line.startswith("unknown model 'lenet9' (did you mean lenet5?); choose one of lenet1989, lenet5,")
    assert line.endswith("(model lenet9, read from ./metrics.json; pass --model to choose)")


def test_data_read_from_metrics_json_is_named_in_the_error_it_leads_to(tmp_path, capsys):
    run = a_run(tmp_path / "run", data=f"mnist:{tmp_path / 'gone'}")
    assert main(["eval", str(run / "model.npz")]) == 2
    assert one_error_line(capsys) == (
        f"--data mnist:{tmp_path / 'gone'}: no such folder {str(tmp_path / 'gone')!r} "
        f"(data mnist:{tmp_path / 'gone'}, read from {run / 'metrics.json'}; pass --data to choose)"
    )


def test_files_recorded_beside_data_made_in_memory_are_left_aside_as_train_does(tmp_path, capsys):
    run = a_run(tmp_path / "run")
    metrics = json.loads((run / "metrics.json").read_text())
    metrics["data_files"] = {"t10k-images-idx3-ubyte": {"bytes": 1, "sha256": "0" * 64}}
    (run / "metrics.json").write_text(json.dumps(metrics))
    assert main(["eval", str(run)]) == 0
    assert capsys.readouterr().out.startswith("data: digits\ntest loss: ")


def test_a_model_read_from_a_checkpoint_is_named_in_the_error_it_leads_to(tmp_path, capsys):
    meta = json.dumps({"model": "lenet5", "settings": {"data": "digits"}})
    checkpoint = {"model": models.resnet20().state_dict(), "optimizer": {}, "epoch": 1, "meta": meta}
    io.save(checkpoint, tmp_path / "checkpoint.npz")
    assert main(["eval", str(tmp_path / "checkpoint.npz")]) == 2
    assert one_error_line(capsys).endswith(
        f"(model lenet5, read from the meta of {tmp_path / 'checkpoint.npz'}; pass --model to choose)"
    )


def test_metrics_json_describes_a_runs_model_npz_not_other_weights_beside_it(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(a_run(tmp_path))  # a run of lenet5 in the current folder
    io.save(models.resnet20().state_dict(), "r20.pth.npz")  # and converted weights beside it
    assert main(["eval", "r20.pth.npz"]) == 2
    assert one_error_line(capsys) == (
        "cannot tell which model these weights are for: pass --model NAME "
        "(./metrics.json describes a run's model.npz, not r20.pth.npz)"
    )
    os.remove("metrics.json")
    assert main(["eval", "r20.pth.npz"]) == 2
    assert one_error_line(capsys) == "cannot tell which model these weights are for: pass --model NAME"


def test_the_flags_name_no_source(tmp_path, capsys):
    run = a_run(tmp_path / "run", weights=models.resnet20().state_dict())
    assert main(["eval", str(run / "model.npz"), "--model", "lenet5", "--data", "digits"]) == 2
    assert (
        one_error_line(capsys) == f"{run / 'model.npz'}: these weights are not lenet5's: they lack '0.weight'"
    )


def test_a_run_folder_evaluates_without_flags(tmp_path, capsys):
    run = a_run(tmp_path / "run")
    assert main(["eval", str(run / "model.npz")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == "data: digits"


def test_eval_of_a_run_folder_reads_its_model_npz(tmp_path, capsys):
    run = a_run(tmp_path / "run")
    assert main(["eval", str(run / "model.npz")]) == 0
    by_file = capsys.readouterr().out
    assert main(["eval", str(run)]) == 0
    assert capsys.readouterr().out == by_file
    (run / "model.npz").unlink()
    (run / "model.npz").mkdir()  # a folder in its place is refused as any non-file is
    assert main(["eval", str(run)]) == 2
    assert one_error_line(capsys).endswith("model.npz: is a folder, not a regular file")


# a line that, printed as it is, would clear the terminal's line and show a fake result in green
FAKE = "\x1b[2K\x1b[32mtest accuracy: 0.9990\x1b[0m"
SHOWN = "\\x1b[2K\\x1b[32mtest accuracy: 0.9990\\x1b[0m"


def test_control_characters_of_metrics_json_are_shown_as_escapes(tmp_path, capsys):
    run = a_run(tmp_path / "run", data="mnist:/" + FAKE)
    assert main(["eval", str(run / "model.npz")]) == 2
    line = one_error_line(capsys)
    assert "\x1b" not in line
    assert line == (
        f"--data mnist:/{SHOWN}: no such folder '/{SHOWN}' "
        f"(data mnist:/{SHOWN}, read from {run / 'metrics.json'}; pass --data to choose)"
    )
    assert main(["eval", str(run / "model.npz"), "--debug"]) == 2  # the traceback quotes it too
    err = capsys.readouterr().err
    assert "Traceback" in err and SHOWN in err and "\x1b" not in err
    (run / "metrics.json").write_text(json.dumps({"model": "lenet5" + FAKE, "data": "digits"}))
    assert main(["eval", str(run / "model.npz")]) == 2
    line = one_error_line(capsys)
    assert "\x1b" not in line and line.endswith(
        f"(model lenet5{SHOWN}, read from {run / 'metrics.json'}; pass --model to choose)"
    )


def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def test_the_data_line_of_a_result_shows_control_characters_as_escapes(tmp_path, rng, capsys):
    """A folder's name is read from a file too (here, metrics.json names it)."""
    folder = tmp_path / ("mnist" + FAKE)
    folder.mkdir()
    for split, n in (("train", 20), ("t10k", 20)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = np.arange(n) % 10
        (folder / f"{split}-images-idx3-ubyte").write_bytes(_idx(images, 2051))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(_idx(labels, 2049))
    run = a_run(tmp_path / "run", data=f"mnist:{folder}")
    assert main(["eval", str(run / "model.npz")]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out
    assert out.splitlines()[0] == f"data: mnist:{tmp_path}/mnist{SHOWN}"
