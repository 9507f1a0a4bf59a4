"""mkdocs hook: the API reference's tables show no column that is empty in every row.

mkdocstrings' table style always has a Type column; a class whose ``__init__`` has no
annotations (most layers: their arguments' types are in the docstring) would show it empty
on every row. Such a column is dropped from that table. A table whose rows cannot be read
as one cell per heading is left as it is.
"""

import re

_TABLE = re.compile(r"<table>\s*<thead>(.*?)</thead>\s*<tbody>(.*?)</tbody>\s*</table>", re.DOTALL)
_TH = re.compile(r"<th>.*?</th>", re.DOTALL)
_ROW = re.compile(r'(<tr class="doc-section-item">)(.*?)(</tr>)', re.DOTALL)
_TD = re.compile(r"\s*<td>.*?</td>", re.DOTALL)
_DROPPABLE = ("Type", "TYPE")


def _cell_text(cell):
    return re.sub(r"<[^>]+>|\s", "", cell)


def drop_empty_columns(table):
    """A table of mkdocstrings' with its always-empty Type column removed."""
    m = _TABLE.fullmatch(table.strip())
    if not m or 'class="doc-section-item"' not in m.group(2):
        return table
    heads = _TH.findall(m.group(1))
    rows = _ROW.findall(m.group(2))
    cells = [_TD.findall(body) for _, body, _ in rows]
    if not rows or any(len(c) != len(heads) for c in cells):
        return table
    drop = {
        i
        for i, h in enumerate(heads)
        if _cell_text(h) in _DROPPABLE and all(not _cell_text(c[i]) for c in cells)
    }
    if not drop:
        return table
    thead = m.group(1)
    for i in sorted(drop, reverse=True):
        thead = thead.replace(heads[i], "", 1)
    body = "".join(
        f'\n<tr class="doc-section-item">{"".join(c for i, c in enumerate(row) if i not in drop)}\n</tr>'
        for row in cells
    )
    return f"<table>\n<thead>{thead}</thead>\n<tbody>{body}\n</tbody>\n</table>"


def on_page_content(content, page, config, files):
    if "doc-section-item" not in content:
        return content
    return _TABLE.sub(lambda m: drop_empty_columns(m.group(0)), content)
