import gzip
import pickle

import numpy as np
import pytest

from minicnn.data import CIFAR10, MNIST, DataFileError, FashionMNIST, ImageFolder, read_idx


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
    with pytest.raises(FileNotFoundError, match=r"train-images-idx3-ubyte.*t10k-labels-idx1-ubyte"
                                                r".*Yann LeCun's MNIST page"):
        MNIST(tmp_path)
    with pytest.raises(FileNotFoundError, match="Zalando's Fashion-MNIST repository"):
        FashionMNIST(tmp_path, train=False)


def test_truncated_and_wrong_idx_files_are_value_errors(tmp_path):
    rng = np.random.default_rng(2)
    _write_mnist(tmp_path, "train", 4, rng)
    path = tmp_path / "train-images-idx3-ubyte"
    data = path.read_bytes()
    path.write_bytes(data[:-100])
    with pytest.raises(ValueError,
                       match=r"header says shape \(4, 28, 28\) = 3136 bytes.*holds 3036"):
        MNIST(tmp_path)
    path.write_bytes(_idx(np.zeros(4), 2049))              # a labels file where images belong
    with pytest.raises(ValueError, match="IDX magic number is 2049 but 2051 was expected"):
        read_idx(str(path), 2051)
    gz = tmp_path / "bad.gz"
    gz.write_bytes(gzip.compress(data)[:200])
    with pytest.raises(ValueError, match="cannot read the IDX file"):
        read_idx(str(gz), 2051)


def _write_cifar(folder, names, n, rng):
    folder.mkdir(parents=True, exist_ok=True)
    out = {}
    for name in names:
        batch = {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                 b"labels": rng.integers(0, 10, n).tolist(), b"batch_label": name.encode()}
        (folder / name).write_bytes(pickle.dumps(batch))
        out[name] = batch
    return out


def test_cifar10_reads_pickle_batches(tmp_path):
    names = [f"data_batch_{i}" for i in range(1, 6)]
    batches = _write_cifar(tmp_path / "cifar-10-batches-py", names + ["test_batch"], 2,
                           np.random.default_rng(3))
    train, test = CIFAR10(tmp_path), CIFAR10(tmp_path, train=False)
    assert train.images.shape == (10, 3, 32, 32) and test.images.shape == (2, 3, 32, 32)
    first = batches["data_batch_1"][b"data"][0]
    # Row layout: 1024 red values, then green, then blue, each row-major 32x32.
    np.testing.assert_array_equal(train.images[0] * 255, first.reshape(3, 32, 32))
    assert np.allclose(train.images[0, 1, 0, 5] * 255, first[1024 + 5])
    assert test.labels.tolist() == batches["test_batch"][b"labels"]
    assert train.classes[0] == "airplane"


def test_cifar10_missing_and_corrupt_batches(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"data_batch_1.*test_batch.*Alex Krizhevsky's "
                                                r"CIFAR-10 page"):
        CIFAR10(tmp_path)
    batches = _write_cifar(tmp_path, ["test_batch"], 2, np.random.default_rng(4))
    path = tmp_path / "test_batch"
    path.write_bytes(pickle.dumps(batches["test_batch"])[:500])
    with pytest.raises(DataFileError, match=r"test_batch \(CIFAR-10 batch\).*truncated or corrupt"):
        CIFAR10(tmp_path, train=False)
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 100), np.uint8), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match=r"expected 'data' \(N, 3072\).*got data \(2, 100\)"):
        CIFAR10(tmp_path, train=False)


def test_image_folder_reads_class_folders_of_pngs(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(5)
    pixels = {}
    for cls, count in (("dog", 2), ("cat", 3)):
        (tmp_path / cls).mkdir()
        for i in range(count):
            a = rng.integers(0, 256, (6, 9, 3), dtype=np.uint8)
            Image.fromarray(a).save(tmp_path / cls / f"{i}.png")
            pixels[(cls, i)] = a
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    ds = ImageFolder(tmp_path)
    assert ds.classes == ["cat", "dog"] and ds.labels.tolist() == [0, 0, 0, 1, 1]
    assert ds.images.shape == (5, 3, 6, 9) and ds.images.dtype == np.float32
    np.testing.assert_array_equal(ds.images[3].transpose(1, 2, 0) * 255, pixels[("dog", 0)])
    assert ImageFolder(tmp_path, size=4).images.shape == (5, 3, 4, 4)
    Image.fromarray(pixels[("dog", 0)][:5]).save(tmp_path / "dog" / "odd.png")
    with pytest.raises(ValueError, match="2 different sizes.*pass size="):
        ImageFolder(tmp_path)
    (tmp_path / "dog" / "broken.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    with pytest.raises(ValueError, match="cannot decode .*broken.jpg"):
        ImageFolder(tmp_path, size=4)


def test_image_folder_without_pillow_names_the_extra(tmp_path, monkeypatch):
    import sys
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"Pillow.*pip install -e \"\.\[data\]\""):
        ImageFolder(tmp_path)
