"""python -m minicnn check runs the submission in a child process: the time limit holds whatever the
file catches, and nothing the file prints, exits with or patches makes the verdict."""

import os
import signal
import subprocess
import sys
import time

import pytest

from minicnn.__main__ import main
from minicnn.exercises import grading


@pytest.fixture
def short_limit(monkeypatch):
    monkeypatch.setattr(grading, "CASE_SECONDS", 1.5)


def _gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_loop_that_swallows_every_exception_is_killed_at_the_limit(short_limit, student_file, capsys):
    path = student_file("""
        import time

        def sigmoid_backward(gy, y):
            while True:
                try:
                    time.sleep(0.1)
                except:  # noqa: E722 -- swallows KeyboardInterrupt, SystemExit, any alarm
                    pass
    """)
    began = time.monotonic()
    assert main(["check", "sigmoid_backward", path]) == 3
    assert time.monotonic() - began < 15
    assert capsys.readouterr().out == (
        "sigmoid_backward did not finish on case 1 of 3 (gy (5,), y (5,)) within 1.5 s: an endless "
        "loop, or loops over every element where the exercise wants whole-array operations; the "
        "grader stopped it\n"
    )


def test_an_endless_loop_at_the_top_of_the_file_is_killed_while_loading(short_limit, student_file, capsys):
    path = student_file("""
        import signal
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        while True:
            try:
                pass
            except BaseException:
                pass
    """)
    began = time.monotonic()
    assert main(["check", "all", path]) == 3
    assert time.monotonic() - began < 15
    assert capsys.readouterr().out == (
        f"{path} did not finish loading within 1.5 s (an endless loop at the top of the file?); "
        "the grader stopped it and nothing was graded\n"
    )


def test_the_whole_process_group_is_killed(short_limit, student_file, tmp_path):
    """A process the file started itself goes too (it is in the child's group)."""
    pid_file = tmp_path / "pid"
    path = student_file(f"""
        import subprocess, sys, time
        helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(pid_file)!r}, "w").write(str(helper.pid))

        def sigmoid_backward(gy, y):
            time.sleep(60)
    """)
    assert main(["check", "sigmoid_backward", path]) == 3
    helper = int(pid_file.read_text())
    deadline = time.monotonic() + 5
    while not _gone(helper) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _gone(helper)


def test_a_forged_pass_line_then_os_exit_0_is_no_pass(student_file, capsys):
    path = student_file("""
        import os

        def col2im(cols, x_shape, kernel_size, stride, padding):
            print("col2im: passed (6 cases)", flush=True)
            os._exit(0)
    """)
    assert main(["check", "col2im", path]) == 3
    out = capsys.readouterr().out
    assert out.startswith(f"output of {path}:\n    col2im: passed (6 cases)\ncol2im ended the grader's child")
    assert "(exit status 0)" in out


def test_a_forged_pass_at_import_is_no_pass(student_file, capsys):
    path = student_file("""
        import os
        print("col2im: passed (6 cases)", flush=True)
        os._exit(0)
    """)
    assert main(["check", "col2im", path]) == 3
    assert "\ncol2im: passed" not in "\n" + capsys.readouterr().out


def test_patching_the_grader_changes_nothing(student_file, capsys):
    path = student_file("""
        import numpy as np
        from minicnn.exercises import calling, grading, transfer

        grading.compare = lambda *args: None  # every answer "right"
        grading.changed_argument = lambda *args: None
        calling.invoke = lambda fn, args, own_code=False: fn(*args)

        def col2im(cols, x_shape, kernel_size, stride, padding):
            return np.zeros(x_shape)
    """)
    assert main(["check", "col2im", path]) == 1
    assert "150 of 150 elements of gx differ" in capsys.readouterr().out


def test_what_the_file_prints_is_set_apart_and_escaped(student_file, capsys):
    path = student_file("""
        import sys
        print("loading")

        def sigmoid_backward(gy, y):
            print("col2im: passed\\x1b[1A")
            print("to stderr", file=sys.stderr)
            return gy * y * (1 - y)
    """)
    assert main(["check", "sigmoid_backward", path]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"output of {path}:"
    assert lines[1:3] == ["    loading", "    col2im: passed\\x1b[1A"]
    assert all(line.startswith("    ") for line in lines[1:-1])
    assert lines[-1] == "sigmoid_backward: passed (3 cases)"


def test_a_flood_of_output_is_cut(student_file, capsys):
    path = student_file("""
        def sigmoid_backward(gy, y):
            print("x" * 100_000)
            return gy * y * (1 - y)
    """)
    assert main(["check", "sigmoid_backward", path]) == 0
    out = capsys.readouterr().out
    assert len(out) < 50_000 and "more bytes of output, not shown" in out


def test_a_terminated_grader_kills_the_submission(student_file, tmp_path):
    """SIGTERM (or Ctrl-C) to the grader: status 130, and the child, which ignores SIGTERM, is gone."""
    pid_file = tmp_path / "pid"
    path = student_file(f"""
        import os, signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        open({str(pid_file)!r}, "w").write(str(os.getpid()))

        def sigmoid_backward(gy, y):
            while True:
                try:
                    time.sleep(0.1)
                except:  # noqa: E722
                    pass
    """)
    grader = subprocess.Popen(
        [sys.executable, "-m", "minicnn", "check", "sigmoid_backward", path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not pid_file.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    grader.send_signal(signal.SIGTERM)
    out, err = grader.communicate(timeout=60)
    assert grader.returncode == 130 and err == "python -m minicnn check: interrupted\n"
    child = int(pid_file.read_text())
    assert _gone(child)


def test_a_child_that_has_not_started_is_not_blamed_on_the_file(monkeypatch, student_file, capsys):
    """Before the child says it begins loading, it is importing NumPy and minicnn: the message says so."""
    monkeypatch.setattr(grading, "CASE_SECONDS", 0.001)
    path = student_file("def sigmoid_backward(gy, y):\n    return gy * y * (1 - y)\n")
    assert main(["check", "sigmoid_backward", path]) == 3
    assert capsys.readouterr().out.startswith("the grader's child process did not start within 0.001 s")


def test_a_child_patched_to_answer_without_an_answer_is_no_pass(student_file, capsys):
    path = student_file("""
        from minicnn.exercises import transfer

        transfer.write = lambda path, value: None  # says "done", writes nothing

        def sigmoid_backward(gy, y):
            return gy * y * (1 - y)
    """)
    assert main(["check", "sigmoid_backward", path]) == 3
    assert capsys.readouterr().out.startswith(
        "sigmoid_backward: its answer on case 1 of 3 (gy (5,), y (5,)) could not be read: "
    )


# a file that catches the path of each case's arguments as the child reads them, and then
# puts something of its own at that name: the grader must write the next case's arguments
# neither through it nor into it
CAUGHT = """
    import os
    from minicnn.exercises import transfer

    _read = transfer.read

    def read(path, *rest, **named):
        value = _read(path, *rest, **named)
        os.remove(path)
        {plant}
        return value

    transfer.read = read

    def sigmoid_backward(gy, y):
        return gy * y * (1 - y)
"""


def test_a_link_put_in_the_graders_folder_is_not_written_through(student_file, tmp_path, capsys):
    victim = tmp_path / "victim.txt"
    victim.write_text("the grader's output, say (/proc/self/fd/1)")
    path = student_file(CAUGHT.replace("{plant}", f"os.symlink({str(victim)!r}, path)"))
    assert main(["check", "sigmoid_backward", path]) == 0
    assert capsys.readouterr().out == "sigmoid_backward: passed (3 cases)\n"
    assert victim.read_text() == "the grader's output, say (/proc/self/fd/1)"


def test_a_fifo_put_in_the_graders_folder_does_not_stop_it(student_file):
    path = student_file(CAUGHT.replace("{plant}", "os.mkfifo(path)"))
    done = subprocess.run(
        [sys.executable, "-m", "minicnn", "check", "sigmoid_backward", path],
        capture_output=True,
        text=True,
        timeout=90,  # NOTE: a grader that opened the FIFO to write would wait for a reader forever
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "sigmoid_backward: passed (3 cases)\n", "")


def test_an_answer_whose_name_is_a_link_is_not_read_through_it(student_file, tmp_path, capsys):
    """The child writes its answer elsewhere and links the answer's name to it: refused, not followed."""
    path = student_file("""
        import os
        from minicnn.exercises import transfer

        _write = transfer.write

        def write(path, value, *rest, **named):
            _write(path + ".real.npz", value)
            os.symlink(path + ".real.npz", path)

        transfer.write = write

        def sigmoid_backward(gy, y):
            return gy * y * (1 - y)
    """)
    assert main(["check", "sigmoid_backward", path]) == 3
    out = capsys.readouterr().out
    assert out.startswith("sigmoid_backward: its answer on case 1 of 3 (gy (5,), y (5,)) could not be read: ")
    assert "is a symbolic link, not a regular file" in out
