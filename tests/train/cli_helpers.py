"""What the command-line tests share: the one error line a refused command prints, the digits flags, a
damaged copy of a run."""

from minicnn import io


def one_error_line(capsys, command="train"):
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("resuming ")]
    assert len(err) == 1, err
    assert err[0].startswith(f"python -m minicnn {command}: error: "), err
    return err[0]


DIGITS = ("--data", "digits", "--quiet")


# --- what a damaged run folder says ------------------------------------------------------------


def _damaged_checkpoint(run, tmp_path, **changes):
    """A copy of the run whose checkpoint has ``changes`` written over its entries."""
    import shutil

    out = tmp_path / "damaged"
    shutil.copytree(run, out)
    state = io.load(out / "checkpoint.npz")
    state.update(changes)
    io.save(state, out / "checkpoint.npz")
    return out
