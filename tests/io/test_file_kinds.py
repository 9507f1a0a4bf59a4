"""mc.load tells a .pth or safetensors file by its content and points to convert-weights."""

import os
import re

import numpy as np
import pytest

import minicnn as mc
from minicnn import io

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def _pth_bytes():
    with open(os.path.join(FIXTURES, "tiny_state.pth"), "rb") as f:  # torch.save's zip format
        return f.read()


def _safetensors_bytes(tmp_path):
    from minicnn.weights import write_safetensors

    write_safetensors({"w": np.ones((2, 3), np.float32)}, tmp_path / "made.safetensors")
    return (tmp_path / "made.safetensors").read_bytes()


@pytest.mark.parametrize("name", ["w.pth", "w.pt", "w.bin"])
def test_a_pth_file_is_told_by_its_content_and_pointed_to_convert_weights(tmp_path, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    (tmp_path / name).write_bytes(_pth_bytes())
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load(name)
    assert str(caught.value) == (
        f"mc.load: {name} is a PyTorch .pth file (a zip holding 'tiny_state/data.pkl'), not an .npz: "
        f"minicnn.weights.load_torchvision reads it, and python -m minicnn convert-weights {name} w.npz "
        "converts it"
    )
    assert isinstance(caught.value, io.CheckpointError)  # what mc.load documents


def test_a_safetensors_file_is_told_by_its_content_whatever_its_name(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = _safetensors_bytes(tmp_path)
    header = int.from_bytes(data[:8], "little")
    (tmp_path / "w.safetensors").write_bytes(data)
    with pytest.raises(
        io.ForeignWeights,
        match=re.escape(
            f"mc.load: w.safetensors is a safetensors file (a JSON header of {header} bytes), not an .npz: "
            "minicnn.weights.load_torchvision reads it, and python -m minicnn convert-weights w.safetensors "
            "w.npz converts it"
        ),
    ):
        mc.load("w.safetensors")
    # named as an .npz: convert-weights tells it by its content too, and writes beside it
    (tmp_path / "w.safetensors").rename(tmp_path / "w.npz")
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load("w.npz")
    assert str(caught.value).endswith(
        "not an .npz: minicnn.weights.load_torchvision reads it, "
        "and python -m minicnn convert-weights w.npz w.npz.npz converts it"
    )
    assert caught.value.how == "python -m minicnn convert-weights w.npz w.npz.npz"
    from minicnn.__main__ import main

    assert main(["convert-weights", "w.npz", "w.npz.npz"]) == 0
    np.testing.assert_array_equal(mc.load("w.npz.npz")["w"], np.ones((2, 3), np.float32))


def test_the_command_given_converts_the_file(tmp_path, monkeypatch):
    import shlex

    from minicnn.__main__ import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my weights.pth").write_bytes(_pth_bytes())
    (tmp_path / "my weights.npz").write_bytes(b"an earlier file of that name")
    with pytest.raises(io.ForeignWeights) as caught:
        mc.load("my weights.pth")
    argv = shlex.split(caught.value.how)
    assert argv[:4] == ["python", "-m", "minicnn", "convert-weights"]
    assert argv[4:] == ["my weights.pth", "my weights.pth.npz"]  # not over the file that is there
    assert main(argv[3:]) == 0
    assert list(mc.load("my weights.pth.npz")) == list(mc.weights.load_torchvision("my weights.pth"))


def test_a_pth_name_on_a_file_no_zip_is_pointed_to_convert_weights_for_its_reason(tmp_path):
    old = tmp_path / "old.pth"
    old.write_bytes(b"\x80\x02 a pickle, as torch.save wrote before PyTorch 1.6")
    with pytest.raises(
        io.ForeignWeights,
        match=re.escape(
            f"{old} is not an .npz (nor any zip), and its name says PyTorch's format: try python -m minicnn "
            f"convert-weights {old} {tmp_path / 'old.npz'}, which reads the .pth files of torch.save"
        ),
    ):
        mc.load(old)


def test_an_npz_that_is_damaged_is_not_taken_for_another_format(tmp_path):
    for name in ("garbage.npz", "garbage.bin"):
        (tmp_path / name).write_bytes(b"this is not a checkpoint at all")
        with pytest.raises(io.CheckpointError, match="not a readable checkpoint") as caught:
            mc.load(tmp_path / name)
        assert not isinstance(caught.value, io.ForeignWeights)
