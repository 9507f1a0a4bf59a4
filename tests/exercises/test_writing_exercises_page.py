"""docs/writing-exercises.md cannot go stale: its my_course.py is run here as written, its checks
print what the page shows, its commands grade, and its error lines are the command's own."""

import dataclasses
import os
import pathlib
import re
import shlex
import subprocess
import sys

import pytest

from minicnn import exercises
from minicnn.__main__ import main

pytestmark = pytest.mark.usefixtures("kept_registry")

ROOT = pathlib.Path(__file__).resolve().parents[2]
PAGE = (ROOT / "docs" / "writing-exercises.md").read_text(encoding="utf-8")
# every fenced block of the page: (its language, its text); a title="..." after the language dropped
BLOCKS = re.findall(r"^``` ?(\w*)[^\n]*\n(.*?)^```$", PAGE, re.DOTALL | re.MULTILINE)
RIGHT = (
    "import numpy as np\n\n\ndef gap_backward(gy, x_shape):\n    N, C, H, W = x_shape\n"
    "    return np.broadcast_to(gy[:, :, None, None] / (H * W), x_shape).copy()\n"
)


def _block(holding, language="python"):
    """The page's block of that language that holds ``holding``, and the block after it."""
    for i, (lang, text) in enumerate(BLOCKS):
        if lang == language and holding in text:
            return text, (BLOCKS[i + 1][1] if i + 1 < len(BLOCKS) else "")
    raise AssertionError(f"docs/writing-exercises.md has no {language} block holding {holding!r}")


COURSE, _ = _block("exercises.register(GAP_BACKWARD)")


@pytest.fixture
def folder(tmp_path, monkeypatch):
    """A folder holding the page's my_course.py, as the current one and first on the path."""
    (tmp_path / "my_course.py").write_text(COURSE)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    sys.modules.pop("my_course", None)
    yield tmp_path
    sys.modules.pop("my_course", None)


def test_the_pages_checks_print_what_the_page_shows(folder, capsys):
    checks, shown = _block('exercises.check("gap_backward", gap_backward)')
    space: dict = {}
    exec(compile(checks, "checks.py", "exec"), space)
    assert capsys.readouterr().out == shown
    mistake, shown = _block('exercises.check("gap_backward", my_course.not_divided)')
    exec(compile(mistake, "mistake.py", "exec"), space)
    assert capsys.readouterr().out == shown and shown.startswith("gap_backward failed on case 1")


def test_the_pages_commands_grade_a_right_answer(folder, capsys):
    (folder / "gap.py").write_text(RIGHT)
    (folder / "submissions").mkdir()
    (folder / "submissions" / "20231234.py").write_text(RIGHT)
    commands = [
        shlex.split(command)
        for lang, text in BLOCKS
        if lang == "bash"
        for command in text.replace("\\\n", " ").splitlines()
        if command.startswith("python -m minicnn check --exercises")
    ]
    assert len(commands) >= 6
    for argv in commands:
        assert main(argv[3:]) == 0, argv
    out = capsys.readouterr().out
    assert "gap_backward: passed (4 cases)\n" in out and "gap_backward: passed (4 cases, seed 7)" in out
    assert '"exercise": "gap_backward", "file": "submissions/20231234.py", "seed": 90417020231234' in out


def test_the_pages_stub_is_what_the_grader_calls_not_implemented_yet(folder, capsys):
    command, _ = _block("stub_source('gap_backward')", "bash")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    subprocess.run(["bash", "-c", command], cwd=folder, env=env, check=True, timeout=120)
    stub = (folder / "gap.py").read_text()
    assert stub.startswith("import numpy as np\n\n\ndef gap_backward(gy, x_shape):")
    assert main(["check", "--exercises", "my_course.py", "gap_backward", "gap.py"]) == 1
    assert capsys.readouterr().out.startswith("gap_backward: not implemented yet")


def test_the_pages_error_lines_are_the_commands(folder, capsys):
    """my_course.py without its doc, without its last line, with the name col2im, as the page says."""
    said = "python -m minicnn check: error: --exercises"
    shown = [line for line in PAGE.splitlines() if line.startswith(said)]
    variants = [
        re.sub(r'    doc=""".*?""",\n', "", COURSE, flags=re.DOTALL),
        COURSE.replace("exercises.register(GAP_BACKWARD)\n", ""),
        COURSE.replace('name="gap_backward"', 'name="col2im"'),
    ]
    assert len(shown) == len(variants) and all(v != COURSE for v in variants)
    (folder / "gap.py").write_text(RIGHT)
    for variant, line in zip(variants, shown):
        (folder / "my_course.py").write_text(variant)
        assert main(["check", "--exercises", "my_course.py", "gap_backward", "gap.py"]) == 2
        assert capsys.readouterr() == ("", line + "\n")


def test_the_pages_refusal_by_register_is_registers(folder):
    (line,) = [line for line in PAGE.splitlines() if line.startswith("ValueError: exercises.register:")]
    broken = COURSE.replace("Case(3, dict(N=3, C=2, H=5, W=3))", "Case(3, dict(N=3, C=2, H=5, Q=3))")
    assert broken != COURSE
    with pytest.raises(ValueError) as refused:
        exec(compile(broken, "my_course.py", "exec"), {"__name__": "my_course"})
    assert f"ValueError: {refused.value}" == line


def test_the_page_describes_every_field_of_an_exercise():
    table = PAGE[PAGE.index("## The fields of an `Exercise`") :]
    for field in dataclasses.fields(exercises.Exercise):
        assert f"| `{field.name}` |" in table, field.name


def test_the_page_is_in_the_nav_beside_exercises_and_linked_from_it():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    assert "- Exercises: exercises.md\n      - Writing an exercise: writing-exercises.md\n" in nav
    assert "(writing-exercises.md)" in (ROOT / "docs" / "exercises.md").read_text(encoding="utf-8")
