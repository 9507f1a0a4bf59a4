"""python -m minicnn convert-weights: never replaces a file unasked, names what is wrong with its
paths."""

import os

import pytest
from cli_helpers import one_error_line

from minicnn import io, models
from minicnn.__main__ import main


@pytest.fixture
def weights_file(tmp_path):
    path = tmp_path / "w.npz"
    mc_state = models.lenet5().state_dict()
    io.save(mc_state, path)
    return path


def test_convert_weights_refuses_to_replace_a_file_unless_asked(weights_file, tmp_path, capsys):
    dst = tmp_path / "keep.npz"
    dst.write_bytes(b"precious")
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(f"{dst} exists; add --overwrite to replace it")
    assert dst.read_bytes() == b"precious"
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert set(io.load(dst)) == set(models.lenet5().state_dict())


def test_convert_weights_shows_control_characters_of_the_name_it_wrote_as_escapes(
    weights_file, tmp_path, capsys
):
    """A name from a folder of downloads reaches the terminal escaped, as every error's does."""
    dst = tmp_path / "w\x1b[2K\x1b[1Aok.npz"
    assert main(["convert-weights", str(weights_file), str(dst)]) == 0
    assert capsys.readouterr().out == f"wrote {tmp_path}/w\\x1b[2K\\x1b[1Aok.npz\n"
    assert set(io.load(dst)) == set(models.lenet5().state_dict())


@pytest.mark.parametrize(
    "src, dst, says",
    [
        ("w.npz", "w.npz", "w.npz is the file to convert; write the .npz under another name"),
        ("w.npz", ".", ". is a folder; give the .npz file's name"),
        (".", "out.npz", "'.' is a folder, not a regular file"),
    ],
)
def test_convert_weights_names_what_is_wrong_with_its_paths(
    src, dst, says, weights_file, capsys, monkeypatch
):
    monkeypatch.chdir(weights_file.parent)
    assert main(["convert-weights", src, dst, "--overwrite"]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(f"error: {says}")


@pytest.mark.parametrize("name", ["made.npz", "made.safetensors"])
def test_convert_weights_keeps_a_file_made_at_dst_while_it_converts(
    name, weights_file, tmp_path, capsys, monkeypatch
):
    from minicnn import atomic_write

    dst = tmp_path / name
    real = atomic_write._create_temp

    def made_first(folder, base):  # after the command looked at dst, before its file is in place
        if not dst.exists():
            dst.write_bytes(b"precious")
        return real(folder, base)

    monkeypatch.setattr(atomic_write, "_create_temp", made_first)
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {dst} exists; add --overwrite to replace it"
    )
    assert dst.read_bytes() == b"precious"
    assert sorted(os.listdir(tmp_path)) == sorted([name, "w.npz"])  # no temporary file left
    dst.unlink()
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert dst.read_bytes() != b"precious" and os.path.getsize(dst) > 10_000


def test_convert_weights_to_a_link_names_it_and_replaces_the_link_not_its_target(
    weights_file, tmp_path, capsys
):
    dst, target = tmp_path / "d.npz", tmp_path / "nowhere" / "t.npz"
    os.symlink(target, dst)
    assert main(["convert-weights", str(weights_file), str(dst)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {dst} exists (a broken link); add --overwrite to replace it"
    )
    assert main(["convert-weights", str(weights_file), str(dst), "--overwrite"]) == 0
    assert not dst.is_symlink() and not target.parent.exists()
    assert set(io.load(dst)) == set(models.lenet5().state_dict())
    # a link to the file to convert: the link is replaced, the file it named stays as it was
    before = weights_file.read_bytes()
    link = tmp_path / "to_src.npz"
    os.symlink(weights_file, link)
    assert main(["convert-weights", str(weights_file), str(link)]) == 2
    assert one_error_line(capsys, "convert-weights").endswith(
        f"error: {link} exists (a link to {str(weights_file)!r}); add --overwrite to replace it"
    )
    assert main(["convert-weights", str(weights_file), str(link), "--overwrite"]) == 0
    assert not link.is_symlink() and weights_file.read_bytes() == before
