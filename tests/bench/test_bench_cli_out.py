"""The bench's --out and --name: refused in one line before any case runs where the result
cannot be written, files already there never overwritten unasked, and results written whole.
The runner is a stand-in wherever the cases themselves do not matter."""

import json
import os

import pytest
from bench_cli_helpers import ENV, SMALL, fake_result, one_error_line

from minicnn.__main__ import main as cli_main
from minicnn.bench import __main__ as bench_main
from minicnn.bench import report, runner


def test_an_out_that_is_a_file_is_refused_before_any_case_runs(tmp_path, fake_run, capsys):
    afile = tmp_path / "afile"
    afile.write_bytes(b"kept")
    assert cli_main(["bench"] + SMALL + ["--out", str(afile)]) == 2
    message = one_error_line(capsys.readouterr().err)
    assert message == f"--out {afile}: is a file, not a folder"
    assert fake_run == [] and afile.read_bytes() == b"kept"


def test_an_out_inside_a_file_is_refused(tmp_path, fake_run, capsys):
    (tmp_path / "afile").write_bytes(b"")
    assert bench_main.main(SMALL + ["--out", str(tmp_path / "afile" / "sub")]) == 2
    assert "cannot write into" in one_error_line(capsys.readouterr().err) and fake_run == []


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
        message = one_error_line(capsys.readouterr().err)
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
    assert "--name must be a file name without a folder" in one_error_line(capsys.readouterr().err)
    assert fake_run == []


@pytest.mark.parametrize("there", [["run.json"], ["run.png"], ["run.json", "run.png"]])
def test_results_already_there_are_kept_unless_overwrite(there, tmp_path, fake_run, capsys):
    for name in there:
        (tmp_path / name).write_bytes(b"earlier run")
    argv = SMALL + ["--out", str(tmp_path), "--name", "run"]
    assert bench_main.main(argv) == 2
    message = one_error_line(capsys.readouterr().err)
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
    assert one_error_line(capsys.readouterr().err) == (
        f"--out {tmp_path}: run.json (a broken link) already there; "
        "add --overwrite to replace them, or choose another --name"
    )
    assert bench_main.main(argv + ["--overwrite"]) == 0
    assert not (tmp_path / "run.json").is_symlink() and not (tmp_path / "nowhere").exists()
    assert json.loads((tmp_path / "run.json").read_text())["environment"] == ENV


def test_a_broken_link_as_out_is_refused_before_any_case_runs(tmp_path, fake_run, capsys):
    os.symlink(tmp_path / "nowhere", tmp_path / "out")
    assert bench_main.main(SMALL + ["--out", str(tmp_path / "out")]) == 2
    assert one_error_line(capsys.readouterr().err) == (
        f"--out {tmp_path / 'out'}: is a broken link (to {str(tmp_path / 'nowhere')!r}), not a folder; "
        "remove the link or choose another --out"
    )
    assert fake_run == [] and not (tmp_path / "nowhere").exists()


def test_a_folder_in_the_way_is_refused_even_with_overwrite(tmp_path, fake_run, capsys):
    (tmp_path / "run.json").mkdir()
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "run", "--overwrite"]) == 2
    assert "run.json is there and is not a regular file" in one_error_line(capsys.readouterr().err)
    assert fake_run == []


def test_a_result_that_appears_while_running_is_not_overwritten(tmp_path, monkeypatch, rng, capsys):
    def run(opts):  # another run writes the same name meanwhile
        (tmp_path / "run.json").write_bytes(b"the other run")
        return fake_result(rng)

    monkeypatch.setattr(runner, "run", run)
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", "run"]) == 2
    assert "run.json already there" in one_error_line(capsys.readouterr().err)
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
    assert one_error_line(capsys.readouterr().err).endswith(
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
        report.write(fake_result(rng), str(tmp_path), "run")
    assert (tmp_path / "run.json").read_bytes() == b"earlier run"
    matplotlib_figure = pytest.importorskip("matplotlib.figure")

    def half_a_png(self, f, **kw):
        f.write(b"\x89PNG half")
        raise OSError(28, "No space left on device")

    monkeypatch.undo()
    monkeypatch.setattr(matplotlib_figure.Figure, "savefig", half_a_png)
    with pytest.raises(OSError, match="(?i)no space left"):
        report.write(fake_result(rng), str(tmp_path), "run")
    assert json.loads((tmp_path / "run.json").read_text())["layers"][0]["case"] == "relu"
    assert (tmp_path / "run.png").read_bytes() == b"earlier run"
    assert sorted(os.listdir(tmp_path)) == ["run.json", "run.png"]  # no temporary files left


def test_a_plot_of_an_earlier_run_is_removed_when_this_one_draws_none(tmp_path, rng):
    (tmp_path / "run.png").write_bytes(b"earlier run")
    result = fake_result(rng, layers=False, models=False)
    assert report.write(result, str(tmp_path), "run") == (str(tmp_path / "run.json"), None)
    assert sorted(os.listdir(tmp_path)) == ["run.json"]


def test_a_name_too_long_for_the_file_system_is_refused_before_any_case_runs(tmp_path, fake_run, capsys, rng):
    name = "c" * int(rng.integers(252, 400))
    assert bench_main.main(SMALL + ["--out", str(tmp_path), "--name", name]) == 2
    assert one_error_line(capsys.readouterr().err) == (
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
