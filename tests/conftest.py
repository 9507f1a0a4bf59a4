import os
import pathlib
import struct
import subprocess
import sys
import time
import tracemalloc
import zipfile
import zlib

import numpy as np
import pytest

import minicnn as mc
from minicnn import backend

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
_golden = {}


def load_golden(family):
    """The arrays of tests/fixtures/<family>.npz, made once by PyTorch (see make_golden.py)."""
    if family not in _golden:
        with np.load(FIXTURES / f"{family}.npz") as f:
            _golden[family] = dict(f)
    return _golden[family]


@pytest.fixture
def golden():
    return load_golden


@pytest.fixture
def rng(request):
    """A generator seeded from the test case's own id: its inputs do not depend on which tests
    ran before it, and the same case always draws the same numbers."""
    return np.random.default_rng(zlib.crc32(request.node.nodeid.encode()))


# --- helpers the test files share, as fixtures --------------------------------------------------


def _tensor(a, grad=False, dtype=np.float64):
    return mc.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


@pytest.fixture
def t():
    """t(a, grad=False, dtype=float64): a leaf Tensor of ``a``, requiring grad when asked."""
    return _tensor


def _distinct(rng, shape, dtype=np.float64, spacing=None):
    size = int(np.prod(shape))
    spacing = 4.0 / size if spacing is None else spacing
    return ((rng.permutation(size) - size / 2) * spacing).reshape(shape).astype(dtype)


@pytest.fixture
def distinct():
    """distinct(rng, shape, dtype=float64, spacing=4/size): shuffled values ``spacing`` apart,
    centred on zero: no ties in a pooling window, so every kernel picks the same argmax."""
    return _distinct


def _lying_zip(path, entries, method):
    """A zip of {name: (data, claimed size)} packed with ``method``, each entry claiming its size.

    zipfile writes the true sizes; they are then rewritten in the entry's local header
    and in its record of the central directory, as a crafted file would have them.
    """
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, (data, _) in entries.items():
            zf.writestr(name, data)
        infos = zf.infolist()
    raw = bytearray(pathlib.Path(path).read_bytes())
    record = struct.unpack_from("<I", raw, raw.rfind(b"PK\x05\x06") + 16)[0]
    for info in infos:
        claimed = entries[info.filename][1]
        struct.pack_into("<I", raw, info.header_offset + 22, claimed)
        struct.pack_into("<I", raw, record + 24, claimed)
        record += 46 + sum(struct.unpack_from("<3H", raw, record + 28))
    pathlib.Path(path).write_bytes(bytes(raw))


@pytest.fixture
def lying_zip():
    """lying_zip(path, {name: (data, claimed size)}, method): a zip whose entries lie about their size."""
    return _lying_zip


def _peak_memory(fn):
    """The most bytes Python and NumPy allocated at once while ``fn()`` ran, counted by tracemalloc."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def peak_memory():
    """peak_memory(fn): the most bytes allocated at once while ``fn()`` ran."""
    return _peak_memory


def _guarded(args, seconds=60, memory=1 << 30, cwd=None):
    """``python *args`` in a child held to ``seconds`` of time and ``memory`` bytes of address
    space: (the CompletedProcess, the seconds it ran). A reader that hangs inside C code, where
    no signal handler runs, is killed, and one that would fill memory fails, so a regression
    fails its test instead of holding CI."""
    resource = pytest.importorskip("resource")  # POSIX

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds))

    root = str(pathlib.Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": root, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
    start = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=seconds,
            preexec_fn=limit,
            env=env,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"python {' '.join(map(str, args))} ran past {seconds} s")
    return done, time.perf_counter() - start


@pytest.fixture
def guarded():
    """guarded(args, seconds=60, memory=1 GiB, cwd=None): (CompletedProcess, seconds) of ``python *args``
    in a child killed past ``seconds`` and refused memory past ``memory``."""
    return _guarded


def _one_error_line(folder, *args):
    """The one line that ``python -m minicnn *args``, run guarded in ``folder``, printed as it failed."""
    done, _ = _guarded(["-m", "minicnn", *args], seconds=30, cwd=folder)
    lines = done.stderr.strip().splitlines()
    assert done.returncode > 0 and len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-3000:]
    return lines[0]


@pytest.fixture
def cli_error_line():
    """cli_error_line(folder, *args): ``guarded``'s run of the command, which must fail in one line."""
    return _one_error_line


@pytest.fixture(scope="session")
def site(tmp_path_factory):
    """The documentation site, built once (strict) for every test that reads it."""
    for package in ("mkdocs", "material", "mkdocstrings_handlers.python", "mkdocs_jupyter", "latex2mathml"):
        pytest.importorskip(package)
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=pathlib.Path(__file__).parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    return out


def pytest_collection_modifyitems(config, items):
    skip_gpu = pytest.mark.skip(reason="needs CuPy and an NVIDIA GPU")
    has_gpu = backend.cuda_available()
    try:
        import numba  # noqa: F401

        has_numba = True
    except ImportError:
        has_numba = False
    skip_numba = pytest.mark.skip(reason="needs the numba extra")
    for item in items:
        if item.get_closest_marker("gpu") and not has_gpu:
            item.add_marker(skip_gpu)
        if item.get_closest_marker("numba") and not has_numba:
            item.add_marker(skip_numba)
