"""ImageFolder: class folders of images read in torchvision's order, only by the readers its
extensions name; empty, undecodable, special and oversized files and decompression bombs refused
in words."""

import os

import numpy as np
import pytest
from proc_files import ON_LINUX_PROC

from minicnn.data import DataFileError, ImageFolder


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


def test_image_folder_without_pillow_names_the_extra(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r"Pillow.*pip install -e \"\.\[data\]\""):
        ImageFolder(tmp_path)


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
