import gzip
import os
import pickle
import sys

import numpy as np
import pytest

from minicnn.data import CIFAR10, MNIST, DataFileError, FashionMNIST, ImageFolder, read_idx

# a file of /proc claims size 0 yet has bytes: the case exists on Linux only (as prctl's tests)
ON_LINUX_PROC = pytest.param(
    "proc", marks=pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc is Linux's")
)


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


def test_image_folder_takes_images_in_nested_folders_and_pgm_in_torchvisions_order(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(45)
    files = ["cat/b.png", "cat/a/z.pgm", "cat/a/deeper/y.png", "cat/c.png", "dog/x.png"]
    pixels = {}
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        gray = rng.integers(0, 256, (4, 5), dtype=np.uint8)
        Image.fromarray(gray).save(tmp_path / name)  # a gray .pgm or .png, read as RGB
        pixels[name] = gray
    os.symlink(tmp_path / "cat", tmp_path / "cat" / "a" / "loop")  # a link back up is not walked
    ds = ImageFolder(tmp_path)
    # torchvision's order: each folder's files by name, the folders in sorted path order
    order = ["cat/b.png", "cat/c.png", "cat/a/z.pgm", "cat/a/deeper/y.png", "dog/x.png"]
    assert [os.path.relpath(p, tmp_path) for p, _ in ds.samples] == order
    assert ds.labels.tolist() == [0, 0, 0, 0, 1]
    for i, name in enumerate(order):
        np.testing.assert_array_equal(ds.images[i] * 255, np.broadcast_to(pixels[name], (3, 4, 5)))


def test_image_folder_never_hands_a_file_to_pillows_other_readers(tmp_path, rng, monkeypatch):
    """An EPS file named .png: Pillow's EPS reader would run Ghostscript (gs) on it."""
    Image = pytest.importorskip("PIL.Image")
    EpsImagePlugin = pytest.importorskip("PIL.EpsImagePlugin")
    Image.init()
    consulted = []

    def never(*args, **kwargs):
        consulted.append(args)
        raise AssertionError("Pillow's EPS reader was consulted")

    monkeypatch.setattr(EpsImagePlugin, "_accept", never)
    monkeypatch.setattr(EpsImagePlugin.EpsImageFile, "_open", never)
    monkeypatch.setitem(Image.OPEN, "EPS", (EpsImagePlugin.EpsImageFile, never))
    (tmp_path / "cat").mkdir()
    eps = tmp_path / "cat" / "a.png"
    eps.write_bytes(b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\n")
    Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).save(tmp_path / "cat" / "b.png")
    with pytest.raises(DataFileError) as info:
        ImageFolder(tmp_path)
    assert str(info.value) == (
        f"ImageFolder: cannot decode {eps}: expected an image in one of PNG, JPEG, BMP, GIF, PPM, TIFF, "
        "WEBP, got a file that none reads (it begins b'%!PS-Adobe-3.0 E')"
    )
    assert consulted == []


@pytest.mark.parametrize("kind", ["empty", ON_LINUX_PROC])
def test_an_image_that_is_empty_by_its_size_shows_none_of_what_it_reads(tmp_path, rng, kind):
    """A link to /proc/self/environ (size 0, as every file of /proc) would otherwise put the
    first bytes of the process's environment into the message."""
    Image = pytest.importorskip("PIL.Image")
    (tmp_path / "cat").mkdir()
    odd = tmp_path / "cat" / "a.png"
    if kind == "proc":
        odd.symlink_to("/proc/self/environ")
    else:
        odd.write_bytes(b"")
    Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).save(tmp_path / "cat" / "b.png")
    with pytest.raises(DataFileError) as info:
        ImageFolder(tmp_path)
    assert str(info.value) == (
        f"ImageFolder: cannot decode {odd}: expected an image in one of PNG, JPEG, BMP, GIF, PPM, TIFF, "
        "WEBP, got an empty file"
    )


def test_image_folder_reads_the_formats_its_extensions_name_whatever_the_name(tmp_path, rng):
    Image = pytest.importorskip("PIL.Image")
    from minicnn.data import image_folder

    named = {ext: Image.registered_extensions().get(ext) for ext in image_folder.EXTENSIONS}
    assert set(named.values()) == set(image_folder.FORMATS), named
    pixels = rng.integers(0, 256, (4, 6, 3), dtype=np.uint8)
    (tmp_path / "cat").mkdir()
    Image.fromarray(pixels).save(tmp_path / "cat" / "a.png", format="BMP")  # as torchvision, by content
    np.testing.assert_array_equal(ImageFolder(tmp_path).images[0].transpose(1, 2, 0) * 255, pixels)


def test_image_folder_points_a_torchvision_transform_to_the_loader(tmp_path):
    with pytest.raises(
        TypeError, match=r"ImageFolder: transform= is not taken here.*DataLoader\(dataset, transform="
    ):
        ImageFolder(tmp_path, transform=lambda image: image)


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


def test_image_folder_without_pillow_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"Pillow.*pip install -e \"\.\[data\]\""):
        ImageFolder(tmp_path)


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


def _png_folder(root, classes):
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(7)
    for cls in classes:
        (root / cls).mkdir()
        Image.fromarray(rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)).save(root / cls / "a.png")
    return Image


def test_image_folder_refuses_an_empty_class_folder(tmp_path):
    _png_folder(tmp_path, ["cat", "dog"])
    (tmp_path / "emu").mkdir()
    (tmp_path / "emu" / "readme.txt").write_text("no images here")
    with pytest.raises(FileNotFoundError, match=r"class folder\(s\) 'emu' .*hold no images"):
        ImageFolder(tmp_path)


def test_image_folder_refuses_decompression_bombs_and_huge_images(tmp_path, monkeypatch):
    Image = _png_folder(tmp_path, ["cat", "dog"])
    Image.new("L", (3000, 2000)).save(tmp_path / "dog" / "big.png")  # 6 MP of zeros: a few KB
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 4_000_000)  # only a warning from Pillow
    with pytest.raises(DataFileError, match=r"big\.png is too large to decode safely.*decompression bomb"):
        ImageFolder(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1_000_000)  # Pillow's own error
    with pytest.raises(DataFileError, match=r"big\.png is too large to decode safely"):
        ImageFolder(tmp_path)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", None)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(10 << 20))  # 6 MP x 12 bytes is over
    with pytest.raises(DataFileError, match=r"big\.png: the 3000x2000 image would take 68\.7 MiB"):
        ImageFolder(tmp_path)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(100 << 20))
    assert len(ImageFolder(tmp_path, size=4)) == 3


def test_image_folder_refuses_special_files(tmp_path):
    _png_folder(tmp_path, ["cat", "dog"])
    (tmp_path / "dog" / "b.png").mkdir()  # a folder, whatever its name, is walked into
    assert [os.path.relpath(p, tmp_path) for p, _ in ImageFolder(tmp_path).samples] == [
        "cat/a.png",
        "dog/a.png",
    ]
    if hasattr(os, "mkfifo"):
        (tmp_path / "dog" / "b.png").rmdir()
        os.mkfifo(tmp_path / "dog" / "b.png")
        with pytest.raises(DataFileError, match=r"b\.png: is a FIFO"):
            ImageFolder(tmp_path)


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


def test_image_folder_counts_all_its_images_and_the_resized_size(tmp_path, rng, monkeypatch):
    Image = pytest.importorskip("PIL.Image")
    side, n = int(rng.integers(16, 32)), int(rng.integers(20, 30))
    for i in range(n):
        (tmp_path / f"c{i % 2}").mkdir(exist_ok=True)
        image = rng.integers(0, 256, (side, side, 3), dtype=np.uint8)
        Image.fromarray(image).save(tmp_path / f"c{i % 2}" / f"{i:03}.png")
    one = side * side * (12 + 15)  # decoding one image, and what the dataset keeps of it
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(4 * one))  # each image fits, all of them not
    with pytest.raises(DataFileError, match=r"\.png: the images up to this one, decoded, would take"):
        ImageFolder(tmp_path)
    with pytest.raises(
        DataFileError, match=rf"ImageFolder: .*: {n} images resized to 4000x3000 would take .* GiB"
    ):
        ImageFolder(tmp_path, size=(3000, 4000))
    for size in (0, (8, -1), (8,), "big"):
        with pytest.raises(ValueError, match=r"ImageFolder: size must be a positive int or \(h, w\)"):
            ImageFolder(tmp_path, size=size)
    monkeypatch.setenv("MINICNN_MAX_READ_BYTES", str(n * one))
    ds = ImageFolder(tmp_path)
    assert ds.images.shape == (n, 3, side, side) and ds.images.dtype == np.float32
    first = np.asarray(Image.open(tmp_path / "c0" / "000.png"))
    np.testing.assert_array_equal(ds.images[0], first.transpose(2, 0, 1).astype(np.float32) / 255)


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
