"""Every course notebook runs top to bottom in fast mode (MINICNN_FAST=1) and shows its key result."""
import importlib.util
import pathlib
import re

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"

# notebook -> a line its run must print (the result the notebook is about)
KEY_OUTPUT = {
    "01_autograd_from_scratch": r"reverse topological: +\[ +8\. +-16\.\]",
    "02_convolution_im2col": r"im2col is \d+x faster than the loops",
    "03_lenet5_mnist": r"LeNet-5 \(modern\) test accuracy: \d+\.\d+%",
    "04_alexnet_tricks": r"groups=1 614,656 parameters, groups=2 307,456",
    "05_deeper_vgg_nin_googlenet": r"multiply-adds: naive 303M, reduced 128M",
    "06_resnet_and_batchnorm": r"plain-\d+ +training error \d+\.\d+%",
    "07_finetuning_and_deep_features": r"deep features \+ linear classifier: \d+\.\d+%",
    "08_visualizing_cnns": r"test accuracy after \d+ epochs: \d+\.\d+%",
    "09_cpu_vs_gpu": r"one multiply of a 1-element tensor .*: [\d.]+ us",
}


def _run_all():
    spec = importlib.util.spec_from_file_location("run_all", NOTEBOOKS / "run_all.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _text_and_images(nb):
    text, images = [], 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                text.append(out.text)
            elif out.output_type in ("execute_result", "display_data"):
                images += "image/png" in out.data
                text.append(out.data.get("text/plain", ""))
    return "".join(text), images


def test_every_notebook_has_a_key_output():
    names = sorted(p.stem for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert names == sorted(KEY_OUTPUT)


@pytest.mark.parametrize("name", sorted(KEY_OUTPUT))
def test_notebook_runs_in_fast_mode(name):
    run_all = _run_all()
    nb = run_all.execute(NOTEBOOKS / f"{name}.ipynb", fast=True, timeout=300, save=False)
    text, images = _text_and_images(nb)
    assert re.search(KEY_OUTPUT[name], text), f"{name}: expected a line matching {KEY_OUTPUT[name]!r}"
    assert images >= 1, f"{name}: no figure was drawn"
    assert "Traceback" not in text


def test_committed_notebooks_carry_their_outputs():
    """The notebooks are stored executed (full mode), so they read on the web without running."""
    import nbformat
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert any(c.get("outputs") for c in code), f"{path.name} is stored without outputs"
        assert not any(o.output_type == "error" for c in code for o in c.get("outputs", [])), path.name
        text, images = _text_and_images(nb)
        assert images >= 1, path.name
        assert "mode: full" in text, f"{path.name} was not saved from a full run"
