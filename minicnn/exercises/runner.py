"""The grader's side of ``python -m minicnn check``: the submission runs in a child process,
and the verdict is this process's alone.

The child (``child.py``, the same Python) imports the student's file and calls the student's
function on the arguments sent to it; this process builds every case and its expected answer,
reads the child's answers from .npz files (``transfer``: no pickle, so reading them cannot run
code) and compares. A file that prints a "passed" line and exits, or patches the grader in its
own process, changes nothing here.

This process also keeps the time. The child says when each step begins; a step (loading the
file, one case, one training batch) that runs past ``grading.CASE_SECONDS`` gets the child's
whole process group killed with SIGKILL, which no ``except:`` in the student's code can catch,
and the message names the step. Everything the child prints is kept apart from the verdict,
for the caller to show under a heading of its own. On Linux, ``processes.py`` keeps the child
out of this process's files and memory, and ends whatever the child started when it ends.
"""

import contextlib
import json
import os
import secrets
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import grading, processes, transfer
from .calling import failure, too_long
from .grading import CouldNotRun, one_line

MESSAGE_BYTES = 1 << 20  # one line of the protocol is far shorter: longer is no message of the child's
OUTPUT_BYTES = 20_000  # of what the child prints between two verdicts: kept to show; the rest is counted
_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # holds minicnn/
# NOTE: without the current folder ("" first on the path of ``python -c``), as ``python FILE.py``
# runs: a numpy.py there would be imported in place of NumPy before the file is even loaded
_CHILD = (
    f"import sys; sys.path[:] = [{_ROOT!r}] + [p for p in sys.path if p]; "
    "from minicnn.exercises.child import main; main()"
)


class Submission:
    """The student's file, loaded in a child process: ``start()``, then ``runner(ex)`` for
    ``grading.grade``, ``take_output()`` for what it printed, ``close()``.

    After a step that timed out or ended the child (``ended``), a new Submission goes on.
    """

    def __init__(self, path):
        self.path = path
        self.ended = False
        self._proc = None
        self._folder = tempfile.mkdtemp(prefix="minicnn-check-")  # only this user may enter it
        # NOTE: its files are made and read through this descriptor, under names drawn anew for each
        # call: the child, as the same user, may swap the folder or put links and FIFOs in it
        self._dir = os.open(self._folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        self._requests = self._messages = self._out = None
        self._text = b""  # what the child sent that is not a whole line yet
        self._output, self._dropped = bytearray(), 0
        self._how = ""  # how the child ended: "exit status 0", "killed by SIGSEGV"
        self._began = None  # the step the child last said it began
        self._guarded = None  # what processes.guard changed, and this process's children before

    def start(self):
        """Start the child and wait for it to load the file: {"defined": {name: its signature},
        "elsewhere": {name: the file it comes from}, "functions": [the names of the file's own
        functions]}. Raises CouldNotRun."""
        from . import info, names

        # the exercises to look for, by name and parameters: the child imports no lecturer's file
        wanted = json.dumps({name: info(name).arg_names for name in names()})
        requests, messages = os.pipe(), os.pipe()
        self._guarded = processes.guard()  # before the child exists: see processes.py
        try:
            self._proc = subprocess.Popen(
                [
                    *(sys.executable, "-c", _CHILD, self.path),
                    *(str(requests[0]), str(messages[1]), wanted, str(os.getpid())),
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # the student's prints and errors, in the order made
                pass_fds=(requests[0], messages[1]),
                start_new_session=True,  # a group of its own to kill, and no terminal to write to
                env=dict(os.environ, PYTHONUNBUFFERED="1"),
            )
        finally:
            os.close(requests[0])
            os.close(messages[1])
        self._requests, self._messages = requests[1], messages[0]
        self._out = self._proc.stdout.fileno()
        outcome = self._await(time.monotonic() + grading.CASE_SECONDS)
        if isinstance(outcome, dict) and isinstance(outcome.get("loaded"), dict):
            loaded = outcome["loaded"]
            if isinstance(loaded.get("defined"), dict) and isinstance(loaded.get("elsewhere"), dict):
                return loaded
        if isinstance(outcome, dict) and "failed" in outcome:
            self._stop()
            err = _at(CouldNotRun(_load_failure(self.path, outcome["failed"])), "load")
            if isinstance(outcome["failed"], dict):
                err.traceback = str(outcome["failed"].get("traceback") or "")
            raise err
        if outcome == "late" and self._began != "load":  # still importing NumPy and minicnn
            why = (
                f"the grader's child process did not start within {grading.CASE_SECONDS:g} s (it was "
                f"still importing NumPy and minicnn, before {self.path}); nothing was graded"
            )
        elif outcome == "late":
            why = (
                f"{self.path} did not finish loading within {grading.CASE_SECONDS:g} s (an endless loop "
                "at the top of the file?); the grader stopped it and nothing was graded"
            )
        elif outcome == "ended" and self._began != "load":  # the grader's own code failed to start
            said = self.take_output()  # not the file's output: it never ran
            last = next((line for line in reversed(said.splitlines()) if line.strip()), "")
            err = CouldNotRun(
                f"the grader's child process ended before it loaded {self.path} ({self._how}"
                + (f": {one_line(last, 300)}" if last else "")
                + "); nothing was graded"
            )
            err.traceback = said
            raise _at(err, "load")
        elif outcome == "ended":
            why = (
                f"{self.path} ended the grader's child process while loading ({self._how}); "
                "nothing was graded"
            )
        else:
            why = (
                f"{self.path}: the grader's child process sent a message it does not understand while loading"
            )
        raise _at(CouldNotRun(why), "load")

    def runner(self, ex):
        """``run(args, where)`` for ``grading.grade``: the student's function ``ex.name`` in the
        child; returns (outputs, the arguments as the call left them)."""
        return lambda args, where: self._call(ex, args, where)

    def _call(self, ex, args, where):
        if self.ended:
            raise CouldNotRun(f"{ex.name}: the grader's child process had ended before {where}")
        token = secrets.token_hex(8)  # an answer is only ever the one this call asked for
        args_name, out_name = f"args-{token}.npz", f"out-{token}.npz"
        try:
            transfer.write(args_name, list(args), dir_fd=self._dir)
        except OSError as err:
            raise CouldNotRun(
                f"{ex.name}: the grader could not write the arguments {where} into its folder "
                f"{self._folder} ({one_line(err.strerror or err, 80)}); was it changed while grading?"
            ) from None
        try:
            return self._answer(ex, where, args_name, out_name)
        finally:
            for name in (args_name, out_name):
                with contextlib.suppress(OSError):
                    os.unlink(name, dir_fd=self._dir)

    def _answer(self, ex, where, args_name, out_name):
        """The child's answer to the call whose arguments are in ``args_name``, read from ``out_name``."""
        args_file, out_file = os.path.join(self._folder, args_name), os.path.join(self._folder, out_name)
        outcome = self._send({"name": ex.name, "args": args_file, "out": out_file, "step": where})
        if outcome is None:
            outcome = self._await(time.monotonic() + grading.CASE_SECONDS)
        if isinstance(outcome, dict) and outcome.get("done") == where:
            try:
                got = transfer.read(out_name, dir_fd=self._dir)
                return got["out"], got["args"]
            except (ValueError, OSError, KeyError, TypeError) as err:
                why = one_line(err, 200)
                raise CouldNotRun(f"{ex.name}: its answer {where} could not be read: {why}") from None
        if isinstance(outcome, dict) and "failed" in outcome:
            raise failure(ex, where, outcome["failed"])
        if outcome == "late":
            raise CouldNotRun(f"{too_long(ex, where, grading.CASE_SECONDS)}; the grader stopped it")
        if outcome == "ended":
            raise CouldNotRun(
                f"{ex.name} ended the grader's child process {where} ({self._how}): a function returns "
                f"its result; os._exit() or a crash leaves nothing to grade"
            )
        raise CouldNotRun(
            f"{ex.name}: the grader's child process sent a message it does not understand {where}"
        )

    def take_output(self):
        """What the child printed since the last call of this, as text (cut at OUTPUT_BYTES)."""
        while self._out is not None and select.select([self._out], [], [], 0)[0]:
            self._read_output()
        text = self._output.decode("utf-8", errors="replace")
        if self._dropped:
            text += f"\n... and {self._dropped} more bytes of output, not shown"
        self._output, self._dropped = bytearray(), 0
        return text

    def close(self):
        """Kill the child's process group, and every process the child started (the student's file
        may have started others, in a session of their own), and clean up."""
        if not self.ended and self._proc is not None:
            self._stop()
        if self._guarded is not None:
            processes.end(self._guarded[1])
            processes.unguard(self._guarded[0])
            self._guarded = None
        for fd in (self._requests, self._messages):
            if fd is not None:
                os.close(fd)
        self._requests = self._messages = None
        if self._proc is not None:
            self._proc.stdout.close()
            self._out = None
        if self._dir is not None:
            with contextlib.suppress(OSError):  # the folder made, not what may have been put at its name
                if os.path.samestat(os.lstat(self._folder), os.fstat(self._dir)):
                    shutil.rmtree(self._folder, ignore_errors=True)
            os.close(self._dir)
            self._dir = None

    # --- the protocol ---------------------------------------------------------------------------

    def _send(self, request):
        try:
            os.write(self._requests, (json.dumps(request) + "\n").encode())
        except BrokenPipeError:  # the child is gone
            self._stop()
            return "ended"
        return None

    def _await(self, deadline):
        """The child's next message other than {"begin": step}, or "late" (the deadline passed),
        "ended" (the child closed its end: it exited or was killed) or "garbled"; on any of these
        three the child is stopped."""
        while True:
            outcome = self._next(deadline)
            if not (isinstance(outcome, dict) and "begin" in outcome):
                break
            self._began = outcome["begin"]
        if isinstance(outcome, str):
            self._stop()
        return outcome

    def _next(self, deadline):
        while b"\n" not in self._text:
            left = deadline - time.monotonic()
            if left <= 0:
                return "late"
            watched = [self._messages] + ([self._out] if self._out is not None else [])
            ready = select.select(watched, [], [], left)[0]
            if self._out in ready:
                self._read_output()
            if self._messages in ready:
                data = os.read(self._messages, 65536)
                if not data:
                    return "ended"
                self._text += data
                if len(self._text) > MESSAGE_BYTES:
                    return "garbled"
        line, self._text = self._text.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return "garbled"
        return message if isinstance(message, dict) and len(message) == 1 else "garbled"

    def _read_output(self):
        data = os.read(self._out, 65536)
        if not data:  # the child closed its output (it ended, or closed it itself)
            self._out = None
            return
        keep = max(0, OUTPUT_BYTES - len(self._output))
        self._output += data[:keep]
        self._dropped += len(data) - min(keep, len(data))

    def _stop(self):
        """SIGKILL to the child's whole group, and to every process below the child: a student's
        ``except:`` cannot catch it."""
        below = processes.descendants(self._proc.pid)  # while each still names its parent
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, signal.SIGKILL)  # NOTE: before wait(), so the id is still the child's
        for pid in below:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        code = self._proc.wait()
        if self._guarded is not None:  # those the kill orphaned are this process's children now
            processes.end(self._guarded[1])
        self.ended = True
        if code < 0:
            try:
                self._how = f"killed by {signal.Signals(-code).name}"
            except ValueError:
                self._how = f"killed by signal {-code}"
        else:
            self._how = f"exit status {code}"
        ends = time.monotonic() + 1  # what it printed before it ended, without waiting on others it started
        while (
            self._out is not None and time.monotonic() < ends and select.select([self._out], [], [], 0.05)[0]
        ):
            self._read_output()


def _at(err, step):
    err.step = step
    return err


def _load_failure(path, record):
    """The sentence for a file that raised, or called sys.exit, while loading."""
    record = record if isinstance(record, dict) else {}
    if record.get("kind") == "exit":
        return f"{path} called sys.exit({one_line(record.get('code'), 60)}) while loading; nothing was graded"
    line = record.get("line")
    where = ""
    if isinstance(line, list) and len(line) == 3:
        where = f"; at line {one_line(line[1], 12)}: {one_line(line[2], 200)}"
    err = f"{one_line(record.get('type'), 60)}: {one_line(record.get('text'))}"
    return f"{path} failed to load: {err}{where}"
