"""griffe extension: plain-text docstrings are made safe to render as Markdown.

minicnn's docstrings are written as plain text (read with ``help()`` and run by doctest), but
mkdocstrings renders them as Markdown, where ``>>>`` starts nested block quotes, ``*`` and ``_``
make italics, ``<grad L, v>`` is an HTML tag and example code runs together into prose. Before
griffe parses a docstring (Google style), its text is rewritten:

- a doctest run (``>>>`` and ``...`` lines with their output, up to a blank line) becomes a
  fenced ``pycon`` block;
- an indented block after a blank line, and a paragraph that is a few lines of Python (what an
  indented example becomes once a formatter dedents it), become fenced ``python`` blocks (a
  block that is not Python, a shell command, becomes a ``text`` block);
- lines indented under a line of prose (a small table, a formula laid out over lines) become a
  ``text`` block, so their line breaks and alignment survive;
- in the remaining text, outside code spans, the characters Markdown would act on are escaped:
  ``\\``, ``*``, ``_``, ``<``, ``&`` of an entity, and ``>``, ``#`` or a rule at a line's start.

Google-style sections (``Args:``, ``Returns:``, ...) are found as griffe finds them and keep
their layout: only the descriptions in them are escaped, never an item's name or type.

``PublicBases``: a class whose base is private (``_Numbered``, ``_GradMode``) is shown with that
base's own bases instead ("Bases: Module"), or with none: the reference lists no page for a
private class, so its name would say nothing.

Used from mkdocs.yml, under mkdocstrings' python handler options::

    extensions:
      - tools/docstring_markdown.py:MarkdownDocstrings
      - tools/docstring_markdown.py:PublicBases
"""

from __future__ import annotations

import ast
import re
import textwrap
from typing import Any

try:
    from griffe import Extension
except ImportError:  # the rewriting itself (markdown_safe) needs no griffe
    Extension = object

# griffe's test for a section or admonition title (griffe/_internal/docstrings/google.py)
_TITLE = re.compile(r"^(?P<type>[\w][\s\w-]*):(\s+(?P<title>[^\s].*))?\s*$", re.IGNORECASE)
_SECTIONS = {
    "args",
    "arguments",
    "params",
    "parameters",
    "keyword args",
    "keyword arguments",
    "other args",
    "other arguments",
    "other params",
    "other parameters",
    "type args",
    "type arguments",
    "type params",
    "type parameters",
    "raises",
    "exceptions",
    "returns",
    "yields",
    "receives",
    "examples",
    "attributes",
    "functions",
    "methods",
    "classes",
    "type aliases",
    "modules",
    "warns",
    "warnings",
}
# sections whose items are "name (type): description" or "type: description"
_ITEM_SECTIONS = _SECTIONS - {"examples"}
_LIST_ITEM = re.compile(r"^(\s*)([-+*]|\d+[.)])\s+")
_CODE_SPAN = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.DOTALL)
_ENTITY = re.compile(r"&(#\d+|#x[0-9a-fA-F]+|\w+);")
_RULE = re.compile(r"^(\s*)([-=_*])(\s*\2){1,}\s*$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank(line: str) -> bool:
    return not line.strip()


def _is_fence(line: str) -> bool:
    return line.lstrip(" ").startswith(("```", "~~~"))


def _is_doctest(line: str) -> bool:
    s = line.lstrip(" ")
    return s == ">>>" or s.startswith(">>> ")


def escape_text(text: str) -> str:
    """One line (or run) of prose with the characters Markdown would act on escaped; code spans
    (``x_y``, ``a * b``) are left as they are."""
    parts = _CODE_SPAN.split(text)
    # split keeps the groups: text, ticks, code, text, ticks, code, ...
    out = []
    for i in range(0, len(parts), 3):
        out.append(_escape_plain(parts[i]))
        if i + 2 < len(parts):
            ticks, code = parts[i + 1], parts[i + 2]
            out.append(ticks + code + ticks)
    return "".join(out)


def _escape_plain(s: str) -> str:
    s = s.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_")
    s = _ENTITY.sub(lambda m: "&amp;" + m.group(0)[1:], s)
    return s.replace("<", "&lt;")


def _escape_line(line: str) -> str:
    """A prose line: escaped, and kept from starting a quote, a heading or a rule."""
    if _RULE.match(line):
        n = _indent(line)
        return line[:n] + "\\" + line[n:].replace("_", "\\_").replace("*", "\\*")
    line = escape_text(line)
    n = _indent(line)
    if line[n:].startswith((">", "#")):
        line = line[:n] + "\\" + line[n:]
    return line


def _fence(lines: list[str], lang: str, at: int) -> list[str]:
    body = textwrap.dedent("\n".join(lines))
    if lang == "text":  # a plain-text block: its ``code`` needs no marks
        body = re.sub(r"``([^`]+)``", r"\1", body)
    body = body.split("\n")
    pad = " " * at
    return [pad + "```" + lang] + [pad + b if b.strip() else "" for b in body] + [pad + "```"]


def _python_lang(lines: list[str]) -> str:
    try:
        ast.parse(textwrap.dedent("\n".join(lines)))
    except SyntaxError:
        return "text"
    return "python"


def _is_code_paragraph(lines: list[str]) -> bool:
    """A paragraph that is Python statements, not prose: it parses, and it calls, assigns or
    imports something (a sentence never parses; a lone name or number is not an example)."""
    source = textwrap.dedent("\n".join(lines))
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    kinds = (
        ast.Call,
        ast.Assign,
        ast.AugAssign,
        ast.AnnAssign,
        ast.Import,
        ast.ImportFrom,
        ast.With,
        ast.For,
    )
    return bool(tree.body) and any(isinstance(node, kinds) for node in ast.walk(tree))


def _section_at(lines: list[str], i: int) -> str | None:
    """The lower-case title when line i opens a section or admonition as griffe reads one."""
    m = _TITLE.match(lines[i])
    if not m or ":" not in lines[i]:
        return None
    if i > 0 and not _blank(lines[i - 1]):
        return None
    below = [lines[j] for j in (i + 1, i + 2) if j < len(lines)]
    if not below or _blank(below[0]) or not below[0].startswith(" "):
        return None
    return m.group("type").lower()


def _section_block(lines: list[str], start: int, indent: int) -> int:
    """The end (exclusive) of the indented block under a title at ``indent``."""
    end = start
    j = start
    while j < len(lines):
        if _blank(lines[j]):
            j += 1
            continue
        if _indent(lines[j]) <= indent:
            break
        j += 1
        end = j
    return end


# sections whose items name parameters: "a, b: ..." describes both
_PARAMETER_SECTIONS = {k for k in _SECTIONS if k.split()[-1] in ("args", "arguments", "params", "parameters")}
_NAMES = re.compile(r"^\s*\w+(?:\s*,\s*\w+)+$")


def _one_name_per_item(block: list[str]) -> list[str]:
    """An item naming several parameters ("transform, target_transform: ...") as one item per
    name: griffe would take "transform, target_transform" for one name the signature lacks, and
    show it as required. The first name keeps the description; each other points to it, so that
    the table does not repeat one description row after row."""
    items = min((_indent(line) for line in block if not _blank(line)), default=0)
    out: list[str] = []
    i = 0
    while i < len(block):
        line = block[i]
        j = i + 1
        while j < len(block) and (_blank(block[j]) or _indent(block[j]) > items):
            j += 1
        head, sep, _ = line.partition(":")
        if sep and _indent(line) == items and _NAMES.match(head):
            first, *others = (name.strip() for name in head.split(","))
            out += [" " * items + first + line[len(head) :]] + block[i + 1 : j]
            out += [" " * items + f"{name}: as for ``{first}``." for name in others]
        else:
            out += block[i:j]
        i = j
    return out


def _escape_section(kind: str, block: list[str]) -> list[str]:
    if kind == "examples":  # griffe reads >>> runs there itself
        return [line if _is_doctest(line) or _blank(line) else _escape_line(line) for line in block]
    if kind in _PARAMETER_SECTIONS:
        block = _one_name_per_item(block)
    items = min((_indent(line) for line in block if not _blank(line)), default=0)
    out = []
    for line in block:
        if _blank(line):
            out.append(line)
        elif _indent(line) == items and kind in _ITEM_SECTIONS and ":" in line:
            head, sep, desc = line.partition(":")
            out.append(head + sep + escape_text(desc))
        else:
            out.append(_escape_line(line))
    return out


def markdown_safe(text: str) -> str:
    """A plain-text docstring as Markdown that shows the same text (see the module docstring)."""
    lines = text.split("\n")
    out: list[str] = []
    ctx = 0  # where the current paragraph's (or list item's) text starts
    i, n = 0, len(lines)

    def open_block():
        if out and not _blank(out[-1]):
            out.append("")

    def close_block(j):
        if j < n and not _blank(lines[j]):
            out.append("")

    while i < n:
        line = lines[i]
        prev_blank = i == 0 or _blank(lines[i - 1])
        if _blank(line):
            out.append(line)
            i += 1
            continue
        ind = _indent(line)
        if _is_fence(line):  # already Markdown: copied as it is
            marker = line.lstrip(" ")[:3]
            j = i + 1
            while j < n and not lines[j].lstrip(" ").startswith(marker):
                j += 1
            out.extend(lines[i : j + 1])
            i = j + 1
            continue
        kind = _section_at(lines, i)
        if kind is not None:
            end = _section_block(lines, i + 1, ind)
            out.append(line)
            out.extend(_escape_section(kind, lines[i + 1 : end]))
            i = end
            continue
        if ind >= ctx + 4 and prev_blank:  # an indented code block
            j, end = i, i
            while j < n and (_blank(lines[j]) or _indent(lines[j]) >= ctx + 4):
                if not _blank(lines[j]):
                    end = j + 1
                j += 1
            block = lines[i:end]
            lang = "pycon" if _is_doctest(block[0]) else _python_lang(block)
            out.extend(_fence(block, lang, ctx))
            close_block(end)
            i = end
            continue
        if _is_doctest(line):  # a doctest run: its examples and their output, to a blank line
            j = i
            while j < n and not _blank(lines[j]):
                j += 1
            open_block()
            out.extend(_fence(lines[i:j], "pycon", ind))
            close_block(j)
            i = j
            continue
        if ind > ctx and not prev_blank and not _LIST_ITEM.match(line):
            # lines indented under a line of prose: a table or a formula, kept line by line
            j = i
            while j < n and not _blank(lines[j]) and _indent(lines[j]) > ctx:
                j += 1
            title = _TITLE.match(out[-1].strip()) if out else None
            if title and title.group("title") is None:
                # a bare "Shapes:" over its lines: a title, as mkdocstrings shows "Parameters:"
                out[-1] = (
                    f'{out[-1][: _indent(out[-1])]}<span class="doc-section-title">{out[-1].strip()}</span>'
                )
            open_block()
            out.extend(_fence(lines[i:j], "text", ctx))
            close_block(j)
            i = j
            continue
        if prev_blank:
            j = i
            while j < n and not _blank(lines[j]) and _indent(lines[j]) == ind:
                j += 1
            if (j == n or _blank(lines[j])) and i > 0 and _is_code_paragraph(lines[i:j]):
                out.extend(_fence(lines[i:j], "python", ind))
                i = j
                continue
        item = _LIST_ITEM.match(line)
        if item:
            ctx = len(item.group(0))
        elif prev_blank or ind < ctx:
            ctx = ind
        out.append(_escape_line(line))
        i += 1
    return "\n".join(out)


class MarkdownDocstrings(Extension):
    """Rewrites every docstring with ``markdown_safe`` as griffe loads it."""

    def on_instance(self, *, obj: Any, **kwargs: Any) -> None:
        docstring = getattr(obj, "docstring", None)
        if docstring is None or obj.extra.get("docstring_markdown", {}).get("done"):
            return
        docstring.value = markdown_safe(docstring.value)
        obj.extra["docstring_markdown"]["done"] = True


def _private(path: str) -> bool:
    return path.rpartition(".")[2].startswith("_")


class PublicBases(Extension):
    """Replaces each private base of a class by that base's own bases, recursively."""

    def on_package(self, *, pkg: Any, loader: Any, **kwargs: Any) -> None:
        collection = loader.modules_collection

        def public(bases, seen):
            out = []
            for base in bases:
                path = getattr(base, "canonical_path", str(base))
                if not _private(path) or path in seen:
                    out.append(base)
                    continue
                try:
                    target = collection[path]
                except KeyError:  # not loaded (another package): kept as it is
                    out.append(base)
                    continue
                if getattr(target, "is_class", False):
                    out.extend(public(target.bases, seen | {path}))
            return out

        def walk(obj, seen_objs):
            if obj.path in seen_objs:
                return
            seen_objs.add(obj.path)
            if obj.is_class and any(_private(getattr(b, "canonical_path", str(b))) for b in obj.bases):
                bases = public(obj.bases, frozenset())
                obj.bases = list({str(b): b for b in bases}.values())
            for member in obj.members.values():
                if not member.is_alias:
                    walk(member, seen_objs)

        walk(pkg, set())
