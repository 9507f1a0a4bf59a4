"""Every notebook's stub cell holds the function of ``exercises.stub_source``, word for word: the
stub a student copies from a shell and the one in the notebook cannot drift apart."""

import json
import pathlib

import pytest

from minicnn import exercises

NOTEBOOKS = sorted((pathlib.Path(__file__).resolve().parents[2] / "notebooks").glob("[0-9][0-9]_*.ipynb"))
HEADER = "import numpy as np\n\n\n"  # the notebooks import NumPy in their first cell


def _stub_cells(path):
    """(exercise, source) of each cell tagged exercise-stub, as notebooks/run_all.py finds them."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return [
        (cell["metadata"]["exercise"], "".join(cell["source"]))
        for cell in cells
        if "exercise-stub" in cell.get("metadata", {}).get("tags", [])
    ]


def test_every_exercise_has_one_stub_cell():
    found = sorted(name for path in NOTEBOOKS for name, _ in _stub_cells(path))
    assert found == sorted(exercises.names())


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_stub_cells_hold_stub_source(path):
    for name, source in _stub_cells(path):
        wanted = exercises.stub_source(name)
        assert wanted.startswith(HEADER)
        assert source.rstrip("\n") == wanted[len(HEADER) :].rstrip("\n"), f"{path.name}: {name}"
