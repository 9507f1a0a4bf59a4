"""The documentation's formulas arrive typeset: no raw TeX on any page or in any notebook."""

import glob
import os
import re

import pytest
from docs_site import CODE, NOTEBOOKS, _article, _read, _tool


def test_conv_formulas_arrive_typeset(site):
    article = _article(_read(site, "ops/conv2d/index.html"))
    assert article.count("<math") >= 40
    assert article.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block"') >= 10
    text = CODE.sub("", article)
    for raw in ("\\(", "\\)", "\\[", "\\]", "\\frac", "\\sum"):
        assert raw not in text, f"raw TeX {raw!r} left on the conv page"


@pytest.mark.parametrize(
    "page", ["ops/batchnorm/index.html", "ops/optimizers/index.html", "course/prerequisites/index.html"]
)
def test_other_pages_have_no_raw_tex(site, page):
    text = CODE.sub("", _read(site, page))
    assert "<math" in text
    for raw in ("\\(", "\\[", "\\frac"):
        assert raw not in text, f"raw TeX {raw!r} left on {page}"


# TeX that reached a page unconverted: \sum, \frac, \[ (or \( in text), $$, or $...$ around a command
RAW_TEX = re.compile(r"\\(?:sum|frac)(?![A-Za-z])|\\\[|\\\(|\$\$|\$[^$<>\n]*\\[A-Za-z]+[^$<>\n]*\$")


# a notebook's copy-to-clipboard text: the cell's source, hidden, as it was typed
CLIPBOARD = re.compile(r'<div class="clipboard-copy-txt"[^>]*>.*?</div>', re.DOTALL)


def test_no_page_shows_raw_tex(site):
    offenders = []
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        page = os.path.relpath(path, site)
        text = CODE.sub("", CLIPBOARD.sub("", _article(_read(site, page))))
        for m in RAW_TEX.finditer(text):
            offenders.append(f"{page}: ...{text[max(0, m.start() - 40) : m.end() + 20]!r}")
    assert not offenders, "raw TeX on the site:\n" + "\n".join(offenders[:20])


def test_raw_tex_pattern():
    for raw in ("<p>[\n  \\mu = \\frac{p}{1-p}\n]</p>", "g = \\sum_j g_j", "\\[x\\]", "$$x$$", "$\\alpha_k$"):
        assert RAW_TEX.search(raw), raw
    for fine in ("costs $5 and $6", "<math><mi>x</mi></math>", "a \\ b"):
        assert not RAW_TEX.search(fine), fine


def test_notebook_math_is_typeset_and_its_scripts_stripped(site):
    article = _article(_read(site, f"notebooks/{NOTEBOOKS[0]}/index.html"))
    assert "<math" in article
    scripts = " ".join(re.findall(r"<script\b.*?</script>", article, re.DOTALL))
    assert "mathjax" not in scripts.lower() and "mermaid" not in scripts.lower()
    assert not re.search(r"<script\b[^>]*\bsrc=", article)


def test_no_notebook_leaves_dollar_math_raw(site):
    """Every markdown cell of every notebook, to its end: the course box in a first cell
    holds a </div> of its own, and the math after it is the cell's too."""
    cells = _tool("mathml", "tools/docs_hooks/mathml.py").markdown_cells
    for name in NOTEBOOKS:
        found = []
        cells(_article(_read(site, f"notebooks/{name}/index.html")), found.append)
        raw = [m for cell in found for m in re.findall(r"\$[^$\s][^$]*\$", CODE.sub("", cell))]
        assert not raw, f"{name}: raw $...$ math left: {raw[:3]}"


def test_a_markdown_cell_ends_at_its_own_closing_tag():
    cells = _tool("mathml", "tools/docs_hooks/mathml.py").markdown_cells
    html = (
        '<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown"><h1>T</h1>'
        '<div class="admonition"><p>box</p></div><p>after $x$</p></div><p>outside $y$</p>'
    )
    seen = []
    out = cells(html, lambda cell: seen.append(cell) or cell.replace("$", "@"))
    assert seen == ['<h1>T</h1><div class="admonition"><p>box</p></div><p>after $x$</p>']
    assert out.endswith("<p>after @x@</p></div><p>outside $y$</p>")


def test_an_underscore_in_text_math_shows_without_its_backslash(site):
    r"""\text{lr\_decay} is typeset as lr_decay, as TeX prints it, on every page."""
    offenders = []
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            offenders += [os.path.relpath(path, site) for m in re.findall(r"<mtext>[^<]*\\_", f.read())]
    assert not offenders, f"a backslash before an underscore in math text: {sorted(set(offenders))}"
    assert "<mtext>lr_decay</mtext>" in _read(site, "ops/optimizers/index.html")


def test_no_operator_name_is_lost(site):
    r"""latex2mathml turns \operatorname{relu6} (a name holding a digit) into an empty <mo /> and
    italic letters; such a name is written \mathrm{relu6} instead."""
    offenders = []
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            if "<mo />" in f.read():
                offenders.append(os.path.relpath(path, site))
    assert not offenders, f"an operator name typeset as nothing: {offenders}"


def test_formulas_are_drawn_in_a_math_font(site):
    """MathML is drawn in a font with an OpenType MATH table, found on the reader's machine:
    without one a sum stays small and a floor bracket shorter than the fraction it holds."""
    css = _read(site, "stylesheets/extra.css")
    rule = re.search(r"\.md-typeset math\s*\{\s*font-family:([^;}]*);", css)
    assert rule, "extra.css names no font for math"
    fonts = [f.strip().strip('"') for f in rule.group(1).split(",")]
    assert {"STIX Two Math", "Cambria Math", "DejaVu Math TeX Gyre"} <= set(fonts), fonts
    assert fonts[-1] == "math" and not re.search(r"url\(|@import", css)
