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

The write is atomic: the file is written to a new temporary file in the same
folder (``.NAME.minicnn-PID-RANDOM.tmp``, created only if no file or link has that
name, so a link placed there is never written through), flushed to disk and
renamed over ``path`` (``os.replace``), and the folder is flushed too, so a
crash or a full disk midway leaves the previous checkpoint as it was. The save
holds an exclusive lock (``flock``) on its temporary file until the rename, and a
temporary file that nobody holds locked, left by a save that was killed, is removed
by the next save into that folder: a save in progress is never removed, even one
by another machine or container sharing the folder, which a process id could not
tell. Where there is no ``flock`` (Windows), the next save removes a temporary file
whose process is no longer alive (POSIX) or that has not changed for a day. Names
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
limit too, as the objects it decodes to.

Errors: ``load`` raises FileNotFoundError when there is no file, and
``CheckpointError`` (a ValueError) with one line naming the file for anything
wrong with a file that is there: not a regular file (a folder, a FIFO),
truncated, corrupt, not an ``.npz``, over the read limit, or holding object
arrays. ``minicnn.weights`` raises the same CheckpointError for weights files.
"""

import collections
import errno
import json
import lzma
import math
import os
import re
import secrets
import stat
import struct
import time
import zipfile
import zlib

import numpy as np

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

from . import backend
from .filecheck import check_claim, open_regular, read_limit, set_read_limit  # noqa: F401
from .safepickle import describe
from .tensor import Tensor

FORMAT_KEY = "__minicnn_format__"
TREE_KEY = "__minicnn_tree__"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A file that exists but is not a readable checkpoint (truncated, corrupt, or not one)."""


# --- encoding: object -> (tree of JSON, arrays by name) ----------------------


def _encode(obj, path, arrays):
    where = "/".join(str(p) for p in path) or "the top level"
    if isinstance(obj, Tensor):
        return {"tensor": _add_array(obj.data, path, arrays), "requires_grad": bool(obj.requires_grad)}
    if isinstance(obj, np.ndarray) or backend.is_cupy_array(obj):
        return {"array": _add_array(obj, path, arrays)}
    if isinstance(obj, np.generic):
        return {"scalar": _add_array(np.asarray(obj), path, arrays)}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return {"value": obj}
    if isinstance(obj, dict):
        items = []
        for key, value in obj.items():
            if isinstance(key, bool) or not isinstance(key, (str, int)):
                raise TypeError(
                    f"mc.save: dict keys must be str or int, got {key!r} ({type(key).__name__}) at {where}"
                )
            items.append([key, _encode(value, path + [key], arrays)])
        kind = "ordered" if isinstance(obj, collections.OrderedDict) else "dict"
        return {kind: items}
    if isinstance(obj, (list, tuple)):
        kind = "tuple" if isinstance(obj, tuple) else "list"
        return {kind: [_encode(v, path + [i], arrays) for i, v in enumerate(obj)]}
    raise TypeError(
        f"mc.save: cannot store a {type(obj).__name__} at {where}; a checkpoint holds "
        "arrays, Tensors, numbers, strings, bools, None, and dicts, lists and tuples "
        "of them (use module.state_dict(), not the module)"
    )


def _add_array(array, path, arrays):
    array = backend.to_device(array, "cpu")
    if array.dtype.hasobject:
        raise TypeError(
            f"mc.save: array at {'/'.join(map(str, path))} has dtype object, which "
            "cannot be stored without pickle"
        )
    name = "/".join(str(p) for p in path) or "array"
    base, n = name, 1
    while name in arrays or name in (FORMAT_KEY, TREE_KEY):
        name, n = f"{base}#{n}", n + 1
    arrays[name] = array
    return name


def _decode(node, arrays, scalars):
    """The object of one structure node; ``scalars`` holds each scalar already made, by array name.

    An array or tensor node hands out the array itself, but a scalar is a new object
    (a 0-d text array becomes a str as long as its text), so each array becomes a
    scalar once: a structure naming it many times cannot copy it many times over.
    """
    if "tensor" in node:
        return Tensor(arrays[node["tensor"]], requires_grad=node.get("requires_grad", False))
    ((kind, value),) = node.items()
    if kind == "value":
        return value
    if kind == "array":
        return arrays[value]
    if kind == "scalar":
        if value not in scalars:
            scalars[value] = arrays[value][()]
        return scalars[value]
    if kind in ("dict", "ordered"):
        pairs = [(k, _decode(v, arrays, scalars)) for k, v in value]
        return collections.OrderedDict(pairs) if kind == "ordered" else dict(pairs)
    if kind in ("list", "tuple"):
        items = [_decode(v, arrays, scalars) for v in value]
        return tuple(items) if kind == "tuple" else items
    raise ValueError(f"unknown entry {kind!r:.40} in the checkpoint's structure")


# --- the file ----------------------------------------------------------------


def save(obj, path):
    """Write ``obj`` (a state dict or nested dicts of them) to ``path`` atomically.

    The file name is used as given (no ".npz" is appended).
    """
    path = os.fspath(path)
    arrays = {}
    tree = _encode(obj, [], arrays)  # type errors surface before any file is touched
    check_names(arrays, "mc.save")
    arrays[FORMAT_KEY] = np.asarray(FORMAT_VERSION)
    arrays[TREE_KEY] = np.asarray(json.dumps(tree))
    write_atomic(path, lambda f: _write_npz(f, arrays), who="mc.save")


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


def write_atomic(path, write, who="write_atomic"):
    """Write a file all or nothing: into a temporary name beside it, then renamed over it.

    ``write`` is bytes, or a function that writes to the open binary file. The
    temporary file is removed if anything goes wrong (even KeyboardInterrupt);
    temporary files of killed saves in the same folder are removed first (see the
    module docstring). A failure of the file system (full disk, read-only folder,
    a folder in the way) is an OSError naming ``path``, not the temporary name.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: folder {folder!r} does not exist; create it first")
    _remove_stale_temps(folder)
    tmp = None
    try:
        tmp, fd = _create_temp(folder, os.path.basename(path))
        with os.fdopen(fd, "wb") as f:
            if callable(write):
                write(f)
            else:
                f.write(write)
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:  # renamed while still locked, so no cleaner takes it first
                os.replace(tmp, path)
        if fcntl is None:  # Windows renames a file only once it is closed
            os.replace(tmp, path)
    except BaseException as err:
        if tmp is not None and os.path.lexists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and err.strerror:
            why = "a folder is in the way" if os.path.isdir(path) else err.strerror.lower()
            failed = OSError(f"{who}: could not write {path}: {why}")
            failed.errno = err.errno  # kept for callers; the message stays one plain line
            raise failed from None
        raise
    _fsync_folder(folder)


_TEMP_NAME = re.compile(r"^\..+\.minicnn-(\d+)(-[0-9a-f]+)?\.tmp$")  # older saves had no random part
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _create_temp(folder, name):
    """(path, descriptor) of a new temporary file for ``name`` in ``folder``, locked where it can be.

    The name holds a random part, so no one can place a link there in advance, and
    O_EXCL makes the open fail rather than follow a link or reuse a file that is there.
    """
    for _ in range(8):  # a name taken by chance, or removed before it was locked: draw another
        tmp = os.path.join(folder, f".{name}.minicnn-{os.getpid()}-{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(tmp, _NEW_FILE, 0o666)
        except FileExistsError:
            continue
        if _lock_own(fd, tmp):
            return tmp, fd
    raise FileExistsError(errno.EEXIST, "every temporary name tried was taken")


def _lock_own(fd, tmp):
    """Lock the new temporary file ``fd``; False (and closed) if a cleaner removed it first.

    Between the open and the lock another save may find the file unlocked and remove it;
    it does so while holding the lock, so once this lock is held the name says whether it did.
    """
    if fcntl is None:
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:  # a file system without locks: cleaners cannot lock it either, so they leave it
        pass
    if _same_file(tmp, fd):
        return True
    os.close(fd)
    return False


def _same_file(path, fd):
    """Whether ``path`` (not followed if a link) is still the file open as ``fd``."""
    try:
        return os.path.samestat(os.lstat(path), os.fstat(fd))
    except OSError:
        return False


def _pid_alive(pid):
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    except (OverflowError, OSError):  # no such pid can exist
        return False
    return True


_OPEN_TO_LOCK = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
_STALE_SECONDS = 24 * 3600  # without flock or pids: a temporary file unchanged this long is left over


def _remove_stale_temps(folder):
    """Remove the temporary files of saves into ``folder`` that no save is writing any more."""
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        match = _TEMP_NAME.match(name)
        if match:
            path = os.path.join(folder, name)
            if fcntl is not None:
                _remove_if_unlocked(path)
            elif _left_over(path, int(match.group(1))):
                try:
                    os.remove(path)
                except OSError:  # another save removed it first, or it is not ours to remove
                    pass


def _remove_if_unlocked(path):
    """Remove the temporary file ``path`` if it is a regular file that no save holds locked.

    It is removed while this lock is held, so a save that has just created it sees it gone
    when its own lock comes (``_lock_own``). A link is not followed, a FIFO does not block.
    """
    try:
        fd = os.open(path, _OPEN_TO_LOCK)
    except OSError:  # a link, gone, or not ours to open
        return
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # a save is writing it
            return
        if _same_file(path, fd):
            os.remove(path)
    except OSError:  # another save removed it first, or it is not ours to remove
        pass
    finally:
        os.close(fd)


def _left_over(path, pid):
    """Without flock: the process that wrote ``path`` is gone (POSIX), or it is a day old."""
    if os.name == "posix":
        return not _pid_alive(pid)
    try:  # NOTE: os.kill(pid, 0) would end the process on Windows
        return time.time() - os.lstat(path).st_mtime > _STALE_SECONDS
    except OSError:
        return False


def _fsync_folder(folder):
    """Flush the folder's entry list, so that the rename itself survives a power cut."""
    if os.name != "posix":  # Windows cannot open a folder as a file
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # NOTE: some filesystems cannot fsync a folder
        pass
    finally:
        os.close(fd)


def write_arrays(path, arrays, who="write_arrays"):
    """A plain ``.npz`` of {name: array} (what ``np.load`` reads), written atomically."""
    check_names(arrays, who, reserved=(FORMAT_KEY, TREE_KEY))
    write_atomic(path, lambda f: _write_npz(f, arrays), who=who)


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


def read_npz(path, who="mc.load"):
    """{name: array} from an ``.npz`` file, in the file's order, each array checked before it is
    allocated (see the module docstring). Raises CheckpointError for anything wrong."""
    path = os.fspath(path)
    with open_regular(path, CheckpointError) as f:
        try:
            if f.read(6) == b"\x93NUMPY":
                raise CheckpointError(f"{who}: {path} holds a single .npy array, not a checkpoint")
            directory = check_zip_directory(f, path)
            with zipfile.ZipFile(f) as archive:
                check_zip_methods(archive, f"{who}: {path}")
                members = archive.infolist()
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
        if _fill(f, buffer) != nbytes:
            raise CheckpointError(f"{who}: {path}: {name} is truncated")
    return np.frombuffer(buffer, dtype).reshape(shape, order="F" if fortran else "C")


# zipfile makes a ZipInfo of about 560 bytes of each record of the central directory, which
# takes 46 bytes and its name: at most 13 bytes a byte of directory (a name of n bytes makes
# two str of at most 2n), and the directory itself is read whole
_BYTES_PER_DIRECTORY_BYTE = 16
_END_RECORD = struct.Struct("<4s4H2LH")  # the end of central directory record
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_END_RECORD = struct.Struct("<4sQ2H2L4Q")


def check_zip_directory(f, path):
    """The bytes ``zipfile.ZipFile(f)`` will make of the zip's central directory, checked
    against the read limit: a zip of a million empty entries would fill memory inside
    ZipFile, before any other check.

    The directory's size is read from the end record (and the zip64 one, if any) found as
    zipfile finds it, taking the larger where both are there; no directory is larger than the file.
    """
    size = f.seek(0, 2)
    start = max(0, size - _END_RECORD.size - 0xFFFF)  # the record ends a comment of at most 64 KiB
    f.seek(start)
    tail = f.read()
    at = len(tail) - _END_RECORD.size
    if at < 0 or tail[at : at + 4] != b"PK\x05\x06" or tail[-2:] != b"\0\0":
        at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END_RECORD.size > len(tail):
        f.seek(0)
        return 0  # no end record: zipfile refuses the file without reading further
    directory = _END_RECORD.unpack_from(tail, at)[5]
    locator = start + at - _ZIP64_LOCATOR.size
    if locator >= _ZIP64_END_RECORD.size:  # zipfile reads a zip64 record just before its locator
        f.seek(locator - _ZIP64_END_RECORD.size)
        record = f.read(_ZIP64_END_RECORD.size + _ZIP64_LOCATOR.size)
        if record[:4] == b"PK\x06\x06" and record[-_ZIP64_LOCATOR.size :][:4] == b"PK\x06\x07":
            directory = max(directory, _ZIP64_END_RECORD.unpack_from(record)[8])
    f.seek(0)
    parsed = min(directory, size) * _BYTES_PER_DIRECTORY_BYTE
    check_claim(parsed, "its zip directory, parsed,", path, CheckpointError)
    return parsed


_READ_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_METHOD_NAMES = {zipfile.ZIP_BZIP2: "bzip2", zipfile.ZIP_LZMA: "LZMA"}
_CHUNK = 1 << 20


def check_zip_methods(archive, where):
    """Refuse a zip holding any entry that is not stored or deflated, before reading one.

    numpy and torch write only those two. zipfile unpacks a bzip2 or LZMA entry with
    no bound on what one read gives back, so a small entry lying about its size could
    fill memory before the size is checked.
    """
    for member in archive.infolist():
        if member.compress_type not in _READ_METHODS:
            method = _METHOD_NAMES.get(member.compress_type, f"method {member.compress_type}")
            raise CheckpointError(
                f"{where}: {member.filename!r:.80} is compressed with {method}; "
                "expected stored or deflated entries, as numpy and torch write"
            )


def read_entry(archive, member, where):
    """The bytes of one zip entry, as many as it claims, read a chunk at a time."""
    buffer = bytearray(member.file_size)
    with archive.open(member) as f:
        if _fill(f, buffer) != len(buffer):
            raise CheckpointError(f"{where}: {member.filename!r:.80} is truncated")
    return buffer


def _fill(f, buffer):
    """Read ``f`` into ``buffer`` a chunk at a time; the number of bytes read.

    One unbounded read would inflate a deflated entry whole before zipfile cuts it
    at the size the entry claims; chunks keep memory at the claim. zipfile never
    gives back more than the claim, and checks the CRC when it reaches it.
    """
    view, done = memoryview(buffer), 0
    while done < len(buffer):
        got = f.readinto(view[done : done + _CHUNK])
        if not got:
            break
        done += got
    return done


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


def load(path):
    """Read a checkpoint written by ``save`` (or any ``.npz`` of arrays, as a flat dict).

    Raises FileNotFoundError when there is no file, and CheckpointError when the
    file is not a readable checkpoint (truncated by a crash, corrupt, or another format).
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"mc.load: no checkpoint at {path!r}")
    arrays = read_npz(path)
    if FORMAT_KEY not in arrays:
        return dict(arrays)
    try:
        tree, version = arrays.pop(TREE_KEY), int(arrays.pop(FORMAT_KEY))
        if version > FORMAT_VERSION:
            raise CheckpointError(
                f"mc.load: {path!r} has checkpoint format {version}, newer than "
                f"this minicnn reads ({FORMAT_VERSION}); upgrade minicnn"
            )
        return _decode(json.loads(_tree_text(tree, arrays, path)), arrays, {})
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
