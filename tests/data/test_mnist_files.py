"""MNIST and Fashion-MNIST from their IDX files, raw or gzipped: the arrays as written, and
missing, truncated, empty, oversized or special files refused in words before they are read;
torchvision's dataset arguments pointed to minicnn's way."""

import gzip

import numpy as np
import pytest
from proc_files import ON_LINUX_PROC

from minicnn.data import CIFAR10, MNIST, DataFileError, FashionMNIST, read_idx


def _idx(array, magic):
    header = magic.to_bytes(4, "big") + b"".join(int(s).to_bytes(4, "big") for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _write_mnist(folder, prefix, n, rng, gz=False):
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    for kind, array, magic in (("images-idx3", images, 2051), ("labels-idx1", labels, 2049)):
        path = folder / f"{prefix}-{kind}-ubyte"
        data = _idx(array, magic)
        if gz:
            path = path.with_name(path.name + ".gz")
            data = gzip.compress(data)
        path.write_bytes(data)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_raw_and_gz(tmp_path, gz):
    rng = np.random.default_rng(0)
    images, labels = _write_mnist(tmp_path, "t10k", 5, rng, gz=gz)
    ds = MNIST(tmp_path, train=False)
    assert ds.images.shape == (5, 1, 28, 28) and ds.images.dtype == np.float32
    np.testing.assert_array_equal(ds.images[:, 0] * 255, images)
    np.testing.assert_array_equal(ds.labels, labels)
    assert ds.labels.dtype == np.int64


def test_fashion_mnist_in_torchvision_layout(tmp_path):
    raw = tmp_path / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    _, labels = _write_mnist(raw, "train", 3, np.random.default_rng(1), gz=True)
    ds = FashionMNIST(tmp_path)
    assert len(ds) == 3 and ds.classes[9] == "Ankle boot"
    np.testing.assert_array_equal(ds.labels, labels)


def test_missing_idx_file_lists_expected_names_and_source(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"train-images-idx3-ubyte.*t10k-labels-idx1-ubyte"
        r".*Yann LeCun's MNIST page",
    ):
        MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match="Zalando's Fashion-MNIST repository"):
        FashionMNIST(tmp_path, train=False)


def test_truncated_and_wrong_idx_files_are_value_errors(tmp_path):
    rng = np.random.default_rng(2)
    _write_mnist(tmp_path, "train", 4, rng)
    path = tmp_path / "train-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ValueError, match=r"header says shape \(4, 28, 28\) = 3136 bytes.*holds 3036"):
        MNIST(tmp_path)
    path.write_bytes(_idx(np.zeros(4), 2049))  # a labels file where images belong
    with pytest.raises(ValueError, match="IDX magic number is 2049 but 2051 was expected"):
        read_idx(str(path), 2051)
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(data)[:200])
    with pytest.raises(ValueError, match="cannot read the IDX file"):
        read_idx(str(gz), 2051)


@pytest.mark.parametrize("kind", ["empty", ON_LINUX_PROC])
def test_an_idx_file_empty_by_its_size_shows_none_of_what_it_reads(tmp_path, kind):
    """A link to /proc/self/environ (size 0) would otherwise show 4 of its bytes as the magic number."""
    path = tmp_path / "train-images-idx3-ubyte"
    if kind == "proc":
        path.symlink_to("/proc/self/environ")
    else:
        path.write_bytes(b"")
    with pytest.raises(DataFileError, match=r"^\S+: 0 bytes is shorter than an IDX header$"):
        read_idx(str(path), 2051)


def test_idx_headers_are_checked_against_the_file_and_the_read_limit(tmp_path, monkeypatch):
    path = tmp_path / "train-images-idx3-ubyte"
    header = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (60000, 4096, 4096))
    path.write_bytes(header + b"\0" * 100)  # claims 1 TB of pixels
    with pytest.raises(DataFileError, match=r"shape \(60000, 4096, 4096\).*more than the read limit"):
        read_idx(str(path), 2051)
    gz = tmp_path / "t.gz"  # a gzip bomb: 20 MB of zeros in 20 KB
    small = (2051).to_bytes(4, "big") + b"".join(n.to_bytes(4, "big") for n in (1, 1, 1))
    gz.write_bytes(gzip.compress(small + b"\0" + b"\0" * (20 << 20)))
    with pytest.raises(DataFileError, match="holds more data than its header's shape"):
        read_idx(str(gz), 2051)
    gz.write_bytes(gzip.compress(header + b"\0" * 1000))
    with pytest.raises(DataFileError, match="more than the read limit"):
        read_idx(str(gz), 2051)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", "10")
    gz.write_bytes(gzip.compress(_idx(np.zeros((1, 4, 4)), 2051)))
    with pytest.raises(DataFileError, match=r"16 bytes, more than the read limit of 10 bytes"):
        read_idx(str(gz), 2051)


def test_mnist_counts_its_float32_copy_against_the_read_limit(tmp_path, rng, monkeypatch):
    n = int(rng.integers(200, 400))
    _write_mnist(tmp_path, "t10k", n, rng, gz=True)
    pixels = n * 28 * 28
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(2 * pixels))  # the bytes fit, their float32 copy not
    with pytest.raises(
        DataFileError,
        match=rf"t10k-images-idx3-ubyte\.gz: the IDX data of shape \({n}, 28, 28\) with its float32 copy "
        r"would take .* more than the read limit",
    ):
        MNIST(tmp_path, train=False)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(5 * pixels))  # a byte and a float32 a pixel
    assert MNIST(tmp_path, train=False).images.shape == (n, 1, 28, 28)


def test_special_files_are_refused_before_any_read(tmp_path):
    import os

    (tmp_path / "test_batch").mkdir()
    with pytest.raises(DataFileError, match=r"CIFAR10: .*test_batch is a folder, not a regular file"):
        CIFAR10(tmp_path, train=False)
    if hasattr(os, "mkfifo"):  # a FIFO would block a plain open() forever
        os.mkfifo(tmp_path / "t10k-images-idx3-ubyte")
        with pytest.raises(DataFileError, match="is a FIFO"):
            MNIST(tmp_path, train=False)
        with pytest.raises(DataFileError, match="is a FIFO"):
            read_idx(str(tmp_path / "t10k-images-idx3-ubyte"), 2051)


def test_torchvision_s_arguments_to_a_dataset_point_to_the_loader_or_say_nothing_is_downloaded(tmp_path):
    from minicnn import data

    rng = np.random.default_rng(61)
    flip = lambda image: image[..., ::-1]  # noqa: E731
    batches = r"act on whole batches \(N, C, H, W\); pass them to the loader, "
    batches += r"DataLoader\(dataset, transform=\.\.\.\)$"
    made = (
        ("mnist5k", lambda: data.mnist5k("train", transform=flip)),
        ("digits", lambda: data.digits("train", transform=flip)),
        ("SyntheticShapes", lambda: data.SyntheticShapes(8, transform=flip)),
        ("MNIST", lambda: MNIST(tmp_path, transform=flip)),
        ("FashionMNIST", lambda: FashionMNIST(tmp_path, transform=flip)),
        ("CIFAR10", lambda: CIFAR10(tmp_path, transform=flip)),
    )
    for name, make in made:
        with pytest.raises(
            TypeError, match=rf"^{name}: transform= is not taken here: minicnn's transforms {batches}"
        ):
            make()
    with pytest.raises(TypeError, match=r"^MNIST: transform= and target_transform= are not taken here"):
        MNIST(tmp_path, transform=flip, target_transform=int)
    with pytest.raises(FileNotFoundError, match=r"\(no download is attempted, download=True or not\)$"):
        MNIST(tmp_path, download=True)
    with pytest.raises(FileNotFoundError, match=r"\(no download is attempted\)$"):
        CIFAR10(tmp_path)
    images, _ = _write_mnist(tmp_path, "train", 3, rng)
    np.testing.assert_array_equal(MNIST(tmp_path, download=True).images[:, 0] * 255, images)  # as torchvision
