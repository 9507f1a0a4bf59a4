"""What a training run records of the data it reads from files, so that ``--resume`` and
``eval`` read the same files from any folder, or refuse where those files changed.

A ``--data mnist:PATH`` (``fashion-mnist:PATH``, ``cifar10:PATH``) is stored in the run's
settings with PATH absolute and its links resolved (``absolute``), and beside it, as
``data_files`` in the checkpoint's meta and in ``metrics.json``, each file read: its path
within PATH, its size and its SHA-256 (``files_read``). A resume reads every file again and
compares; ``eval`` compares the test files it reads (``changes``). A relative PATH, as runs
stored it before, is read from the current folder, as it was then, with a warning
(``recorded``). The data made in memory (mnist5k, digits, shapes) has no files to record.
"""

import hashlib
import os
import warnings

from .cli_common import printable
from .filecheck import open_regular

FOLDER_DATA = ("mnist", "fashion-mnist", "cifar10")
_HEX = frozenset("0123456789abcdef")


def absolute(spec):
    """``kind:PATH`` with PATH made absolute and its links resolved; any other spec as it is."""
    kind, _, path = spec.partition(":")
    if kind in FOLDER_DATA and path:
        return f"{kind}:{os.path.realpath(path)}"
    return spec


def recorded(spec, where):
    """A data spec as ``where`` (a run's notes) records it, made absolute. A relative path, which
    no folder recorded with it says the meaning of, is read from the current folder as before,
    with a warning that says so."""
    kind, _, path = spec.partition(":")
    if kind not in FOLDER_DATA or not path or os.path.isabs(path):
        return spec
    whole = absolute(spec)
    warnings.warn(
        f"{where} gives the data as {printable(spec)}, a relative path (recorded before runs kept "
        f"whole paths): read from the current folder, {printable(whole)}",
        stacklevel=2,
    )
    return whole


def files_read(spec, *datasets):
    """{path within the data folder: {"bytes": size, "sha256": hex digest}} of the files
    ``datasets`` were read from; None for data made in memory."""
    kind, _, root = spec.partition(":")
    if kind not in FOLDER_DATA:
        return None
    files = {}
    for dataset in datasets:
        for path in getattr(dataset, "files", ()):
            files[os.path.relpath(path, root)] = _fingerprint(path)
    return files


def _fingerprint(path):
    digest = hashlib.sha256()
    with open_regular(path, ValueError) as f:
        size = os.fstat(f.fileno()).st_size
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return {"bytes": size, "sha256": digest.hexdigest()}


def record_problem(record):
    """Why ``record`` (read from a checkpoint or a metrics.json) is not what ``files_read``
    writes, in words; None where it is."""
    if not isinstance(record, dict):
        return f"it is {type(record).__name__}, not a table of files"
    for name, entry in record.items():
        if (
            not isinstance(entry, dict)
            or isinstance(entry.get("bytes"), bool)
            or not isinstance(entry.get("bytes"), int)
            or entry["bytes"] < 0
            or not isinstance(entry.get("sha256"), str)
            or len(entry["sha256"]) != 64
            or not set(entry["sha256"]) <= _HEX
        ):
            return f"its entry for {printable(str(name))[:80]!r} is not a size and a SHA-256"
    return None


def changes(before, now, every=True):
    """What differs between the files recorded ``before`` and those read ``now``, one phrase a
    file; ``every`` False compares only the files read now (eval reads the test files alone)."""
    said = []
    for name in sorted(now):
        if name not in before:
            said.append(f"{name} (not one the run read)")
        elif now[name]["bytes"] != before[name]["bytes"]:
            said.append(f"{name} ({now[name]['bytes']:,} bytes, was {before[name]['bytes']:,})")
        elif now[name]["sha256"] != before[name]["sha256"]:
            said.append(f"{name} (as many bytes, other ones: its SHA-256 differs)")
    if every:
        said += [f"{name} (read then, not now)" for name in sorted(set(before) - set(now))]
    return [printable(phrase) for phrase in said]


def changed_line(spec, phrases):
    """The phrases of ``changes`` as one clause, the first three in full."""
    more = f", and {len(phrases) - 3} more" if len(phrases) > 3 else ""
    folder = printable(spec.partition(":")[2])
    return f"the files in {folder} changed since the run read them: {', '.join(phrases[:3])}{more}"
