"""Checkpoints: ``mc.save(obj, path)`` and ``mc.load(path)``.

A checkpoint is one ``.npz`` file (a zip of ``.npy`` arrays), readable with
``np.load`` alone and without pickle, so loading a file from elsewhere cannot
run code. ``obj`` is a state dict (name -> array) or nested dicts, lists and
tuples of them with numbers, strings, bools and None, such as

    mc.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, "ckpt.npz")

Arrays are stored under their path joined by "/" (``model/features.0.weight``).
Everything else, and the shape of the nesting (dict keys that are ints, as in
an optimizer's state, tuples, OrderedDicts), goes into one JSON entry, so
``load`` gives back an equal object. A plain ``.npz`` of arrays (say, converted
weights) loads as a flat dict.

The write is atomic (``write_atomic``, atomic_write.py): a crash or a full disk
midway leaves the previous checkpoint as it was; ``save(..., overwrite=False)``
replaces nothing, not even a file made at the path while it was writing. Names
that a zip cannot hold and give back (a NUL character, a character UTF-8 cannot
encode, a ".." part or a leading "/") are refused before anything is written.

Reading is safe against files from elsewhere: no pickle, and each array's
``.npy`` header (shape and dtype) is checked against the zip entry's size and
against the read limit (``read_limit()``, ``set_read_limit(nbytes)``, or the
environment variable ``MINICNN_MAX_READ_BYTES``; see ``minicnn.filecheck``)
before the array is allocated, so neither a header claiming terabytes nor a
zip bomb can exhaust memory; what zipfile makes of the zip's directory (a
million empty entries would be gigabytes of it) is counted first. Entries are
read a chunk at a time and never past the size they claim, and only stored or
deflated entries are read (numpy writes those; zipfile unpacks bzip2 and LZMA
with no bound on one read). The structure entry's JSON is counted against the
limit too, as the objects it decodes to; it may name each array once, as ``save``
writes it, and its dict keys must be str or ints within 2**31 (``structure.py``
says why).

Errors: ``load`` raises FileNotFoundError when there is no file, and
``CheckpointError`` (a ValueError) with one line naming the file for anything
wrong with a file that is there: not a regular file (a folder, a FIFO),
truncated, corrupt, not an ``.npz``, over the read limit, or holding object
arrays. A PyTorch ``.pth`` or a ``.safetensors`` file, told by its content (torch.save's zip
holds a ``data.pkl``; safetensors starts with its JSON header's length), is a ``ForeignWeights``
(a CheckpointError) whose message gives the ``convert-weights`` command that makes an .npz of
it. ``minicnn.weights`` raises the same CheckpointError for weights files.
"""

import json
import lzma
import math
import os
import re
import struct
import zipfile
import zlib

import numpy as np

from . import backend
from .atomic_write import write_atomic  # callers name it io.write_atomic too
from .filecheck import check_claim, index_problem, open_regular, read_limit, set_read_limit  # noqa: F401
from .safepickle import describe
from .structure import FORMAT_KEY, TREE_KEY, decode, encode
from .tensor import Tensor
from .zip_limits import check_zip_directory, check_zip_methods, fill

# What a user reaches as ``mc.io.name``: the two calls, what they raise, and the read limit;
# the rest (the plain .npz reader and writer, the format's keys) serves weights.py and the CLI.
__all__ = ["save", "load", "CheckpointError", "ForeignWeights", "read_limit", "set_read_limit"]

FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that exists but is not a readable checkpoint (truncated, corrupt, or not one)."""


class ForeignWeights(CheckpointError):
    """A PyTorch ``.pth`` or a ``.safetensors`` file where an ``.npz`` is read. ``kind`` is which
    (".pth" or ".safetensors"); ``what`` says so as its content tells (None where only its name says
    .pth or .pt); ``how`` is the ``convert-weights`` command line that makes an .npz of it."""

    def __init__(self, who, path, kind, what=None):
        self.path, self.kind, self.what = path, kind, what
        self.how = convert_command(path)
        if what is None:
            message = (
                f"{path} {NOT_A_ZIP}: try {self.how}, which reads the .pth files of torch.save "
                "(PyTorch 1.6 and later)"
            )
        else:
            message = (
                f"{path} is {what}, not an .npz: minicnn.weights.load_torchvision reads it, "
                f"and {self.how} converts it"
            )
        super().__init__(f"{who}: {message}")


NOT_A_ZIP = "is not an .npz (nor any zip), and its name says PyTorch's format"


def convert_command(path):
    """The command line that converts the weights at ``path`` into an .npz beside them: ``x.pth`` to
    ``x.npz``, or to ``x.pth.npz`` where an ``x.npz`` is there already."""
    import shlex

    stem, suffix = os.path.splitext(path)
    taken = os.path.lexists(stem + ".npz")
    dst = path + ".npz" if suffix.lower() == ".npz" or taken else stem + ".npz"
    return f"python -m minicnn convert-weights {shlex.quote(path)} {shlex.quote(dst)}"


def _safetensors_header(head, size):
    """The length of the JSON header a safetensors file starts with, or None where ``head`` (its
    first 9 bytes) is not such a start: 8 bytes of little-endian length, then the JSON's "{"."""
    if len(head) < 9 or head[8:9] != b"{":
        return None
    n = int.from_bytes(head[:8], "little")
    return n if 2 <= n <= size - 8 else None


# --- the file ----------------------------------------------------------------


def save(obj, path, overwrite=True):
    """Write ``obj`` (a state dict or nested dicts of them) to ``path`` atomically.

    The file name is used as given (no ".npz" is appended). ``overwrite=False`` keeps
    whatever is at ``path``, even a file made there while this writes (FileExistsError).
    """
    path = os.fspath(path)
    arrays = {}
    tree = encode(obj, [], arrays)  # type errors surface before any file is touched
    check_names(arrays, "mc.save")
    arrays[FORMAT_KEY] = np.asarray(FORMAT_VERSION)
    arrays[TREE_KEY] = np.asarray(json.dumps(tree))
    write_atomic(path, lambda f: _write_npz(f, arrays), who="mc.save", overwrite=overwrite)


def check_names(names, who, reserved=()):
    """Refuse a name that a file could not hold and give back as it was, before anything is written.

    Each name becomes a zip entry: zipfile cuts a name at a NUL, cannot write one that is
    not UTF-8, and a ".." part or a leading "/" would unpack outside the folder with other
    unzip tools.
    """
    for name in names:
        if not isinstance(name, str):
            kind = type(name).__name__
            raise TypeError(
                f"{who}: key {name!r:.80} is of type {kind}, not str (a name such as 'fc.weight')"
            )
        if "\0" in name:
            why = "holds a NUL character"
        elif not _is_utf8(name):
            why = "holds a character that UTF-8 cannot encode (a lone surrogate)"
        elif name in reserved:
            why = "is a name the file format keeps for itself"
        elif name.startswith(("/", "\\")) or ".." in re.split(r"[/\\]", name):
            why = "would unpack outside the folder (a '..' part or a leading '/')"
        else:
            continue
        raise ValueError(f"{who}: key {name!r:.80} {why}, so the file could not give it back as it is")


def _is_utf8(name):
    """Whether ``name`` can be written as UTF-8, as zip entry names and JSON files are."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def write_arrays(path, arrays, who="write_arrays", overwrite=True):
    """A plain ``.npz`` of {name: array} (what ``np.load`` reads), written atomically.

    ``overwrite=False`` keeps a file already at ``path`` (``FileExistsError``)."""
    check_names(arrays, who, reserved=(FORMAT_KEY, TREE_KEY))
    write_atomic(path, lambda f: _write_npz(f, arrays), who=who, overwrite=overwrite)


def _write_npz(f, arrays):
    """np.savez's format, written entry by entry (savez would take names such as 'file' as its own)."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, array in arrays.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as out:
                np.lib.format.write_array(out, np.asarray(array), allow_pickle=False)


# --- reading .npz files safely ----------------------------------------------

# what zipfile and numpy's header parser raise on a damaged file
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    lzma.LZMAError,
    struct.error,
    OSError,
    EOFError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    OverflowError,
    NotImplementedError,
    RuntimeError,
    UnicodeError,
)


def read_npz(path, who="mc.load", dir_fd=None):
    """{name: array} from an ``.npz`` file, in the file's order, each array checked before it is
    allocated (see the module docstring). Raises CheckpointError for anything wrong. With
    ``dir_fd``, ``path`` is a name in the folder open as ``dir_fd``, and a link there is refused."""
    path = os.fspath(path)
    with open_regular(path, CheckpointError, dir_fd=dir_fd) as f:
        try:
            head = f.read(9)
            if head[:6] == b"\x93NUMPY":
                raise CheckpointError(f"{who}: {path} holds a single .npy array, not a checkpoint")
            n = _safetensors_header(head, os.fstat(f.fileno()).st_size)
            if n is not None:
                raise ForeignWeights(
                    who, path, ".safetensors", f"a safetensors file (a JSON header of {n} bytes)"
                )
            if os.path.splitext(path)[1].lower() in (".pth", ".pt") and not zipfile.is_zipfile(f):
                raise ForeignWeights(who, path, ".pth")  # PyTorch's format before 1.6, or damaged
            directory = check_zip_directory(f, path)
            with zipfile.ZipFile(f) as archive:
                check_zip_methods(archive, f"{who}: {path}")
                members = archive.infolist()
                pickles = [m.filename for m in members if m.filename.rpartition("/")[2] == "data.pkl"]
                if pickles:  # torch.save's zip: <name>/data.pkl, the object, beside raw storages
                    what = f"a PyTorch .pth file (a zip holding {pickles[0]!r:.80})"
                    raise ForeignWeights(who, path, ".pth", what)
                unpacked = directory + sum(m.file_size for m in members)
                check_claim(unpacked, "its arrays, unpacked,", path, CheckpointError)
                return {m.filename[:-4]: _read_npy(archive, m, path, who) for m in members}
        except CheckpointError:
            raise
        except _ZIP_ERRORS as e:
            raise CheckpointError(
                f"{who}: {path} is not a readable checkpoint (truncated, corrupt "
                f"or not an .npz file): {describe(e)}"
            ) from None


def _read_npy(archive, member, path, who):
    """One ``.npy`` entry of the zip: header first, then exactly the bytes it promises."""
    name = f"{member.filename!r:.80}"
    if not member.filename.endswith(".npy"):
        raise CheckpointError(f"{who}: {path} holds {name}, which is not an .npy array")
    with archive.open(member) as f:
        version = np.lib.format.read_magic(f)
        if version not in ((1, 0), (2, 0)):
            raise CheckpointError(
                f"{who}: {path}: {name} has .npy format version {version}, which minicnn does not read"
            )
        read_header = (
            np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
        )
        try:
            shape, fortran, dtype = read_header(f)
        except Exception as e:  # numpy parses the header with ast and tokenize: their errors too
            raise CheckpointError(f"{who}: {path}: {name} has a damaged .npy header: {describe(e)}") from None
        if index_problem(shape):  # before its product: numpy takes ints of any size
            raise CheckpointError(f"{who}: {path}: {name} has a shape that {index_problem(shape)}")
        if dtype.hasobject or dtype.itemsize == 0:
            raise CheckpointError(
                f"{who}: {path}: {name} has dtype {dtype}, which a checkpoint "
                "never holds (object arrays would need pickle)"
            )
        nbytes = math.prod(shape) * dtype.itemsize
        if f.tell() + nbytes != member.file_size:
            raise CheckpointError(
                f"{who}: {path}: {name} claims shape {shape} {dtype} = {nbytes} "
                f"bytes, but its entry holds {member.file_size - f.tell()}"
            )
        buffer = bytearray(nbytes)
        if fill(f, buffer) != nbytes:
            raise CheckpointError(f"{who}: {path}: {name} is truncated")
    return np.frombuffer(buffer, dtype).reshape(shape, order="F" if fortran else "C")


# Python objects a character of the structure entry may become: '{"":{}}' is 8 characters
# and two dicts of 184 and 64 bytes; the text of meta and history inside it is JSON once more
_JSON_BYTES_PER_CHAR = 64


def _tree_text(tree, arrays, path):
    """The structure entry's JSON text, once what it decodes to is counted against the read limit."""
    if tree.ndim != 0 or tree.dtype.kind != "U":
        got = f"{tree.dtype} {tree.shape}"
        raise CheckpointError(f"mc.load: {path!r} has a damaged structure entry: {got}, not text")
    chars = tree.dtype.itemsize // 4  # numpy stores text as 4 bytes a character
    # a 0-d array may be decoded once more as a scalar (a str or bytes as long as its text)
    held = sum(a.nbytes * (2 if a.ndim == 0 else 1) for a in arrays.values()) + tree.nbytes
    what = "its arrays and structure, decoded,"
    check_claim(held + chars * _JSON_BYTES_PER_CHAR, what, path, CheckpointError)
    return str(tree)


def load(path, map_location=None, *, weights_only=None):
    """Read a checkpoint written by ``save`` (or any ``.npz`` of arrays, as a flat dict).

    ``map_location`` ("cpu", "cuda" or an ``mc.device``) puts every array and tensor on that
    device, as ``torch.load``'s does; None leaves them as they are read: NumPy, on the CPU.
    ``weights_only`` is taken for code written for ``torch.load``, and changes nothing: a
    minicnn checkpoint holds only data (no pickled code), so every load is weights-only.

    Raises FileNotFoundError when there is no file, and CheckpointError when the
    file is not a readable checkpoint (truncated by a crash, corrupt, or another format).
    """
    path = os.fspath(path)
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(
            f"mc.load: weights_only must be True, False or None, got {type(weights_only).__name__}"
        )
    if map_location is not None:
        _check_location(map_location)  # before the file is read: a missing GPU is said first
    if not os.path.exists(path):
        raise FileNotFoundError(f"mc.load: no checkpoint at {path!r}")
    arrays = read_npz(path)
    if FORMAT_KEY not in arrays:
        return _placed(dict(arrays), map_location)
    try:
        tree, version = arrays.pop(TREE_KEY), int(arrays.pop(FORMAT_KEY))
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"mc.load: {path!r} has checkpoint format {version}, newer than "
                f"this minicnn reads ({FORMAT_VERSION}); upgrade minicnn"
            )
        obj = decode(json.loads(_tree_text(tree, arrays, path)), arrays, set())
    except CheckpointError:
        raise
    except (
        KeyError,
        ValueError,
        TypeError,
        AttributeError,
        IndexError,
        OverflowError,
        RecursionError,
    ) as err:
        raise CheckpointError(f"mc.load: {path!r} has a damaged structure entry: {describe(err)}") from None
    return _placed(obj, map_location)


def _check_location(where):
    """A device name for map_location, or a one-line error; CuPy's absence is said here too."""
    if not isinstance(where, str):  # an mc.device is a str
        raise TypeError(
            f"mc.load: map_location must be 'cpu', 'cuda' or an mc.device, got {type(where).__name__} "
            "(a dict or a function, which torch.load takes too, is not taken here)"
        )
    try:
        backend.get_xp(where)
    except ValueError as err:
        raise ValueError(f"mc.load: map_location: {err}") from None


def _placed(obj, where):
    """``obj`` with every array and tensor in it on device ``where`` (None: as it is)."""
    if where is None:
        return obj
    if isinstance(obj, Tensor):
        return Tensor(backend.to_device(obj.data, where), requires_grad=obj.requires_grad)
    if isinstance(obj, np.ndarray):
        return backend.to_device(obj, where)
    if isinstance(obj, dict):  # an OrderedDict stays one
        return type(obj)((k, _placed(v, where)) for k, v in obj.items())
    if isinstance(obj, (list, tuple)):
        return type(obj)(_placed(v, where) for v in obj)
    return obj
