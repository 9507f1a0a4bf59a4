"""The worker processes of a comparison: their environment, starting them, asking them, ending them.

Each library runs in a worker of its own (worker.py), started by ``WorkerProcess`` with
the same thread variables (``thread_env``); a request is one JSON line out, one back.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile

from .worker import THREAD_VARS


def thread_env(threads, base=None):
    """The environment every child starts with: the BLAS, OpenMP and Numba pools sized to
    ``threads``, and this minicnn first on the path (so a child imports the same package as
    its parent).

    NOTE: a minicnn child then holds its BLAS to one thread and runs the convolutions' GEMMs
    inside Numba's loops, as it does by default (kernels/threads.py, "one pool"); PyTorch
    runs its kernels in its own pool of ``threads``.
    """
    env = dict(os.environ if base is None else base)
    env.update({k: str(threads) for k in THREAD_VARS})
    env["NUMBA_NUM_THREADS"] = str(threads)
    env.pop("MINICNN_COPY_THREADS", None)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in [env.get("PYTHONPATH")] if p])
    return env


class WorkerError(RuntimeError):
    pass


_live: set = set()  # the workers started and not yet closed


def end_workers_on_sigterm(prog=None):
    """On SIGTERM (``timeout``, a job scheduler), kill every live worker, then exit with status 143,
    saying so in one line headed by ``prog`` where one is given.

    NOTE: the workers run in sessions of their own, so the signal reaches only the
    coordinator, and Python's default action ends it without its ``finally`` blocks: a
    worker in the middle of a timed call would run on, on the cores the next measurement
    is given, until it found no one to answer.
    """

    def end(signum, frame):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut this short
        for worker in list(_live):
            try:
                os.killpg(worker.proc.pid, signal.SIGKILL)  # its session: the worker and anything it started
            except ProcessLookupError:
                pass
        if prog:
            print(f"{prog}: stopped by SIGTERM; nothing was recorded", file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)

    try:
        signal.signal(signal.SIGTERM, end)
    except ValueError:  # not the main thread, which alone may set handlers: the default stays
        pass


class WorkerProcess:
    """The coordinator's handle on one worker: a request is one JSON line out, one back."""

    def __init__(self, library, threads, env=None, command=None):
        self.library = library
        self.faults = []  # the minor page faults a call of each turn (worker.minor_faults)
        self.two_threads = []  # each turn's system.two_threads_over_one, after its calls
        cmd = command or [sys.executable, "-m", "minicnn.bench.worker", library, "--threads", str(threads)]
        # NOTE: a session of its own, so that Ctrl-C in the terminal reaches only the
        # coordinator, which says so in one line and closes its workers; each worker
        # would print a traceback of its own. A worker whose coordinator is gone reads
        # the end of its input and exits.
        # NOTE: started in an empty directory of its own: ``python -m`` puts the working
        # directory first on the path, and in a checkout that would import the checkout's
        # minicnn whatever PYTHONPATH says (so an A/B of two versions would time one twice)
        self._cwd = tempfile.TemporaryDirectory(prefix="minicnn-worker-")
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=thread_env(threads) if env is None else env,
            text=True,
            start_new_session=True,
            cwd=self._cwd.name,
        )
        _live.add(self)

    def request(self, cmd, **msg):
        self.proc.stdin.write(json.dumps(dict(msg, cmd=cmd)) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise WorkerError(f"the {self.library} worker ended (exit status {self.proc.wait()})")
        out = json.loads(line)
        if "error" in out:
            raise WorkerError(f"{self.library} worker: {out['error']}")
        return out

    def time(self, calls):
        out = self.request("time", calls=calls)
        self.faults.append(out.get("minor_faults"))
        self.two_threads.append(out.get("two_threads"))
        return out["times"]

    def close(self):
        if self.proc.poll() is None:
            try:
                self.request("quit")
            except (WorkerError, OSError, ValueError):
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # stuck in a call: in a session of its own, no one else ends it
            self.proc.kill()
            self.proc.wait()
        _live.discard(self)  # only now: a SIGTERM while it was closing still kills it
        self._cwd.cleanup()
