import pathlib
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
