"""Datasets read from files the user already has: MNIST, Fashion-MNIST, CIFAR-10.

Nothing is downloaded. A missing file raises FileNotFoundError listing the
file names expected and where the dataset is published. Anything wrong with
a file that is there (truncated, corrupt, not a regular file, holding code,
or claiming more memory than ``minicnn.io.read_limit()``) raises
``DataFileError``, a ValueError, with one line naming the file and what is
wrong; no other error comes out of these readers.

IDX format (MNIST, Fashion-MNIST): a big-endian header ``0, 0, type, ndim``
(type 0x08 = unsigned byte), then ``ndim`` big-endian uint32 sizes, then the
values row-major. Images have magic 2051 (ndim 3), labels 2049 (ndim 1).
CIFAR-10 "python version": pickled dicts with b"data" (10000, 3072) uint8,
each row the 1024 red, then green, then blue values of a 32x32 image, and
b"labels" (10000,) ints. The batches are unpickled by ``_CifarUnpickler``,
which admits only what a batch holds (see there), so a batch cannot run code.
"""

import gzip
import math
import os

import numpy as np

from ..filecheck import check_claim, file_kind, index_problem, open_regular
from ..safepickle import Refused, RestrictedUnpickler, describe, shown
from .dataset import TensorDataset, refuse_transforms

IDX_IMAGES, IDX_LABELS = 2051, 2049


class DataFileError(ValueError):
    """A dataset file that is there but cannot be read safely: corrupt, truncated, too large,
    not a regular file, or (a pickle) holding anything but data."""


def _find(name, root, filenames, folders, published, expected, download=False):
    """First existing path among ``folders`` x ``filenames``, else a FileNotFoundError.

    A name that exists but is not a regular file (a folder, a FIFO) is a DataFileError.
    """
    for folder in folders:
        for filename in filenames:
            path = os.path.join(root, folder, filename)
            try:
                kind = file_kind(os.stat(path).st_mode)
            except OSError:
                continue
            if kind is not None:
                raise DataFileError(f"{name}: {path} is {kind}, not a regular file")
            return path
    where = ", ".join(os.path.normpath(os.path.join(root, f)) for f in folders)
    raise FileNotFoundError(
        f"{name}: {' or '.join(filenames)} not found in {where}; the dataset "
        f"expects the files {', '.join(expected)}, as published on "
        f"{published} (no download is attempted{', download=True or not' if download else ''})"
    )


def _read_exactly(f, nbytes, path):
    """``nbytes`` from ``f`` into a new uint8 array, and a check that nothing follows."""
    out = np.empty(nbytes, np.uint8)
    view, done = memoryview(out), 0
    while done < nbytes:
        got = f.readinto(view[done:])
        if not got:
            break
        done += got
    if done < nbytes:
        raise DataFileError(
            f"{path}: the header promises {nbytes} bytes of data, but the file "
            f"holds {done} (truncated or corrupt)"
        )
    if f.read(1):
        raise DataFileError(
            f"{path}: the file holds more data than its header's shape "
            f"({nbytes} bytes); corrupt, or not this kind of IDX file"
        )
    return out


def read_idx(path, magic, copy_dtype=None):
    """The array of one IDX file (raw or gzipped), checking magic number and size.

    The header is read first; its shape is checked against the read limit (and,
    for a raw file, against the file's size) before the data is allocated. With
    ``copy_dtype``, the copy the caller will make in that dtype is counted too.
    """
    path = os.fspath(path)
    ndim = {IDX_IMAGES: 3, IDX_LABELS: 1}[magic]
    with open_regular(path, DataFileError) as raw:
        size = os.fstat(raw.fileno()).st_size
        try:
            with gzip.GzipFile(fileobj=raw) if path.endswith(".gz") else raw as f:
                # NOTE: a raw file is read no further than the size it claims, which a link to
                # /proc/self/environ gives as 0: its bytes must not become the magic number shown
                header = f.read(4 + 4 * ndim if f is not raw else min(4 + 4 * ndim, size))
                if len(header) < 4:
                    raise DataFileError(f"{path}: {len(header)} bytes is shorter than an IDX header")
                found = int.from_bytes(header[:4], "big")
                if found != magic:
                    raise DataFileError(
                        f"{path}: IDX magic number is {found} but {magic} was expected "
                        f"({'images' if magic == IDX_IMAGES else 'labels'}, unsigned bytes, "
                        f"{ndim}-D); not an IDX file of this kind, or corrupt"
                    )
                if len(header) < 4 + 4 * ndim:
                    raise DataFileError(f"{path}: {len(header)} bytes is shorter than an IDX header")
                shape = tuple(int.from_bytes(header[i : i + 4], "big") for i in range(4, len(header), 4))
                nbytes = math.prod(shape)
                _check_idx_claim(nbytes, shape, copy_dtype, path)
                if f is raw and size != len(header) + nbytes:
                    raise DataFileError(
                        f"{path}: header says shape {shape} = {nbytes} bytes of "
                        f"data, but the file holds {size - len(header)} "
                        "(truncated or corrupt)"
                    )
                return _read_exactly(f, nbytes, path).reshape(shape)
        except DataFileError:
            raise
        except (OSError, EOFError, ValueError) as e:  # gzip's complaints about a damaged stream
            raise DataFileError(f"{path}: cannot read the IDX file ({describe(e)})") from None


def _check_idx_claim(nbytes, shape, copy_dtype, path):
    """The IDX data (a byte a value), with its copy in ``copy_dtype`` if any, against the read limit."""
    if copy_dtype is None:
        check_claim(nbytes, f"the IDX data of shape {shape}", path, DataFileError)
    else:
        copy = np.dtype(copy_dtype)
        what = f"the IDX data of shape {shape} with its {copy.name} copy"
        check_claim(nbytes * (1 + copy.itemsize), what, path, DataFileError)


class MNIST(TensorDataset):
    """MNIST from its four IDX files in ``root`` (or ``root/MNIST/raw``, torchvision's layout).

    Args:
        root: folder holding e.g. ``train-images-idx3-ubyte`` (raw or ``.gz``).
        train: the 60,000 training images, else the 10,000 test images.
        transform, target_transform: torchvision's, refused with a pointer to
            ``DataLoader(transform=...)``, where minicnn's batch transforms go.
        download: torchvision's; minicnn downloads nothing, and reads the files if they are there.
    Images float32 (N, 1, 28, 28) in [0, 1]; labels int64 (N,); ``files``, the paths read.
    """

    published = "Yann LeCun's MNIST page"
    classes = [str(d) for d in range(10)]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        name, folders = type(self).__name__, ("", os.path.join(type(self).__name__, "raw"))
        refuse_transforms(name, transform, target_transform)
        prefix = "train" if train else "t10k"
        expected = [f"{p}-{k}-ubyte[.gz]" for p in ("train", "t10k") for k in ("images-idx3", "labels-idx1")]
        found, found_paths = {}, []
        files = (("images-idx3", IDX_IMAGES, np.float32), ("labels-idx1", IDX_LABELS, np.int64))
        for kind, magic, dtype in files:
            base = f"{prefix}-{kind}-ubyte"
            path = _find(name, root, (base, base + ".gz"), folders, self.published, expected, download)
            found[kind] = read_idx(path, magic, copy_dtype=dtype)
            found_paths.append(path)
        images, labels = found["images-idx3"], found["labels-idx1"]
        if len(images) != len(labels):
            raise DataFileError(f"{name}: {len(images)} images but {len(labels)} labels in {root}")
        if labels.size and labels.max() >= len(self.classes):
            raise DataFileError(
                f"{name}: labels must be 0..{len(self.classes) - 1}, found {labels.max()} in {root}"
            )
        x = images.astype(np.float32)
        x /= 255  # in place: the uint8 data and this one copy are what read_idx counted
        super().__init__(x[:, None], labels.astype(np.int64), classes=self.classes)
        self.files = tuple(found_paths)


class FashionMNIST(MNIST):
    """Fashion-MNIST: MNIST's file names and format, ten kinds of clothing."""

    published = "Zalando's Fashion-MNIST repository"
    classes = [
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    ]


def _ndarray(*args):
    raise Refused("numpy.ndarray is admitted only as the class numpy's _reconstruct receives")


def _reconstruct(cls, shape, typecode):
    """numpy's ``_reconstruct(ndarray, (0,), b"b")``: an empty array that BUILD then fills."""
    if getattr(cls, "fn", None) is not _ndarray:
        raise Refused("numpy's _reconstruct is admitted only for numpy.ndarray")
    return _UInt8Array()


class _UInt8Array:
    """A pickled numpy array, rebuilt from its state only if it is uint8 bytes of the right length.

    numpy pickles an array as ``_reconstruct(...)`` then BUILD with the state
    ``(version, shape, dtype, fortran_order, raw_bytes)``.
    """

    array = None

    def __setstate__(self, state):
        if not isinstance(state, tuple) or len(state) not in (4, 5):
            raise Refused("a pickled array's state is not numpy's (version, shape, dtype, order, data)")
        shape, dtype, fortran, raw = state[-4:]
        if not isinstance(dtype, _UInt8):
            raise Refused("a pickled array whose dtype is not uint8")
        # the shape is checked before its product: a thousand references to an int of
        # thousands of digits would make math.prod run for minutes
        if not isinstance(shape, tuple) or index_problem(shape) or not isinstance(fortran, bool):
            raise Refused("a pickled uint8 array with a malformed shape or order")
        if not isinstance(raw, bytes):
            raise Refused("a pickled uint8 array whose data are not bytes")
        if math.prod(shape) != len(raw):
            raise Refused(f"a pickled array of shape {shape} holds {len(raw)} bytes")
        self.array = np.frombuffer(raw, np.uint8).reshape(shape, order="F" if fortran else "C")


class _UInt8:
    """Stands for ``numpy.dtype("u1")``, the only dtype a CIFAR batch holds."""

    def __init__(self, code, align=False, copy=True):
        if code not in ("u1", b"u1"):
            raise Refused(
                f"a pickled dtype whose code is {shown(code, 40)}; a CIFAR-10 batch holds only uint8"
            )

    def __setstate__(self, state):
        # (3, byte order, subarray, names, fields, itemsize, alignment, flags): plain bytes only
        if (
            not isinstance(state, tuple)
            or len(state) < 5
            or state[1] not in ("|", b"|")
            or state[2:5] != (None, None, None)
        ):
            raise Refused("a pickled uint8 dtype with an unexpected state")


class _CifarUnpickler(RestrictedUnpickler):
    """Admits what the CIFAR-10 batches hold: dicts, lists, strings, bytes, ints (no globals
    needed) and uint8 arrays, pickled by numpy as ``numpy.core.multiarray._reconstruct``,
    ``numpy.ndarray`` and ``numpy.dtype`` (``numpy._core`` from NumPy 2 on; ``_codecs.encode``
    when Python 3 wrote bytes at protocol 2)."""

    admitted = {
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy", "ndarray"): _ndarray,
        ("numpy", "dtype"): _UInt8,
    }
    refusal = "a CIFAR-10 batch holds only dicts, lists, strings, numbers and uint8 arrays"
    results = {"_codecs encode": "bytes"}  # a dict key may be bytes made so

    def __init__(self, data, where, held):
        super().__init__(data, DataFileError, where, encoding="bytes", held=held)
        self.admitted = {**self.admitted, ("_codecs", "encode"): self._latin1}

    def _latin1(self, text, encoding):
        """``_codecs.encode(text, "latin1")``: how Python 3 pickles bytes for protocol 2 and lower.

        Each call makes new bytes, counted: the pickle can pass one memoised str any number of times.
        """
        if not isinstance(text, str) or encoding != "latin1":
            raise Refused("_codecs.encode is admitted only to make bytes from a latin1 str")
        self.claim(len(text), "the bytes it makes")
        return text.encode("latin1")


def _unpickle(path, held):
    """The dict of one CIFAR-10 batch, keys as str and the pickled array as a NumPy array.

    ``held`` is the bytes of the batches read before it, counted with this one's.
    """
    with open_regular(path, DataFileError) as f:
        size = os.fstat(f.fileno()).st_size
        check_claim(held + size, "the CIFAR-10 batch (with those read before it)", path, DataFileError)
        data = f.read(size + 1)
    batch = _CifarUnpickler(data, f"{path} (CIFAR-10 batch)", held).load()
    if not isinstance(batch, dict):
        raise DataFileError(f"{path}: expected a pickled dict, got {type(batch).__name__}")
    out = {}
    for key, value in batch.items():
        if isinstance(value, _UInt8Array):
            if value.array is None:
                raise DataFileError(f"{path}: a pickled array without its data")
            value = value.array
        out[key.decode("latin1") if isinstance(key, bytes) else key] = value
    return out


def _labels(path, labels, n):
    """The batch's labels as int64, checked to be N ints in 0..9."""
    if not isinstance(labels, list) or len(labels) != n or any(type(v) is not int for v in labels):
        got = f"{len(labels)} labels" if isinstance(labels, list) else type(labels).__name__
        raise DataFileError(f"{path}: expected 'labels', a list of {n} ints; got {got}")
    if n and not all(0 <= v <= 9 for v in labels):
        low, high = min(labels), max(labels)  # ints of any size: shown bounded
        raise DataFileError(f"{path}: labels must be 0..9, found {shown(low)}..{shown(high)}")
    return np.array(labels, dtype=np.int64)


class CIFAR10(TensorDataset):
    """CIFAR-10 from the python pickle batches in ``root/cifar-10-batches-py`` (or ``root``).

    Args:
        root: folder holding ``cifar-10-batches-py/`` as unpacked from
            ``cifar-10-python.tar.gz``.
        train: data_batch_1..5 (50,000 images), else test_batch (10,000).
        transform, target_transform, download: torchvision's, as for ``MNIST``.
    Images float32 (N, 3, 32, 32) in [0, 1]; labels int64 (N,); ``files``, the paths read.
    The batches read and their float32 copy are counted together against the read limit.
    """

    published = "Alex Krizhevsky's CIFAR-10 page"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        refuse_transforms("CIFAR10", transform, target_transform)
        names = [f"data_batch_{i}" for i in range(1, 6)] if train else ["test_batch"]
        folders = ("cifar-10-batches-py", "")
        expected = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
        images, labels, held, paths = [], [], 0, []
        for filename in names:
            path = _find("CIFAR10", root, (filename,), folders, self.published, expected, download)
            paths.append(path)
            batch = _unpickle(path, held)
            data = batch.get("data")
            if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072:
                shape = getattr(data, "shape", None)
                raise DataFileError(f"{path}: expected 'data' (N, 3072) uint8; got data {shape}")
            images.append(data.reshape(-1, 3, 32, 32))
            labels.append(_labels(path, batch.get("labels"), len(data)))
            held += data.nbytes + labels[-1].nbytes
        where = f"CIFAR10: {os.path.dirname(path)}"
        super().__init__(_to_float32(images, held, where), np.concatenate(labels), classes=self.classes)
        self.files = tuple(paths)


def _to_float32(images, held, where):
    """The uint8 batches as one float32 array in [0, 1], made without a second full copy.

    The float32 array, with the batches it is filled from, is checked against the read
    limit first; it is filled batch by batch and divided in place.
    """
    n = sum(len(batch) for batch in images)
    what = f"the CIFAR-10 images as float32 ({n} images, with the batches they come from)"
    check_claim(held + n * 3 * 32 * 32 * 4, what, where, DataFileError)
    out = np.empty((n, 3, 32, 32), np.float32)
    start = 0
    for batch in images:
        out[start : start + len(batch)] = batch
        start += len(batch)
    out /= 255
    return out
