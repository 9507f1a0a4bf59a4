"""A model, data set or kernel tier misspelt on the command line is refused with the closest
known name, as ``check`` does for an exercise: "unknown model 'lenet' (did you mean lenet5?)"."""

import json

import pytest

from minicnn import io, models
from minicnn.__main__ import main
from minicnn.cli_common import KERNELS
from minicnn.cli_names import did_you_mean


def error_line(capsys, command):
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m minicnn {command}: error: "), err
    return err[0].removeprefix(f"python -m minicnn {command}: error: ")


@pytest.mark.parametrize(
    "argv, says",
    [
        (
            ["train", "lenet"],
            "unknown model 'lenet' (did you mean lenet5?); choose one of lenet1989, lenet5,",
        ),
        (
            ["train", "lenet5", "--data", "digitz"],
            "unknown data 'digitz' (did you mean digits?); choose one of",
        ),
        (
            ["train", "lenet5", "--data", "mnst:/x"],
            "unknown data 'mnst:/x' (did you mean mnist?); choose one",
        ),
        (
            ["train", "lenet5", "--kernels", "numpy_simple"],
            "argument --kernels: invalid choice: 'numpy_simple' (did you mean numpy-simple?); choose from "
            "auto, numpy, numba, numpy-simple, reference",
        ),
        (
            ["eval", "model.npz", "--kernels", "numb"],
            "argument --kernels: invalid choice: 'numb' (did you mean numba?); choose",
        ),
        (["summary", "alexnett"], "unknown model 'alexnett' (did you mean alexnet?); choose one of"),
        (["summary", "resnet_18"], "unknown model 'resnet_18' (did you mean resnet18?); choose one of"),
    ],
)
def test_a_misspelt_name_is_refused_with_the_closest(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    assert error_line(capsys, argv[0]).startswith(says)
    assert list(tmp_path.iterdir()) == []  # refused before any folder is made


@pytest.mark.parametrize(
    "flags, says",
    [
        (["--model", "lenet5x"], "unknown model 'lenet5x' (did you mean lenet5?); choose one of"),
        (["--data", "digitz"], "unknown data 'digitz' (did you mean digits?); choose one of mnist5k, "),
    ],
)
def test_eval_names_the_closest_model_and_data(flags, says, tmp_path, capsys):
    io.save(models.lenet5().state_dict(), tmp_path / "model.npz")
    (tmp_path / "metrics.json").write_text(json.dumps({"model": "lenet5", "data": "digits", "epochs": 1}))
    assert main(["eval", str(tmp_path / "model.npz"), *flags]) == 2
    assert error_line(capsys, "eval").startswith(says)


@pytest.mark.parametrize(
    "argv, says",
    [
        (["train", "xyzzy"], "unknown model 'xyzzy'; choose one of "),
        (["train", "lenet5", "--data", "imagenet"], "unknown data 'imagenet'; choose one of "),
        (
            ["train", "lenet5", "--kernels", "fast"],
            "argument --kernels: invalid choice: 'fast'; choose from ",
        ),
    ],
)
def test_a_name_close_to_none_gets_no_guess(argv, says, capsys):
    assert main(argv) == 2
    line = error_line(capsys, argv[0])
    assert line.startswith(says) and "did you mean" not in line


def test_did_you_mean_names_the_closest_choice_or_nothing():
    assert did_you_mean("lenet", models.list_models()) == " (did you mean lenet5?)"
    assert did_you_mean("numpy_simple", KERNELS) == " (did you mean numpy-simple?)"
    assert did_you_mean("zzz", ["lenet5", "alexnet"]) == ""
    assert did_you_mean("lenet", []) == ""
