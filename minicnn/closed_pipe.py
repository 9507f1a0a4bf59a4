"""A command's output sent to a pipe whose reader has gone (``| head``): the rest is dropped.

Python ignores SIGPIPE, which would end a C program quietly, and raises BrokenPipeError at
the next write instead. A command's output reports on its work; it is not the work. Within
``quiet_when_closed()``, ``sys.stdout`` and ``sys.stderr`` drop what a closed pipe cannot
take: the stream's descriptor is pointed at ``os.devnull`` (Python's own recipe, so that
the flush at exit has nowhere to fail), and the command goes on to its end and its own exit
status. A training run whose output stops being read still writes its checkpoints and
outputs, and ``summary --list | head -1`` ends with status 0, not an error.
"""

import contextlib
import os
import sys


class _Dropping:
    """A text stream that, once its reader has gone, writes into os.devnull."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._gone()
            return len(text)

    def flush(self):
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._gone()

    def _gone(self):
        try:
            fd = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # no descriptor (a test's capture): just dropped
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
        with contextlib.suppress(OSError, ValueError):  # what the buffer held goes there too
            self._stream.flush()

    def __getattr__(self, name):  # isatty, fileno, encoding, ...: the stream's own
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_when_closed():
    """Within: writes to a closed stdout or stderr are dropped, not raised (see the module)."""
    before = sys.stdout, sys.stderr
    if sys.stdout is not None:
        sys.stdout = _Dropping(sys.stdout)  # type: ignore[assignment]
    if sys.stderr is not None:
        sys.stderr = _Dropping(sys.stderr)  # type: ignore[assignment]
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:  # now, while a closed pipe is still caught
                stream.flush()
        sys.stdout, sys.stderr = before
