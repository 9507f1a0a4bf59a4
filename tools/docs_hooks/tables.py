"""mkdocs hook: a path in a table's code breaks after a slash, never inside a name.

mkdocs-material lets inline code break anywhere, so a narrow table column cut a file name
in two (``minicnn/functional/activat`` / ``ion.py``) and a tier's name at its quote. The
site's stylesheet keeps the code of a table cell whole (docs/stylesheets/extra.css); this
hook gives each path in it a place to break after each slash (``<wbr>``), so that a long
path still fits a narrow column.
"""

import re

_CELL = re.compile(r"(<td\b[^>]*>)(.*?)(</td>)", re.DOTALL)
_CODE = re.compile(r"(<code\b[^>]*>)(.*?)(</code>)", re.DOTALL)
_TAG = re.compile(r"(<[^>]+>)")


def _break_after_slashes(code):
    """The text of a code element with <wbr> after each slash; its tags left as they are."""
    return "".join(part if part.startswith("<") else part.replace("/", "/<wbr>") for part in _TAG.split(code))


def break_paths(html):
    """Every table cell's code with a break opportunity after each slash."""

    def cell(m):
        body = _CODE.sub(lambda c: c.group(1) + _break_after_slashes(c.group(2)) + c.group(3), m.group(2))
        return m.group(1) + body + m.group(3)

    return _CELL.sub(cell, html)


def on_page_content(content, page, config, files):
    return break_paths(content) if "<td" in content else content
