"""mkdocs hook: TeX becomes MathML at build time, so no page needs a script (or a network) to show it.

- Markdown pages: pymdownx.arithmatex (generic mode) wraps each formula as
  ``<span class="arithmatex">\\(...\\)</span>`` or ``<div class="arithmatex">\\[...\\]</div>``;
  the TeX inside is replaced with the MathML that latex2mathml makes from it.
- Notebook pages: nbconvert leaves ``$...$`` and ``$$...$$`` untouched in markdown cells;
  those are converted the same way (code spans and blocks are left alone).

A display formula written as its own lines inside a paragraph (``text\n\\[\n...\n\\]\ntext``) is
given blank lines around it first: arithmatex reads ``\\[...\\]`` only as a block of its own,
and would otherwise leave the brackets as escaped text.

A formula latex2mathml cannot read is a build warning naming the page, so ``mkdocs build
--strict`` fails on it rather than shipping raw TeX.
"""

import html
import logging
import re

from latex2mathml.converter import convert

log = logging.getLogger("mkdocs.hooks.mathml")

_ARITHMATEX = re.compile(r'<(span|div) class="arithmatex">(.*?)</\1>', re.DOTALL)
_MD_CELL = re.compile(r'<div class="[^"]*jp-RenderedMarkdown[^"]*"[^>]*>')
_DIV = re.compile(r"<div\b[^>]*>|</div\s*>", re.IGNORECASE)
_CODE = re.compile(r"(<pre.*?</pre>|<code.*?</code>)", re.DOTALL)
_NB_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$\n]+?)\$|\\\[(.+?)\\\]|\\\((.+?)\\\)", re.DOTALL)


# latex2mathml writes \mathrel{+=} as <mo><mrow><mo>+</mo><mo>=</mo></mrow></mo>, an <mo> that
# browsers do not draw; a group of operators becomes one <mo> (one relation, spaced as one)
_MO_GROUP = re.compile(r"<mo><mrow>((?:<mo>[^<]*</mo>)+)</mrow></mo>")


# latex2mathml writes \infty as an <mo>, which browsers space as an unknown operator ("- oo"); TeX
# sets it as an ordinary symbol
_INFINITY = re.compile(r"<mo>&#x0221E;</mo>")
# a minus right after an operator that is no closing bracket, as in (-1, 1) or a = -b, is a sign:
# inside one <mrow> the browser would space it as subtraction ("( - 1, 1)") unless marked prefix
_CLOSING = r"\)|\]|\}|\||&#x00029;|&#x0005D;|&#x0007D;|&#x0007C;|&#x02016;|&#x0230B;|&#x02309;"
_SIGN = re.compile(rf"(<mo\b[^>]*>(?!(?:{_CLOSING})</mo>)[^<]*</mo>)<mo>&#x02212;</mo>")


# latex2mathml writes \max, \min and \operatorname{name} as an <mo>, which browsers space as an
# unknown operator (a wide gap each side: "y =  max (x, 0)"), and \sin, \log, \tanh as an <mi>
# with nothing after it ("sinx", "logσ(x)"). TeX sets both as a function name: a thin space
# between it and an operand beside it, none before a bracket. A name that carries limits
# (\max_k, the base of an <msub> or <munder>) stays an <mo>, as does \bmod's infix "mod".
_NAME_MO = re.compile(
    r"(?<!<msub>)(?<!<msup>)(?<!<msubsup>)(?<!<munder>)(?<!<munderover>)<mo>(?!mod<)([A-Za-z]{2,})</mo>"
)
_NAME = re.compile(r"<mi>[A-Za-z]{2,}</mi>")
# what a thin space goes between: an operand (or a closing bracket) before the name, an operand
# after it; an <mo> after it (a bracket, a comma, a relation) spaces itself
_OPERAND_END = re.compile(
    r"(?:</mi>|</mn>|</msub>|</msup>|</msubsup>|</mover>|</mfrac>|</mstyle>|"
    r"<mo stretchy=\"false\">(?:&#x00029;|&#x0005D;)</mo>)$"
)
_THIN = '<mspace width="0.167em" />'
# an absolute value's opening bar (marked by _fence_bars) begins an operand: TeX's | is ordinary
_OPENING_BAR = re.compile(r'<mo\b[^>]*fence="true" form="prefix">(?:&#x0007C;|\||&#x02016;|\u2016)<')


def _space_names(mathml):
    mathml = _NAME_MO.sub(r"<mi>\1</mi>", mathml)
    out, at = [], 0
    for m in _NAME.finditer(mathml):
        before = mathml[at : m.start()]
        out.append(before)
        if _OPERAND_END.search(before or "".join(out[-2:])):
            out.append(_THIN)
        out.append(m.group(0))
        after = mathml[m.end() :]
        if after.startswith("<") and (
            not after.startswith(("<mo", "</", "<mspace")) or _OPENING_BAR.match(after)
        ):
            out.append(_THIN)
        at = m.end()
    out.append(mathml[at:])
    return "".join(out)


# latex2mathml writes each | and \| as an <mo> the browser spaces by its place in the row: a bar
# after an operand is infix, with a wide gap each side ("λ | w |  + 1"). TeX sets |w| with the bars
# against their contents, so each pair of bars of one kind in one row becomes an opening and a
# closing fence, which the browser does not space. A bar may be the base of a script (|d|^3); a row
# with an odd count of one kind of bar (a conditional, p(a | b)) is left as it is.
_TOKEN = re.compile(r"<[^>]+>|[^<]+")
_FENCE_ATTRS = re.compile(r'\s(?:fence|form)="[^"]*"')
_BAR_TEXT = ("&#x0007C;", "|", "&#x02016;", "\u2016")
_SCRIPT = ("msub", "msup", "msubsup")


def _is_bar(tokens, i):
    return tokens[i].startswith("<mo") and tokens[i + 1 : i + 3] in ([t, "</mo>"] for t in _BAR_TEXT)


def _fenced(tag, form):
    return f'<mo{_FENCE_ATTRS.sub("", tag[3:-1])} fence="true" form="{form}">'


def _pair_bars(tokens, bars):
    """The bars of one row, by kind (their tag and character), marked as fences in pairs."""
    for found in bars.values():
        if len(found) % 2:
            continue
        for opener, closer in zip(found[::2], found[1::2]):
            tokens[opener] = _fenced(tokens[opener], "prefix")
            tokens[closer] = _fenced(tokens[closer], "postfix")
            if tokens[opener + 3 : opener + 5] == ["<mo>", "&#x02212;"]:  # |-x|: a sign
                tokens[opener + 3] = '<mo form="prefix">'


def _fence_bars(mathml):
    tokens = _TOKEN.findall(mathml)
    stack = [{"tag": "", "children": 0, "bars": {}}]  # each open element: its name, children, bars
    for i, tok in enumerate(tokens):
        if tok.startswith("</"):
            _pair_bars(tokens, stack.pop()["bars"])
        elif tok.startswith("<"):
            parent = stack[-1]
            parent["children"] += 1
            if _is_bar(tokens, i):
                # the base of a script belongs to the script's row
                row = stack[-2] if parent["tag"] in _SCRIPT and parent["children"] == 1 else parent
                row["bars"].setdefault((_FENCE_ATTRS.sub("", tok), tokens[i + 1]), []).append(i)
            if not tok.endswith("/>"):
                stack.append({"tag": tok[1:-1].split()[0], "children": 0, "bars": {}})
    return "".join(tokens)


# A big operator with limits (\max_k, \sum_{i=1}^n: an <mo> at the base of a script) is spaced by
# the browser as an unknown operator, or not at all, by version. TeX sets a thin space between it
# and an operand on either side, none before a bracket or a relation: its own spacing is made none
# and the thin spaces are written out.
_LIMITS = re.compile(r"<(?:msub|munder|msubsup|munderover)><mo>(?:[A-Za-z]{2,}|&#x02211;|&#x0220F;)</mo>")
_OPERAND_START = re.compile(r"<m(?!o\b|space\b)")


def _element_end(tokens, i):
    """The index of the tag that closes the element opened at tokens[i]."""
    depth = 0
    for j in range(i, len(tokens)):
        if tokens[j].startswith("</"):
            depth -= 1
        elif tokens[j].startswith("<") and not tokens[j].endswith("/>"):
            depth += 1
        if depth == 0:
            return j
    return len(tokens) - 1


def _space_limits(mathml):
    tokens = _TOKEN.findall(mathml)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        if not _LIMITS.match("".join(tokens[i : i + 4])):
            out.append(tokens[i])
            i += 1
            continue
        if _OPERAND_END.search("".join(out[-3:])):
            out.append(_THIN)
        end = _element_end(tokens, i)
        out += [tokens[i], '<mo lspace="0" rspace="0">', *tokens[i + 2 : end + 1]]
        if end + 1 < len(tokens) and (
            _OPERAND_START.match(tokens[end + 1]) or _OPENING_BAR.match("".join(tokens[end + 1 : end + 4]))
        ):
            out.append(_THIN)
        i = end + 1
    return "".join(out)


def _tidy(mathml):
    mathml = _MO_GROUP.sub(lambda m: "<mo>" + re.sub(r"</?mo>", "", m.group(1)) + "</mo>", mathml)
    mathml = _INFINITY.sub("<mi>&#x0221E;</mi>", mathml)
    mathml = _SIGN.sub(r'\1<mo form="prefix">&#x02212;</mo>', mathml)
    return _space_limits(_space_names(_fence_bars(mathml)))


# latex2mathml keeps the backslash of \_ inside \text{...} (\text{lr\_decay} showed "lr\_decay"),
# where TeX prints the underscore alone
_TEXT = re.compile(r"\\text\{[^{}]*\}")


def _mathml(tex, display, page):
    tex = _TEXT.sub(lambda m: m.group(0).replace("\\_", "_"), tex)
    try:
        return _tidy(convert(tex.strip(), display="block" if display else "inline"))
    except Exception as e:  # noqa: BLE001 (latex2mathml raises several types; any is a build problem)
        log.warning(f"mathml hook: {page.file.src_uri}: cannot convert {tex!r}: {e}")
        return html.escape(tex)


def _arithmatex(m, page):
    tag, body = m.group(1), html.unescape(m.group(2)).strip()
    display = body.startswith("\\[")
    if body[:2] not in ("\\(", "\\[") or body[-2:] not in ("\\)", "\\]"):
        log.warning(f"mathml hook: {page.file.src_uri}: unexpected arithmatex body {body[:40]!r}")
        return m.group(0)
    return f'<{tag} class="arithmatex">{_mathml(body[2:-2], display, page)}</{tag}>'


def _notebook_math(segment, page):
    def one(m):
        block, inline = m.group(1) or m.group(3), m.group(2) or m.group(4)
        tex = html.unescape(block if block is not None else inline)
        if block is not None:
            # a span: the formula may sit inside a <p>, and <math display="block"> breaks the line
            return f'<span class="arithmatex">{_mathml(tex, True, page)}</span>'
        return f'<span class="arithmatex">{_mathml(tex, False, page)}</span>'

    parts = _CODE.split(segment)
    return "".join(p if i % 2 else _NB_MATH.sub(one, p) for i, p in enumerate(parts))


def markdown_cells(content, convert):
    """``content`` with ``convert`` applied to the inside of each rendered markdown cell (a
    ``convert`` that returns None leaves the cell as it is).

    A cell ends at the ``</div>`` that balances its opening tag, not at the first one: a cell
    may hold divs of its own (the course header box, an admonition), and the math after them
    belongs to the cell too.
    """
    out, at = [], 0
    for m in _MD_CELL.finditer(content):
        if m.start() < at:  # a cell inside a cell already converted
            continue
        depth, end = 1, len(content)
        for tag in _DIV.finditer(content, m.end()):
            depth += -1 if tag.group(0).startswith("</") else 1
            if depth == 0:
                end = tag.start()
                break
        out.append(content[at : m.end()])
        cell = content[m.end() : end]
        converted = convert(cell)
        out.append(cell if converted is None else converted)
        at = end
    out.append(content[at:])
    return "".join(out)


def _fence(line):
    stripped = line.lstrip()
    return stripped.startswith(("```", "~~~"))


def on_page_markdown(markdown, page, config, files):
    lines, out, in_code, i = markdown.split("\n"), [], False, 0
    while i < len(lines):
        line = lines[i]
        if _fence(line):
            in_code = not in_code
        if in_code or not line.strip().startswith("\\["):
            out.append(line)
            i += 1
            continue
        end = i
        while end < len(lines) - 1 and not lines[end].rstrip().endswith("\\]"):
            end += 1
        if out and out[-1].strip():
            out.append("")
        out.extend(lines[i : end + 1])
        if end + 1 < len(lines) and lines[end + 1].strip():
            out.append("")
        i = end + 1
    return "\n".join(out)


def on_page_content(content, page, config, files):
    content = _ARITHMATEX.sub(lambda m: _arithmatex(m, page), content)
    if page.file.src_uri.endswith(".ipynb"):
        content = markdown_cells(content, lambda cell: _notebook_math(cell, page))
    return content
