"""What a zip may cost before it is read: the central directory zipfile parses, the
compression of its entries, and entries read a chunk at a time, never past their claim.

Used by ``mc.load`` (io.py) and the .pth reader (pth.py); each refusal is io's
CheckpointError, one line naming the file.
"""

import struct
import zipfile

from . import io
from .filecheck import check_claim

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
    check_claim(parsed, "its zip directory, parsed,", path, io.CheckpointError)
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
            raise io.CheckpointError(
                f"{where}: {member.filename!r:.80} is compressed with {method}; "
                "expected stored or deflated entries, as numpy and torch write"
            )


def read_entry(archive, member, where):
    """The bytes of one zip entry, as many as it claims, read a chunk at a time."""
    buffer = bytearray(member.file_size)
    with archive.open(member) as f:
        if fill(f, buffer) != len(buffer):
            raise io.CheckpointError(f"{where}: {member.filename!r:.80} is truncated")
    return buffer


def fill(f, buffer):
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
