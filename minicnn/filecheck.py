"""What every file reader checks before it reads: a regular file, and sizes within a limit.

A file is data from elsewhere, and its header says how much memory to set
aside. Every reader in minicnn (checkpoints, weights, datasets, images)
compares each size a file claims with the file's real size and with one read
limit before it allocates, so a header claiming 4 TiB, or a small zip that
inflates to gigabytes, gets a clear error instead of a MemoryError.

The limit, in bytes, is the first of:

1. ``set_read_limit(nbytes)`` (``set_read_limit(None)`` forgets it),
2. the environment variable ``MINICNN_MAX_READ_BYTES``,
3. a quarter of the machine's physical memory, at most 4 GiB.

A size, stride, offset or shape a file gives is checked with ``index_problem`` before
any arithmetic on it or any message showing it: an int of thousands of digits, or a
thousand memo references to one, makes ``math.prod`` run for minutes and its digits
overflow Python's limit on converting ints to text.

Each reader raises its own documented error type (``minicnn.io.CheckpointError``
for checkpoints and weights, ``minicnn.data.DataFileError`` for dataset files);
the helpers here take that type as an argument.
"""

import os
import stat

import numpy as np

ENV_VAR = "MINICNN_MAX_READ_BYTES"
INDEX_LIMIT = 1 << 63  # sizes, strides and offsets are int64 in every format read: all below this
KEY_INTS = 1 << 31  # an int dict key lies in [-KEY_INTS, KEY_INTS): an optimizer's parameter index
MAX_DIMS = 64 if int(np.__version__.split(".")[0]) >= 2 else 32  # NumPy 2's most dimensions, 1's
_DEFAULT_CAP = 4 << 30
_limit = None


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not POSIX: no way to ask without extras
        return None


def default_read_limit():
    """A quarter of physical memory, at most 4 GiB (4 GiB where memory cannot be asked)."""
    memory = _physical_memory()
    return _DEFAULT_CAP if not memory or memory <= 0 else min(_DEFAULT_CAP, memory // 4)


def set_read_limit(nbytes):
    """Set the most bytes one file may make a reader allocate; None restores the default."""
    global _limit
    if nbytes is not None and (isinstance(nbytes, bool) or not isinstance(nbytes, int) or nbytes < 1):
        raise ValueError(f"set_read_limit: nbytes must be a positive int or None, got {nbytes!r}")
    _limit = nbytes


def read_limit():
    """The read limit in bytes now in force: ``set_read_limit``'s, else the environment variable
    ``MINICNN_MAX_READ_BYTES``, else a quarter of physical memory, at most 4 GiB."""
    if _limit is not None:
        return _limit
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        try:
            value = int(text)
        except ValueError:
            value = 0
        if value < 1:
            raise ValueError(f"{ENV_VAR} must be a positive number of bytes, got {text!r}")
        return value
    return default_read_limit()


def check_claim(nbytes, what, path, error):
    """Raise ``error`` when ``nbytes`` (what a file says it holds) is over the read limit."""
    limit = read_limit()
    if nbytes > limit:
        raise error(
            f"{path}: {what} would take {_human(nbytes)}, more than the read limit of "
            f"{_human(limit)}; if the file is trusted, raise the limit with "
            f"minicnn.io.set_read_limit(nbytes) or {ENV_VAR}"
        )


def is_key(value):
    """Whether ``value`` may be a dict key read from a file: a str, bytes, or an int within
    ``KEY_INTS``, which is all a state dict, an optimizer's state or a CIFAR-10 batch holds.

    Those hash in one pass, and no two alike: ints beyond 2**61 can be made to share one hash
    (an int's hash is itself modulo 2**61 - 1), and a dict of n of them takes n**2 / 2 steps
    to build; a tuple is hashed afresh from its items each time (see minicnn.pickle_kinds).
    """
    return type(value) in (str, bytes) or (type(value) is int and -KEY_INTS <= value < KEY_INTS)


def index_problem(values, dims=True):
    """Why ``values`` (a file's shape, strides or offsets) is not a list or tuple of ints from 0 to
    2**63 - 1, at most ``MAX_DIMS`` of them where ``dims``; None where it is. No value is formatted."""
    if not isinstance(values, (list, tuple)):
        return f"is {'an' if type(values).__name__[0] in 'aeiou' else 'a'} {type(values).__name__}"
    if dims and len(values) > MAX_DIMS:
        return f"has {len(values)} dimensions, more than the {MAX_DIMS} a NumPy array has"
    if not all(type(v) is int for v in values):
        return "holds a value that is not an int"
    if not all(v < INDEX_LIMIT for v in values):
        return "holds a value of 2**63 or more"
    if not all(v >= 0 for v in values):
        return "holds a negative value"
    return None


def _human(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if nbytes < 1024 or unit == "PiB":
            return f"{nbytes} bytes" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode):
    """'a folder', 'a FIFO (named pipe)', ... for a non-regular ``st_mode``; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def check_regular(path, error):
    """Raise ``error`` when ``path`` exists but is not a regular file (FileNotFoundError if absent)."""
    kind = file_kind(os.stat(path).st_mode)
    if kind is not None:
        raise error(f"{path}: is {kind}, not a regular file")


def open_regular(path, error, dir_fd=None):
    """``path`` opened for binary reading, after checking that it is a regular file.

    The file is opened without blocking and checked on the open descriptor, so a
    FIFO is refused instead of waiting forever for a writer, and a file swapped
    between a check and the open is still caught. FileNotFoundError passes
    through; any other failure to open becomes ``error``. With ``dir_fd``, ``path`` is a
    name in the folder open as ``dir_fd``, and a link of that name is refused, not followed.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    if dir_fd is not None:
        flags |= os.O_NOFOLLOW
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except FileNotFoundError:
        raise
    except OSError as e:
        kind = None
        try:
            kind = file_kind(os.stat(path, dir_fd=dir_fd, follow_symlinks=dir_fd is None).st_mode)
        except OSError:
            pass
        why = f"is {kind}, not a regular file" if kind else f"cannot be opened ({e.strerror or e})"
        raise error(f"{path}: {why}") from None
    try:
        kind = file_kind(os.fstat(fd).st_mode)
        if kind is not None:
            raise error(f"{path}: is {kind}, not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
