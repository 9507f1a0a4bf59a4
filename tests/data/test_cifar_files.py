"""CIFAR-10 from its pickled batches, as written by Python 2 or 3: the arrays as written, and
missing, corrupt, malicious or oversized batches refused before any code in them runs or any
large allocation is made."""

import pickle

import numpy as np
import pytest

from minicnn.data import CIFAR10, DataFileError


def _write_cifar(folder, names, n, rng):
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names:
        batch = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, n).tolist(),
            b"batch_label": name.encode(),
        }
        (folder / name).write_bytes(pickle.dumps(batch))
        out[name] = batch
    return out


def test_cifar10_reads_pickle_batches(tmp_path):
    names = [f"data_batch_{i}" for i in range(1, 6)]
    batches = _write_cifar(
        tmp_path / "cifar-10-batches-py", names + ["test_batch"], 2, np.random.default_rng(3)
    )
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert train.images.shape == (10, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    first = batches["data_batch_1"][b"data"][0]
    # Row layout: 1024 red values, then green, then blue, each row-major 32x32.
    np.testing.assert_array_equal(train.images[0] * 255, first.reshape(3, 32, 32))
    assert np.allclose(train.images[0, 1, 0, 5] * 255, first[1024 + 5])
    assert test.labels.tolist() == batches["test_batch"][b"labels"]
    assert train.classes[0] == "airplane"


def test_cifar10_missing_and_corrupt_batches(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"data_batch_1.*test_batch.*Alex Krizhevsky's "
        r"CIFAR-10 page",
    ):
        CIFAR10(tmp_path)
    batches = _write_cifar(tmp_path, ["test_batch"], 2, np.random.default_rng(4))
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps(batches["test_batch"])[:500])
    with pytest.raises(DataFileError, match=r"test_batch \(CIFAR-10 batch\).*truncated or corrupt"):
        CIFAR10(tmp_path, train=False)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match=r"expected 'data' \(N, 3072\).*got data \(2, 100\)"):
        CIFAR10(tmp_path, train=False)


class _RunsCode:
    """Pickles as a call of ``exec``: unpickling it would create the file ``marker``."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (exec, (f"open({str(self.marker)!r}, 'w').close()",))


def test_a_cifar_batch_holding_code_is_refused_and_the_code_never_runs(tmp_path):
    marker = tmp_path / "ran"
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1], b"evil": _RunsCode(marker)}
    for protocol in (0, 2, 4):
        (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
        with pytest.raises(
            DataFileError,
            match=r"test_batch \(CIFAR-10 batch\): refusing to load "
            r"(__builtin__|builtins)\.exec",
        ):
            CIFAR10(tmp_path, train=False)
    # by hand: eval of an expression that would create the marker
    code = f"open({str(marker)!r}, 'w')".encode()
    (tmp_path / "test_batch").write_bytes(
        b"\x80\x02c__builtin__\neval\nX" + len(code).to_bytes(4, "little") + code + b"\x85R."
    )
    with pytest.raises(DataFileError, match=r"refusing to load __builtin__\.eval"):
        CIFAR10(tmp_path, train=False)
    assert not marker.exists()
    # the check is on the unpickling itself: a plain pickle.loads of the same bytes would run it
    pickle.loads(pickle.dumps(_RunsCode(marker)))
    assert marker.exists()


def test_cifar_batches_from_python2_and_numpy2_pickles_load(tmp_path):
    rng = np.random.default_rng(6)
    data = rng.integers(0, 256, (2, 3072), dtype=np.uint8)
    # The real batches were written by Python 2's cPickle: numpy.core.multiarray, bytes as str.
    py2 = (
        b"\x80\x02}q\x01(U\x04dataq\x02cnumpy.core.multiarray\n_reconstruct\nq\x03cnumpy\nndarray\n"
        b"q\x04K\x00\x85U\x01b\x87Rq\x05(K\x01K\x02M\x00\x0c\x86cnumpy\ndtype\nq\x06U\x02u1K\x00K\x01"
        b"\x87Rq\x07(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb\x89T\x00\x18\x00\x00"
        + data.tobytes()
        + b"tbU\x06labelsq\x08]q\t(K\x07K\x02eu."
    )
    (tmp_path / "test_batch").write_bytes(py2)
    ds = CIFAR10(tmp_path, train=False)
    np.testing.assert_array_equal(ds.images * 255, data.reshape(2, 3, 32, 32))
    assert ds.labels.tolist() == [7, 2]
    for protocol in (2, 3, 4):  # re-saved by Python 3 and NumPy 2, C or Fortran order
        batch = {b"data": np.asfortranarray(data), b"labels": [7, 2], b"batch_label": b"x"}
        (tmp_path / "test_batch").write_bytes(pickle.dumps(batch, protocol=protocol))
        np.testing.assert_array_equal(CIFAR10(tmp_path, train=False).images * 255, data.reshape(2, 3, 32, 32))


@pytest.mark.parametrize(
    "data, match",
    [
        (np.zeros((2, 3072), np.float64), r"dtype .*f8.*only uint8"),
        (np.zeros((2, 3072), np.int64), r"dtype .*i8.*only uint8"),
        (np.array([[1, None]], dtype=object), r"dtype .*O.*only uint8"),
    ],
)
def test_cifar_arrays_other_than_uint8_are_refused(tmp_path, data, match):
    (tmp_path / "test_batch").write_bytes(pickle.dumps({b"data": data, b"labels": [0, 1]}))
    with pytest.raises(DataFileError, match=match):
        CIFAR10(tmp_path, train=False)


@pytest.mark.parametrize(
    "labels, match",
    [
        ([0, 10], r"labels must be 0\.\.9, found 0\.\.10"),
        ([0], r"a list of 2 ints; got 1 labels"),
        ([0, 1.5], "a list of 2 ints"),
        ("ab", "a list of 2 ints; got str"),
    ],
)
def test_cifar_labels_are_checked(tmp_path, labels, match):
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": labels}
    (tmp_path / "test_batch").write_bytes(pickle.dumps(batch))
    with pytest.raises(DataFileError, match=match):
        CIFAR10(tmp_path, train=False)


def test_pickles_that_claim_huge_lengths_or_memo_slots_are_refused_before_allocating(tmp_path):
    path = tmp_path / "test_batch"
    path.write_bytes(b"\x80\x04\x8e" + (1 << 40).to_bytes(8, "little") + b"abc.")  # BINBYTES8
    with pytest.raises(DataFileError, match="expected 1099511627776 bytes in a bytes8"):
        CIFAR10(tmp_path, train=False)
    path.write_bytes(b"\x80\x02}r\xff\xff\xff\x7f.")  # LONG_BINPUT
    with pytest.raises(DataFileError, match="memo slot 2147483647 after 2 opcodes"):
        CIFAR10(tmp_path, train=False)


def test_a_memoised_str_encoded_many_times_is_counted_every_time(tmp_path, rng, peak_memory, monkeypatch):
    size, calls = int(rng.integers(1, 2) << 20) + int(rng.integers(0, 1000)), int(rng.integers(20, 40))
    text = bytes(rng.integers(ord("a"), ord("z"), size, dtype=np.uint8))
    # the callable and both arguments are memoised and popped (q, 0), then called again and again
    p = b"\x80\x02}(X\x04\x00\x00\x00datac_codecs\nencode\nq\x000X" + size.to_bytes(4, "little") + text
    p += b"q\x010X\x06\x00\x00\x00latin1q\x020](" + b"h\x00h\x01h\x02\x86R" * calls + b"eu."
    (tmp_path / "test_batch").write_bytes(p)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(6 * size))  # the file and its str fit, each copy not

    def read():
        match = r"test_batch \(CIFAR-10 batch\): the bytes it makes .* would take"
        with pytest.raises(DataFileError, match=match):
            CIFAR10(tmp_path, train=False)

    assert peak_memory(read) < 8 * size


def test_cifar10_counts_all_its_batches_and_their_float32_copy(tmp_path, rng, peak_memory, monkeypatch):
    n = int(rng.integers(50, 100))
    names = [f"data_batch_{i}" for i in range(1, 6)]
    _write_cifar(tmp_path, names + ["test_batch"], n, rng)
    one = (tmp_path / "test_batch").stat().st_size
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(3 * one))  # each batch fits on its own
    with pytest.raises(DataFileError, match=r"data_batch_2.* \(with (all|those) read before it\) would take"):
        CIFAR10(tmp_path)
    with pytest.raises(DataFileError, match=r"CIFAR10: .*: the CIFAR-10 images as float32 .* would take"):
        CIFAR10(tmp_path, train=False)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(30 * one))
    pixels = 5 * n * 3072
    train = []
    assert peak_memory(lambda: train.append(CIFAR10(tmp_path))) < 6.5 * pixels  # the bytes and one float32
    assert train[0].images.shape == (5 * n, 3, 32, 32) and train[0].images.dtype == np.float32
    first = pickle.loads((tmp_path / "data_batch_1").read_bytes())[b"data"]
    np.testing.assert_array_equal(train[0].images[:n], first.reshape(n, 3, 32, 32).astype(np.float32) / 255)
