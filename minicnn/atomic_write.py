"""Writing a file all or nothing: ``write_atomic``, which every file minicnn saves goes through.

The file is written to a new temporary file in the same folder
(``.minicnn-PID-RANDOM.tmp``: short, so any name the folder takes can be saved, and
created only if no file or link has that name, so a link placed there is never
written through), flushed to disk and renamed over
``path`` (``os.replace``), and the folder is flushed too, so a crash or a full disk
midway leaves the previous file as it was. A link at ``path`` is replaced itself, never
followed. A write not asked to overwrite (``overwrite=False``) replaces nothing, not even
a file made at ``path`` while it was writing: the temporary file is hard-linked to
``path`` (``link`` fails on a name that is taken, where ``rename`` would replace it)
and its own name then removed. On a file system without hard links (FAT, exFAT) it
looks, then renames, so only a file made in the instant between is replaced;
Windows' ``rename`` refuses a taken name by itself. The save holds an exclusive lock
(``flock``) on its temporary file until the rename, and a temporary file that nobody
holds locked, left by a save that was killed, is removed by the next save into that
folder: a save in progress is never removed, even one by another machine or
container sharing the folder, which a process id could not tell. Where there is no
``flock`` (Windows), the next save removes a temporary file whose process is no
longer alive (POSIX) or that has not changed for a day.
"""

import errno
import os
import re
import secrets
import stat
import time

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]


def write_atomic(path, write, who="write_atomic", overwrite=True):
    """Write a file all or nothing: into a temporary name beside it, then renamed over it.

    ``write`` is bytes, or a function that writes to the open binary file. The
    temporary file is removed if anything goes wrong (even KeyboardInterrupt);
    temporary files of killed saves in the same folder are removed first (see the
    module docstring). A failure of the file system (full disk, read-only folder,
    a folder in the way) is a ``WriteFailed`` (an OSError) naming ``path``, not the
    temporary name.
    ``overwrite`` False: whatever is at ``path`` (a file, a folder, a link, even a
    broken one) is kept, before the write as at its end, and ``NotReplaced`` (a
    FileExistsError) says so.
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"{who}: folder {folder!r} does not exist; create it first")
    if not overwrite and os.path.lexists(path):
        raise NotReplaced(who, path, "exists")
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
                _into_place(tmp, path, overwrite, who)
        if fcntl is None:  # Windows renames a file only once it is closed
            _into_place(tmp, path, overwrite, who)
    except BaseException as err:
        if tmp is not None and os.path.lexists(tmp):
            os.remove(tmp)
        if isinstance(err, OSError) and err.strerror:
            why = "a folder is in the way" if os.path.isdir(path) else err.strerror.lower()
            failed = WriteFailed(f"{who}: could not write {path}: {why}")
            failed.errno, failed.path = err.errno, path  # for callers; the message stays one plain line
            raise failed from None
        raise
    _fsync_folder(folder)


def name_problem(path):
    """Why the file ``path`` could never be made, told by its name alone, or None: a NUL in
    it, or more bytes than its file system takes in a name (NAME_MAX, 255 on most)."""
    name = os.path.basename(os.fspath(path))
    if "\0" in name:
        return "a file name cannot hold a NUL character"
    size = len(os.fsencode(name))
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.isdir(folder) and os.path.dirname(folder) != folder:  # made later: its parent's
        folder = os.path.dirname(folder)
    try:
        limit = os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):  # not told (Windows has no pathconf)
        limit = 255
    if limit and limit > 0 and size > limit:
        return f"its name is {size} bytes long, and this file system takes at most {limit}"
    return None


def file_identity(path):
    """What tells the file at ``path`` (a link itself, not followed) from one a write renamed over
    it since: its device, inode, modification time and size; None where there is none."""
    try:
        st = os.lstat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size


class WriteFailed(OSError):
    """The file system refused a write (full disk, read-only, no permission): ``errno`` says
    which, ``path`` names the file, and whatever was at ``path`` before is as it was."""


class NotReplaced(FileExistsError):
    """A write not asked to overwrite found ``path`` taken, and left it as it was."""

    def __init__(self, who, path, what):
        super().__init__(f"{who}: {path} {what}; it is kept, not replaced")
        # NOTE: no filename: str() would then show errno and strerror, not this line
        self.errno, self.path = errno.EEXIST, path


# what link() says on a file system without hard links (vfat: EPERM)
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS}


def _into_place(tmp, path, overwrite, who):
    """Rename ``tmp`` to ``path``; unless ``overwrite``, never over anything already there."""
    if overwrite:
        os.replace(tmp, path)
        return
    made = "was made while this file was being written"
    try:
        if os.name == "nt":
            os.rename(tmp, path)  # NOTE: Windows' rename fails where the name is taken
            return
        try:
            os.link(tmp, path)  # NOTE: link() fails where the name is taken, a link included
        except OSError as err:
            if err.errno not in _NO_HARD_LINKS:
                raise
            # no hard links here: look, then rename; only a file made in between is lost
            if os.path.lexists(path):
                raise FileExistsError(errno.EEXIST, "exists") from None
            os.replace(tmp, path)
            return
    except FileExistsError:
        raise NotReplaced(who, path, made) from None
    os.remove(tmp)


# older saves put the file's name first (.NAME.minicnn-PID-RANDOM.tmp), and earlier ones had no random part
_TEMP_NAME = re.compile(r"^\.(?:.+\.)?minicnn-(\d+)(-[0-9a-f]+)?\.tmp$")
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)


def _create_temp(folder, name):
    """(path, descriptor) of a new temporary file for ``name`` in ``folder``, locked where it can be.

    The name holds a random part, so no one can place a link there in advance, and
    O_EXCL makes the open fail rather than follow a link or reuse a file that is there.
    NOTE: ``name`` is not part of it: a name near the file system's limit (255 bytes)
    would leave no room for the rest, and such a file could never be saved.
    """
    for _ in range(8):  # a name taken by chance, or removed before it was locked: draw another
        tmp = os.path.join(folder, f".minicnn-{os.getpid()}-{secrets.token_hex(8)}.tmp")
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
