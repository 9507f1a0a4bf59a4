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
