"""On Linux, the child of python -m minicnn check can neither open the grader's output or memory
nor leave processes behind: not when its case ends, and not when the grader is killed outright."""

import ctypes
import json
import os
import pathlib
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from minicnn.__main__ import main
from minicnn.exercises import grading, runner

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl and /proc are Linux's")

ROOT = pathlib.Path(__file__).resolve().parents[2]
RIGHT = "\ndef sigmoid_backward(gy, y):\n    return gy * y * (1 - y)\n"


def _running(pid):
    """Whether ``pid`` is a process that has not ended (a zombie has)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] not in (b"Z", b"X")
    except (OSError, IndexError):
        return False


def _gone_soon(pid, seconds=10):
    ends = time.monotonic() + seconds
    while _running(pid) and time.monotonic() < ends:
        time.sleep(0.05)
    return not _running(pid)


def _kill(pids):
    """Clean up after a test that failed: the processes it was about."""
    for pid in pids:
        if _running(pid):
            os.kill(pid, signal.SIGKILL)


def _may_trace_any_process():
    """Whether this process has CAP_SYS_PTRACE (root has), before which non-dumpable is no wall."""
    with open("/proc/self/status") as f:
        caps = next(line for line in f if line.startswith("CapEff:"))
    return bool(int(caps.split()[1], 16) >> 19 & 1)


def _without_ptrace():
    """In the grader's process before its exec: CAP_SYS_PTRACE out of the bounding set, so that
    root's exec does not give it back (what ``setpriv --bounding-set -sys_ptrace`` does)."""
    PR_CAPBSET_DROP, CAP_SYS_PTRACE = 24, 19
    if ctypes.CDLL(None, use_errno=True).prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP, CAP_SYS_PTRACE)")


def test_the_child_cannot_open_the_graders_output_or_memory(student_file):
    path = student_file(
        textwrap.dedent("""
            import os

            for what in ("fd/1", "mem"):
                try:
                    os.close(os.open(f"/proc/{os.getppid()}/{what}", os.O_RDWR))
                    print(what, "opened")
                except OSError as err:
                    print(what, type(err).__name__)
        """)
        + RIGHT
    )
    command = [sys.executable, "-m", "minicnn", "check", "sigmoid_backward", path, "--json"]
    # as root: grade without CAP_SYS_PTRACE, as the docs ask
    drop = _without_ptrace if _may_trace_any_process() else None
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=drop)
    (result,) = [json.loads(line) for line in done.stdout.splitlines()]
    assert result["output"] == "fd/1 PermissionError\nmem PermissionError\n"
    assert result["passed"] and done.returncode == 0


def _dumpable():
    return ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)  # PR_GET_DUMPABLE


def test_the_grader_is_dumpable_again_after_grading(student_file, capsys):
    before = _dumpable()
    assert main(["check", "sigmoid_backward", student_file(RIGHT)]) == 0
    assert _dumpable() == before == 1


def test_processes_the_file_started_end_with_it(student_file, tmp_path, capsys):
    """One in a session of its own, one whose parent ended (a daemon's double fork): both go."""
    path = student_file(
        textwrap.dedent(f"""
            import os, time

            def away(name):
                os.setsid()
                path = os.path.join({str(tmp_path)!r}, name)
                open(path + ".part", "w").write(str(os.getpid()))
                os.rename(path + ".part", path)
                while True:
                    time.sleep(0.1)

            if os.fork() == 0:
                away("own_session")
            if os.fork() == 0:
                if os.fork() == 0:
                    away("orphan")
                os._exit(0)
            # both are running before the check starts, however loaded the machine
            for name in ("own_session", "orphan"):
                deadline = time.monotonic() + 60
                while not os.path.exists(os.path.join({str(tmp_path)!r}, name)):
                    assert time.monotonic() < deadline, name + " never started"
                    time.sleep(0.01)
        """)
        + RIGHT
    )
    pids = []
    try:
        assert main(["check", "sigmoid_backward", path]) == 0
        pids = [int((tmp_path / name).read_text()) for name in ("own_session", "orphan")]
        assert [_gone_soon(pid, 5) for pid in pids] == [True, True]
    finally:
        _kill(pids)


def test_a_grader_killed_outright_takes_its_child_with_it(student_file, tmp_path):
    pid_file = tmp_path / "pid"
    path = student_file(f"""
        import os

        def sigmoid_backward(gy, y):
            open({str(pid_file)!r}, "w").write(str(os.getpid()))
            while True:
                pass
    """)
    grader = subprocess.Popen(
        [sys.executable, "-m", "minicnn", "check", "sigmoid_backward", path],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    child = None
    try:
        deadline = time.monotonic() + 60
        while not pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        child = int(pid_file.read_text())
        grader.kill()  # SIGKILL: the grader cannot end the child itself
        grader.wait()
        assert _gone_soon(child)
    finally:
        grader.kill()
        _kill([child] if child else [])


def test_a_child_whose_grader_has_ended_ends_before_loading_the_file(tmp_path):
    """Its parent ended before the child asked to end with it: the child sees another parent."""
    marker = tmp_path / "loaded"
    (tmp_path / "mine.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    not_the_parent = str(os.getppid())
    argv = [str(tmp_path / "mine.py"), "0", "1", "{}", not_the_parent]
    done = subprocess.run(
        [sys.executable, "-c", runner._CHILD, *argv], stdin=subprocess.DEVNULL, timeout=grading.CASE_SECONDS
    )
    assert done.returncode == 1 and not marker.exists()
