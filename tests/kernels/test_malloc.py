"""keep_freed_memory sets glibc's malloc thresholds so that memory a step frees serves the
next step without page faults; minicnn's own processes (the command line, the bench's
workers) call it, importing minicnn does not, and a user's own MALLOC_* setting stands."""

import os
import subprocess
import sys

import pytest

from minicnn.kernels import malloc

# A "step" that allocates four 1.2 MB arrays and frees them all: at glibc's defaults the
# 4.8 MB then free at the top of the heap is more than twice the largest block freed so
# far, so glibc gives it back and the next step faults every page in again.
STEP_FAULTS = """
import resource, sys
import numpy as np
if sys.argv[1] == "import":
    import minicnn
    from minicnn.kernels import malloc
    print(malloc.kept)
elif sys.argv[1] == "keep":
    from minicnn.kernels import malloc
    print(malloc.keep_freed_memory())
else:
    print(None)
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def step():
    arrays = [np.ones(300_000, np.float32) for _ in range(4)]
    del arrays
for _ in range(3):
    step()
before = faults()
for _ in range(10):
    step()
print((faults() - before) / 10)
"""

needs_glibc = pytest.mark.skipif(not malloc.glibc(), reason="glibc's malloc only")


def _clean_environ():
    """This process's environment without the user's malloc settings."""
    return {k: v for k, v in os.environ.items() if k not in malloc.VARIABLES + ("GLIBC_TUNABLES",)}


def _run(mode, **env):
    """(what the child printed of its thresholds, its faults a step); mode "numpy": NumPy alone,
    "import": after importing minicnn, "keep": after keep_freed_memory()."""
    environ = _clean_environ()
    out = subprocess.run(
        [sys.executable, "-c", STEP_FAULTS, mode],
        env={**environ, **env},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return out[0], float(out[1])


@needs_glibc
def test_a_step_that_faults_at_glibcs_defaults_does_not_once_freed_memory_is_kept():
    kept, faults_numpy = _run("numpy")
    assert faults_numpy > 4 * 200  # most of the four arrays' 293 pages each
    kept, faults_kept = _run("keep")
    assert kept == "True"
    assert faults_kept < 10


@needs_glibc
def test_importing_minicnn_leaves_the_allocator_alone():
    kept, faults = _run("import")
    assert kept == "False"
    assert faults > 4 * 200


@needs_glibc
@pytest.mark.parametrize("module", ["minicnn.__main__", "minicnn.bench.__main__"])
def test_the_command_line_keeps_freed_memory(module):
    """The commands' main(), which both ``python -m`` and the installed ``minicnn`` script
    run, sets the thresholds first (here with --help, which ends the command at once)."""
    code = (
        f"from {module} import main\n"
        "main(['--help'])\n"
        "from minicnn.kernels import malloc\n"
        "print(malloc.kept)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=_clean_environ(), capture_output=True, text=True)
    assert out.stdout.split()[-1] == "True"


@needs_glibc
def test_a_bench_worker_keeps_freed_memory_whatever_its_library():
    """serve_stdio, the loop of every bench worker (PyTorch's as well as minicnn's), sets the
    thresholds before it serves: both libraries are timed with the same allocator settings."""
    code = (
        "import sys\n"
        "from minicnn.bench import worker\n"
        "from minicnn.kernels import malloc\n"
        "worker.serve_stdio(object())  # no request comes: the loop ends at once\n"
        "print(malloc.kept, file=sys.stderr)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=_clean_environ(), input="", capture_output=True, text=True
    )
    assert out.stderr.split()[-1] == "True"


@needs_glibc
def test_a_malloc_tunable_stands():
    kept, faults = _run("keep", GLIBC_TUNABLES="glibc.malloc.trim_threshold=131072")
    assert kept == "False"


@needs_glibc
@pytest.mark.parametrize("variable", malloc.VARIABLES)
def test_a_users_malloc_variable_stands(variable):
    """With either variable set (here to glibc's starting values), minicnn sets nothing."""
    value = {"MALLOC_MMAP_THRESHOLD_": "131072", "MALLOC_TRIM_THRESHOLD_": "131072"}[variable]
    kept, faults = _run("keep", **{variable: value})
    assert kept == "False"
    assert faults > 4 * 200


def test_nothing_is_set_where_a_variable_is_set_or_the_library_is_not_glibc(monkeypatch):
    monkeypatch.setattr(malloc, "kept", False)
    for name in malloc.VARIABLES + ("GLIBC_TUNABLES",):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert malloc.keep_freed_memory() is False
    assert "MALLOC_TRIM_THRESHOLD_" in malloc.describe()
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    monkeypatch.setattr(malloc, "glibc", lambda: False)
    assert malloc.keep_freed_memory() is False
    assert "not glibc" in malloc.describe()


def test_the_record_line_names_the_thresholds(monkeypatch):
    monkeypatch.setattr(malloc, "kept", True)
    assert malloc.describe() == "glibc malloc thresholds set (kernels/malloc.py): mmap 32 MiB, trim 64 MiB"
