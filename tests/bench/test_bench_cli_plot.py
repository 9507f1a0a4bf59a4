"""The bench's plot: a panel per part timed, none when nothing was timed, and no warnings."""

import os
import warnings

import pytest
from bench_cli_helpers import SMALL, fake_result

from minicnn.bench import __main__ as bench_main
from minicnn.bench import report


@pytest.mark.parametrize("layers, models", [(True, False), (False, True), (True, True)])
def test_the_plot_draws_a_panel_per_part_timed_without_warnings(layers, models, tmp_path, rng):
    pytest.importorskip("matplotlib")
    path = tmp_path / "p.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert report.plot(fake_result(rng, layers, models), str(path))
    assert path.read_bytes()[:4] == b"\x89PNG"


def test_nothing_timed_draws_no_plot(tmp_path, rng):
    result = fake_result(rng, layers=False, models=False)
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


def test_each_time_panel_leaves_room_above_its_tallest_bar(tmp_path, rng, monkeypatch):
    """The legend sits in the top corner: the log axis runs to 3x the tallest bar, a decade
    below the shortest, so a one-case record's bars do not run under it."""
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt

    drawn = []
    real_savefig = plt.Figure.savefig
    monkeypatch.setattr(
        plt.Figure, "savefig", lambda fig, *a, **k: drawn.append(fig) or real_savefig(fig, *a, **k)
    )
    result = fake_result(rng, layers=False, models=True)
    assert report.plot(result, str(tmp_path / "p.png"))
    ax = drawn[0].axes[0]
    tallest = max(patch.get_height() for patch in ax.patches)
    shortest = min(patch.get_height() for patch in ax.patches)
    bottom, top = ax.get_ylim()
    assert top == pytest.approx(3 * tallest) and shortest / 10 < bottom <= shortest
