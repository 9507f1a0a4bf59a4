"""A numpy.py of one's own, where Python looks first, is named in one line before minicnn imports it."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(tmp_path, *argv):
    env = {**os.environ, "PYTHONPATH": ROOT}
    return subprocess.run([sys.executable, *argv], cwd=tmp_path, env=env, capture_output=True, text=True)


@pytest.fixture
def folder_with_numpy_py(tmp_path):
    (tmp_path / "numpy.py").write_text("import numpy as np\nx = np.zeros(3)\n")
    return tmp_path


@pytest.mark.parametrize("module", ["minicnn", "minicnn.bench"])
def test_a_command_run_beside_a_numpy_py_says_so_in_one_line(folder_with_numpy_py, module):
    done = _run(folder_with_numpy_py, "-m", module, "--help")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == (
        f"python -m {module}: error: minicnn needs NumPy, but 'import numpy' would run "
        f"{folder_with_numpy_py / 'numpy.py'}: rename that file\n"
    )


def test_an_import_beside_a_numpy_py_raises_an_import_error_naming_it(folder_with_numpy_py):
    done = _run(folder_with_numpy_py, "-c", "import minicnn")
    assert done.returncode == 1
    shadow = folder_with_numpy_py / "numpy.py"
    assert done.stderr.splitlines()[-1] == (
        f"ImportError: minicnn needs NumPy, but 'import numpy' would run {shadow}: rename that file"
    )


def test_without_one_the_command_starts(tmp_path):
    done = _run(tmp_path, "-m", "minicnn", "--help")
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m minicnn")
