"""Every course notebook runs top to bottom in fast mode (MINICNN_FAST=1) and shows its key result."""

import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

pytest.importorskip("nbclient")
pytest.importorskip("nbformat")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"

# notebook -> a line its run must print (the result the notebook is about)
KEY_OUTPUT = {
    "01_autograd_from_scratch": r"reverse topological: +\[ +8\. +-16\.\]",
    "02_convolution_im2col": r"im2col \+ GEMM \(numpy-simple\) is \d+x faster than the loops",
    "03_lenet5_mnist": r"LeNet-5 \(modern\) test accuracy: \d+\.\d+%",
    "04_alexnet_tricks": r"groups=1 614,656 parameters, groups=2 307,456",
    "05_deeper_vgg_nin_googlenet": r"multiply-adds: naive 303M, reduced 128M",
    "06_resnet_and_batchnorm": r"plain-\d+ +training error \d+\.\d+%",
    "07_finetuning_and_deep_features": r"claim finetune_beats_scratch_few_labels: (shown|not shown|reversed)",
    "08_visualizing_cnns": r"test accuracy after \d+ epochs: \d+\.\d+%",
    "09_cpu_vs_gpu": r"one multiply of a 1-element tensor .*: [\d.]+ us",
    "10_dead_units_dropconnect_depth_and_cost": r"claim resnet1202_trains: (shown|not shown|reversed);",
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
    checks = [c for c in nb.cells if "your-turn" in _tags(c) and "exercises.check(" in c.source]
    assert checks, f"{name}: no exercise check cell"
    for cell in checks:
        printed = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        # fast mode skips LeNet-5's training (quick=True): its cases pass, and it says no more
        passed = r"passed \(\d+ cases.*\)|training skipped \(quick=True\), so not passed in full; its \d+ "
        passed += "cases passed"
        assert re.fullmatch(rf"[a-z0-9_]+: (?:{passed})\n", printed), (name, cell.source, printed)


def _tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def _your_turn(nb):
    """The notebook's "Your turn" cells; they are its last cells, after the chapter's own."""
    first = next(i for i, c in enumerate(nb.cells) if "your-turn" in _tags(c))
    assert all("your-turn" in _tags(c) for c in nb.cells[first:]), "Your turn cells must come last"
    return nb.cells[first:]


def test_every_exercise_has_a_stub_and_a_check_in_its_notebook():
    import nbformat

    from minicnn import exercises

    seen = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = _your_turn(nbformat.read(path, as_version=4))
        stubs = [c for c in cells if "exercise-stub" in _tags(c)]
        assert stubs, path.name
        for stub in stubs:
            name = stub.metadata["exercise"]
            assert exercises.info(name).notebook == path.stem
            namespace = {}
            exec(stub.source, namespace)  # the stub as stored: it must fail clearly
            with pytest.raises(exercises.NotImplementedYet, match=f"{name}: not implemented yet"):
                exercises.check(name, namespace[name], quick=True)
            # the call may be wrapped after its opening parenthesis, as a formatter lays it out
            check = re.compile(rf'exercises\.check\(\s*"{name}", {name}\b')
            assert any(check.search(c.source) for c in cells), name
            seen.append(name)
        questions = [c for c in cells if c.cell_type == "markdown" and c.source.startswith("### Questions")]
        assert len(questions) == 1 and questions[0].source.count("\n1. ") == 1, path.name
        assert all(not c.get("outputs") for c in cells if c.cell_type == "code"), path.name
    assert sorted(seen) == sorted(exercises.names())


def test_a_saved_notebook_keeps_the_stubs():
    """The run fills the solutions in; what is written back shows the stubs, without outputs."""
    import nbformat

    run_all = _run_all()
    nb = nbformat.read(NOTEBOOKS / "02_convolution_im2col.ipynb", as_version=4)
    stored = [c.source for c in nb.cells]
    stubs = run_all.fill_in_solutions(nb)
    assert [nb.cells[i].source for i in stubs][0] == "from solutions import im2col"
    for cell in nb.cells:
        if "your-turn" in _tags(cell) and cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", text="im2col: passed (6 cases)\n")]
    saved = run_all.for_saving(nb, stubs)
    assert [c.source for c in saved.cells] == stored
    assert not any(c.get("outputs") for c in saved.cells if "your-turn" in _tags(c))
    assert any(c.get("outputs") for c in saved.cells if "your-turn" not in _tags(c))


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


def test_kernels_talk_over_local_sockets_where_the_system_has_them(tmp_path, monkeypatch):
    """ipc, not tcp: over tcp ipykernel warns that code and outputs travel unencrypted."""
    import zmq

    run_all = _run_all()
    km = run_all.kernel_manager(str(tmp_path))
    if os.name == "posix" and zmq.has("ipc"):
        assert km.transport == "ipc" and km.ip == str(tmp_path / "kernel")
    monkeypatch.setattr(zmq, "has", lambda capability: False)
    assert run_all.kernel_manager(str(tmp_path)).transport == "tcp"


def test_a_notebook_runs_without_a_word_on_stderr(tmp_path):
    """No "[IPKernelApp] WARNING | Kernel is running over TCP without encryption", nor a kernel
    left to notice later that its parent has gone."""
    done = subprocess.run(
        [sys.executable, str(NOTEBOOKS / "run_all.py"), "--fast", "--no-save", "01_"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stderr == "" and " ok" in done.stdout, done.stdout + done.stderr
    assert list(tmp_path.iterdir()) == []  # no socket file left where it was started
