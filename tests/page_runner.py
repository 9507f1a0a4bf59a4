"""The runner of the documentation's examples: each one a reader copies runs and prints what the
page says.

Each page (README.md and docs/**/*.md) is run as a reader follows it: its ```python blocks in
order, in one namespace, in a fresh Python of its own whose working folder is an empty temporary
one; and its shell blocks that run ``python -m minicnn`` or ``python -c``, in that folder too.
What a block shows it prints is compared with what it prints:

- ``>>>`` lines (a doctest: ``...`` stands for any text, runs of spaces for any spaces);
- a comment ``# -> text`` ending a statement: what a ``print(...)`` printed, or the repr of a
  bare expression's value;
- a text block right after the code block (nothing but blank lines between): all its output.

A block saved as a file the page goes on to use has a title, ```python title="my_course.py"```
(shown above the block), and is written to that file rather than run. Markers, an HTML comment
on the line before the block, which the site does not show:

- ``<!-- not run: why -->`` for a block CI cannot run (a GPU, mpirun, minutes of training);
- ``<!-- excerpt: path/to/file.py -->`` for lines quoted from the package's source, which must
  stand in that file, in that order.

Run as a script, ``python tests/page_runner.py PAGE OUT.json`` runs one page in the current
folder and writes what each block did to OUT.json; ``run_child`` does so in a fresh Python and
reads it back for the tests (tests/test_docs_examples.py).
"""

import ast
import contextlib
import doctest
import glob
import io
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import tokenize
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BLOCK_SECONDS = int(os.environ.get("DOCS_BLOCK_SECONDS", "60"))  # one block, at most
SHELLS = ("bash", "sh", "shell", "console")
TEXTS = ("text", "")
OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*)$")
MARKER = re.compile(r"^\s*<!--\s*(?P<kind>not run|excerpt)\b(?P<colon>:?)(?P<text>.*?)-->\s*$")
NEVER_RUN = re.compile(r"(^|[\s;&|(])(pip3?|sudo|docker|mpirun|mpiexec|conda|apt-get|git)\s")
ARROW = re.compile(r"#\s*->\s?(?P<text>.*)$")


def pages():
    found = ["README.md"] + sorted(glob.glob("docs/**/*.md", root_dir=ROOT, recursive=True))
    return [p.replace(os.sep, "/") for p in found]


def parse(page):
    """The fenced blocks of a page: dicts of line, lang, title, body, marker, after (the block it follows)."""
    with open(os.path.join(ROOT, page), encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, i = [], 0
    last_end = None  # the line where the previous block closed
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = m.group("indent"), m.group("fence"), m.group("info").strip()
        close = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        j, body = i + 1, []
        while j < len(lines) and not close.match(lines[j]):
            body.append(lines[j][len(indent) :] if lines[j].startswith(indent) else lines[j].lstrip())
            j += 1
        if info.startswith("{"):  # ``` {.text .wrap}
            classes = re.findall(r"\.([\w-]+)", info)
            lang = classes[0] if classes else ""
        else:
            lang = info.split()[0] if info else ""
        title = re.search(r'title="([^"]*)"', info)
        prev = lines[i - 1] if i else ""
        directly_after = last_end is not None and all(not s.strip() for s in lines[last_end + 1 : i])
        blocks.append(
            dict(
                line=i + 1,
                lang=lang.lower(),
                title=title.group(1) if title else None,
                body="\n".join(body) + "\n",
                marker=MARKER.match(prev).groupdict() if MARKER.match(prev) else None,
                after=len(blocks) - 1 if directly_after and blocks else None,
            )
        )
        last_end = j
        i = j + 1
    return blocks


def is_shell_to_run(block):
    return block["lang"] in SHELLS and re.search(r"(^|[\s;&|(])python3? +-[mc]\b", block["body"], re.M)


def runs(block):
    """Whether a block is run (or saved) when its page is: a Python block or a shell block of ours."""
    return block["lang"] in ("python", "py", "pycon") or bool(is_shell_to_run(block))


def output_block(blocks, k):
    """The text block that shows block k's output: the next block, if it directly follows k."""
    if k + 1 < len(blocks) and blocks[k + 1]["after"] == k and blocks[k + 1]["lang"] in TEXTS:
        return blocks[k + 1]
    return None


# --- the child: runs one page -------------------------------------------------------------------


class _Timeout(BaseException):  # past an `except Exception` in a block
    pass


def _alarm(signum, frame):
    raise _Timeout(f"ran past {BLOCK_SECONDS} s")


def _same(expected, got):
    checker = doctest.OutputChecker()
    want = "\n".join(line.rstrip() for line in expected.strip("\n").split("\n")) + "\n"
    have = "\n".join(line.rstrip() for line in got.strip("\n").split("\n")) + "\n"
    return checker.check_output(want, have, doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)


def _arrows(source):
    """{line: expected text} of the ``# -> text`` comments in Python source."""
    found = {}
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            m = ARROW.match(tok.string)
            if m:
                found[tok.start[0]] = m.group("text").strip()
    return found


def _run_python(body, namespace, name):
    """Run a block statement by statement; returns (stdout, [mismatches of # -> comments])."""
    tree = ast.parse(body, filename=name)
    arrows = _arrows(body)
    out, wrong = io.StringIO(), []
    for stmt in tree.body:
        expected = arrows.pop(stmt.end_lineno, None)
        if expected is None:
            code = compile(ast.Module([stmt], type_ignores=[]), name, "exec")
            with contextlib.redirect_stdout(out):
                exec(code, namespace)
            continue
        if not isinstance(stmt, ast.Expr):
            raise SyntaxError(
                f"{name}, line {stmt.lineno}: '# ->' follows an expression or a print(), not this"
            )
        printed = isinstance(stmt.value, ast.Call) and getattr(stmt.value.func, "id", None) == "print"
        one = io.StringIO()
        code = compile(ast.Expression(stmt.value), name, "eval")
        with contextlib.redirect_stdout(one):
            value = eval(code, namespace)
        # as at a prompt: a bare expression shows its value's repr, unless it is None
        got = one.getvalue() if printed or value is None else one.getvalue() + repr(value)
        out.write(one.getvalue())
        if not _same(expected, got):
            wrong.append(f"line {stmt.lineno}: the page says {expected!r}, it gives {got.strip()!r}")
    if arrows:
        wrong.append(f"'# ->' on line(s) {sorted(arrows)} ends no statement")
    return out.getvalue(), wrong


def _run_doctest(body, namespace, name):
    test = doctest.DocTestParser().get_doctest(body, namespace, name, name, 0)
    report = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=report.write, clear_globs=False)
    namespace.update(test.globs)  # the DocTest ran on a copy
    return "", [report.getvalue()] if runner.failures else []


# ``python`` in a shell block: this interpreter, each call's status and arguments noted
WRAPPER = '#!/bin/sh\n"{python}" "$@"\ns=$?\necho "$s $*" | head -n 1 >> "{statuses}"\nexit $s\n'


def _run_shell(body):
    """Run a shell block with bash; every ``python`` it starts is this interpreter, its status noted."""
    refused = NEVER_RUN.search(body)
    if refused:  # never installs or starts anything outside this folder, marker or not
        return "", [f"{refused.group(0).strip()!r} is never run: mark the block '<!-- not run: why -->'"]
    with tempfile.TemporaryDirectory() as bindir:
        for name in ("python", "python3"):
            with open(os.path.join(bindir, name), "w", encoding="utf-8") as f:
                f.write(WRAPPER.format(python=sys.executable, statuses=os.path.join(bindir, "statuses")))
            os.chmod(os.path.join(bindir, name), 0o755)
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
        done = subprocess.run(
            ["bash", "-c", body], env=env, capture_output=True, text=True, timeout=BLOCK_SECONDS, check=False
        )
        statuses = os.path.join(bindir, "statuses")
        ran = open(statuses, encoding="utf-8").read().splitlines() if os.path.exists(statuses) else []
    wrong = []
    for line in ran:
        status, command = line.split(" ", 1)
        # 1 is check's verdict on a function that fails (or a stub): an answer, not a misuse
        if int(status) not in (0, 1):
            wrong.append(f"python {command} exited with status {status}")
    if "Traceback (most recent call last)" in done.stderr:
        wrong.append("a traceback")
    if wrong:
        wrong.append(f"stderr: {done.stderr[-2000:]}")
    return done.stdout, wrong


def run_page(page):
    """Run one page's blocks in the current folder; a list of {line, status, detail, seconds}."""
    blocks = parse(page)
    namespace = {"__name__": "__main__"}
    sys.path[0] = os.getcwd()  # as for a script saved beside the page's files, not this file's folder
    signal.signal(signal.SIGALRM, _alarm)
    results = []
    for k, block in enumerate(blocks):
        if not runs(block) or block["marker"]:
            continue
        name = f"{page}:{block['line']}"
        start, wrong, out = time.perf_counter(), [], ""
        signal.alarm(BLOCK_SECONDS)
        try:
            if block["title"]:
                with open(block["title"], "w", encoding="utf-8") as f:
                    f.write(block["body"])
            elif block["lang"] in SHELLS:
                out, wrong = _run_shell(block["body"])
            elif block["body"].lstrip().startswith(">>>"):
                out, wrong = _run_doctest(block["body"], namespace, name)
            else:
                out, wrong = _run_python(block["body"], namespace, name)
        except BaseException:  # noqa: BLE001 - a block's failure is reported, whatever it is
            wrong = [traceback.format_exc(limit=-3)]
        finally:
            signal.alarm(0)
        shown = output_block(blocks, k)
        if not wrong and shown is not None and not _same(shown["body"], out):
            wrong = [f"the page shows (line {shown['line']}):\n{shown['body']}it prints:\n{out}"]
        results.append(
            dict(
                line=block["line"], ok=not wrong, detail="\n".join(wrong), seconds=time.perf_counter() - start
            )
        )
    return results


def run_child(page, folder):
    """Runs ``page`` in a fresh Python whose working folder is ``folder``; each block's result by its line."""
    out = os.path.join(folder, ".blocks.json")
    env = dict(os.environ, MPLBACKEND="Agg")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    done = subprocess.run(
        [sys.executable, os.path.abspath(__file__), page, out],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=20 * BLOCK_SECONDS,
        check=False,
    )
    assert done.returncode == 0, f"{page}: the runner failed\n{done.stderr[-3000:]}"
    with open(out, encoding="utf-8") as f:
        return {r["line"]: r for r in json.load(f)}


if __name__ == "__main__":
    os.environ.setdefault("MPLBACKEND", "Agg")
    results = run_page(sys.argv[1])
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(results, f)
