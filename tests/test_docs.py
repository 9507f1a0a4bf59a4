"""The documentation site builds in strict mode, works with no network, and holds the course.

One build (strict: every link, every API page, every formula; conftest.py's ``site``) feeds all
the checks below.
"""

import glob
import html
import os
import re
from html.parser import HTMLParser

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = (
    "index.html",
    "install/index.html",
    "tutorial/index.html",
    "engine/index.html",
    "reading/index.html",
    "ops/conv2d/index.html",
    "ops/pooling/index.html",
    "ops/batchnorm/index.html",
    "ops/slicing/index.html",
    "ops/reductions/index.html",
    "ops/reshape/index.html",
    "ops/optimizers/index.html",
    "ops/init/index.html",
    "models/resnet/index.html",
    "performance/index.html",
    "api/tensor/index.html",
    "api/minicnn/index.html",
    "course/index.html",
    "course/prerequisites/index.html",
    "exercises/index.html",
    "writing-exercises/index.html",
    "grading/index.html",
    "glossary/index.html",
)
NOTEBOOKS = sorted(
    os.path.splitext(os.path.basename(p))[0]
    for p in glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.ipynb"))
)

# A resource fetched from another host: a script or stylesheet link, a CSS import or url().
EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)
CODE = re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


def _read(site, page):
    with open(os.path.join(site, page), encoding="utf-8") as f:
        return f.read()


def _article(html):
    """The page's own content (mkdocs-material's <article>), without the nav and TOC."""
    start = html.find("<article")
    return html[start : html.find("</article>", start)]


@pytest.mark.parametrize("page", PAGES)
def test_page_is_built(site, page):
    assert os.path.isfile(os.path.join(site, page)), f"{page} missing from the built site"


def test_api_pages_hold_docstrings(site):
    assert 'id="minicnn.tensor.Tensor"' in _read(site, "api/tensor/index.html")
    assert "col2im" in _read(site, "ops/conv2d/index.html")


def test_nothing_is_loaded_from_another_host(site):
    offenders = []
    for path in glob.glob(os.path.join(site, "**", "*"), recursive=True):
        if path.endswith((".html", ".css", ".js")):
            with open(path, encoding="utf-8", errors="replace") as f:
                for m in EXTERNAL.finditer(f.read()):
                    offenders.append(f"{os.path.relpath(path, site)}: {m.group(0)}")
    assert not offenders, "external resources:\n" + "\n".join(offenders[:20])


def test_external_pattern_catches_what_the_old_site_had():
    assert EXTERNAL.search('<script src="https://cdn.jsdelivr.net/npm/mathjax@3/es5/tex-mml-chtml.js">')
    assert EXTERNAL.search('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">')
    assert EXTERNAL.search("@import url(//fonts.googleapis.com/css)")
    assert EXTERNAL.search("src: url('https://fonts.gstatic.com/x.woff2')")
    assert not EXTERNAL.search('<script src="../assets/javascripts/bundle.js">')
    assert not EXTERNAL.search('<a href="https://arxiv.org/abs/1512.03385">')


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


def test_course_holds_every_notebook(site):
    assert len(NOTEBOOKS) >= 9
    syllabus = _read(site, "course/index.html")
    for name in NOTEBOOKS:
        page = f"notebooks/{name}/index.html"
        html = _read(site, page)
        assert "jp-Notebook" in html and "jp-OutputArea" in html, f"{page}: not a rendered notebook"
        assert f"../notebooks/{name}/" in syllabus, f"the syllabus does not link {name}"
        # nav: the Course section lists it (the nav is on every page)
        assert re.search(rf'href="[./]*notebooks/{name}/"', syllabus), f"{name} missing from the nav"


def test_every_section_of_the_syllabus_names_a_heading_of_its_notebook():
    """A section key the notebook's level-2 headings do not contain would drop its links silently."""
    import json

    import yaml

    text = open(os.path.join(ROOT, "docs", "course", "index.md"), encoding="utf-8").read()
    chapters = yaml.safe_load(text.split("---")[1])["chapters"]
    for key, chapter in chapters.items():
        (path,) = glob.glob(os.path.join(ROOT, "notebooks", f"{key}_*.ipynb"))
        with open(path, encoding="utf-8") as f:
            cells = json.load(f)["cells"]
        headings = [
            line[3:].lower()
            for c in cells
            if c["cell_type"] == "markdown"
            for line in "".join(c["source"]).splitlines()
            if line.startswith("## ")
        ]
        for section in chapter.get("sections") or {}:
            assert any(section.lower() in h for h in headings), f"{key}: no heading holds {section!r}"


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


def test_links_run_both_ways(site):
    # notebook -> op pages, through the header under its title
    html = _article(_read(site, "notebooks/02_convolution_im2col/index.html"))
    assert "In the course" in html and "../../ops/conv2d/index.html" in html
    assert "Read alongside" in html  # a section heading's own links
    # op page -> its notebook and its exercises
    for page in sorted(glob.glob(os.path.join(site, "ops", "*", "index.html"))):
        name = os.path.relpath(page, site)
        article = _article(_read(site, name))
        assert re.search(r'href="[./]*notebooks/\d\d_', article), f"{name} links no notebook"
        assert re.search(r'href="[./]*exercises/"', article), f"{name} links no exercises"


def _tool(name, path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path.split("/")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_plain_text_docstrings_become_markdown_that_shows_them():
    safe = _tool("docstring_markdown", "tools/docstring_markdown.py").markdown_safe
    text = safe(
        "Sum <grad L, v> of a*b and x_1 * y_, kept in ``a*b_c``.\n"
        "\n"
        ">>> x = 2 * 3\n"
        ">>> x\n"
        "6\n"
        "\n"
        "Laid out (a table):\n"
        "    H1 12*25 + 12*8*8 = 1,068\n"
        "    H2 12*8*25\n"
        "After it.\n"
        "\n"
        "    y = f(x)\n"
        "    z = g(y)\n"
        "\n"
        "net = models.get('lenet5')\n"
        "models.list_models()\n"
        "\n"
        "> not a quote\n"
        "\n"
        "Args:\n"
        "    in_features (int): the size of x_i * 2.\n"
        "    out_features: y_j.\n"
        "Shapes:\n"
        "    y (N, C_out)"
    )
    assert "Sum &lt;grad L, v> of a\\*b and x\\_1 \\* y\\_, kept in ``a*b_c``." in text
    assert "```pycon\n>>> x = 2 * 3\n>>> x\n6\n```" in text
    assert "Laid out (a table):\n\n```text\nH1 12*25 + 12*8*8 = 1,068\nH2 12*8*25\n```\n\nAfter it." in text
    assert "```python\ny = f(x)\nz = g(y)\n```" in text
    assert "```python\nnet = models.get('lenet5')\nmodels.list_models()\n```" in text
    assert "\\> not a quote" in text
    # a section keeps its layout and its names; only the descriptions are escaped
    assert "Args:\n    in_features (int): the size of x\\_i \\* 2.\n    out_features: y\\_j." in text
    assert '<span class="doc-section-title">Shapes:</span>\n\n```text\ny (N, C_out)\n```' in text


def test_rewritten_docstrings_keep_their_google_sections():
    import griffe

    safe = _tool("docstring_markdown", "tools/docstring_markdown.py").markdown_safe
    source = (
        "Max over each window.\n\nArgs:\n    x: Tensor (N, C, H, W).\n    kernel_size: int or (kH, kW).\n"
        "\nReturns:\n    Tensor: y, of x_1's dtype.\n\n>>> 1 + 1\n2"
    )
    parsed = griffe.Docstring(safe(source)).parse("google")
    kinds = [s.kind.value for s in parsed]
    assert kinds == ["text", "parameters", "returns", "text"], kinds
    assert [p.name for p in parsed[1].value] == ["x", "kernel_size"]
    assert "```pycon" in parsed[3].value


def test_api_pages_show_docstrings_as_written(site):
    pages = {
        p: _article(_read(site, f"api/{p}/index.html"))
        for p in ("tensor", "functional", "models", "gradcheck", "nn")
    }
    for name, article in pages.items():
        assert "<blockquote" not in article, f"api/{name}: a doctest became a block quote"
        ems = [e for e in re.findall(r"<em>(.*?)</em>", article) if e != "required"]
        assert not ems, f"api/{name}: text turned into italics: {ems[:5]}"
    assert pages["tensor"].count('<span class="gp">&gt;&gt;&gt; </span>') >= 3
    assert pages["functional"].count('<div class="highlight"><pre><span></span><code><span class="gp">') >= 10
    assert "H1 12*25 + 12*8*8 = 1,068" in pages["models"]
    assert "(W*W)(x*x)" in pages["nn"] and "(N, C*H*W)" in pages["nn"] and "x (*, in_features)" in pages["nn"]
    assert "&lt;grad L, v&gt;" in pages["gradcheck"]
    # module docstrings' examples are code blocks, not prose
    assert re.search(
        r'<code><span class="n">model</span> <span class="o">=</span> <span class="n">nn</span>', pages["nn"]
    )


def test_api_tables_have_no_empty_type_column_and_no_private_bases(site):
    for page in glob.glob(os.path.join(site, "api", "*", "index.html")):
        article = _article(_read(site, os.path.relpath(page, site)))
        for table in re.findall(r"<table>.*?</table>", article, re.DOTALL):
            if "<th>Type</th>" in table and "doc-section-item" in table:
                heads = re.findall(r"<th>(.*?)</th>", table)
                col = heads.index("Type")
                cells = [
                    re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
                    for row in re.findall(r'<tr class="doc-section-item">(.*?)</tr>', table, re.DOTALL)
                ]
                assert any(re.sub(r"<[^>]+>|\s", "", c[col]) for c in cells), f"{page}: an empty Type column"
        bases = re.findall(r'class="doc doc-class-bases">(.*?)</p>', article, re.DOTALL)
        assert not [b for b in bases if re.search(r">_\w+<", b)], f"{page}: a private base is shown"


class _Links(HTMLParser):
    """A page's ids (and <a name>s) and the links it makes (href and src)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.ids, self.links = set(), []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag == "a" and a.get("name"):
            self.ids.add(a["name"])
        for key in ("href", "src"):
            if a.get(key) and not (tag == "link" and a.get("rel") == "canonical"):
                self.links.append(a[key])


def test_every_internal_link_and_anchor_resolves(site):
    from urllib.parse import unquote, urlparse

    parsed = {}

    def page(path):
        if path not in parsed:
            p = _Links()
            with open(path, encoding="utf-8") as f:
                p.feed(f.read())
            parsed[path] = p
        return parsed[path]

    bad = []
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        if os.path.basename(path) == "404.html":  # its links are written for the site's root
            continue
        here = page(path)
        for link in here.links:
            url = urlparse(link)
            if url.scheme or link.startswith("//"):  # another host, data:, mailto:
                continue
            target = path
            if url.path:
                target = os.path.normpath(os.path.join(os.path.dirname(path), unquote(url.path)))
                if os.path.isdir(target):
                    target = os.path.join(target, "index.html")
                if not os.path.exists(target):
                    bad.append(f"{os.path.relpath(path, site)}: {link} (no such file)")
                    continue
            if url.fragment and target.endswith(".html") and unquote(url.fragment) not in page(target).ids:
                bad.append(f"{os.path.relpath(path, site)}: {link} (no such anchor)")
    assert not bad, f"{len(bad)} broken links:\n" + "\n".join(bad[:30])


def test_the_readmes_links_resolve(site):
    """README.md is read on the repository's front page: its relative links name files that
    exist, and a link into a docs page names an anchor the built page has."""
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert any(link.startswith("docs/glossary.md#") for link in links)
    bad = []
    for link in links:
        path, _, fragment = link.partition("#")
        if re.match(r"[a-z]+:", link):
            continue
        if not path:  # a heading of the README itself, as GitHub names it
            headings = re.findall(r"^#+ (.+)$", readme, re.M)
            slugs = {re.sub(r"[^\w\- ]", "", h.lower()).replace(" ", "-") for h in headings}
            if fragment not in slugs:
                bad.append(link)
            continue
        if not os.path.exists(os.path.join(ROOT, path)):
            bad.append(f"{link} (no such file)")
        elif fragment and path.startswith("docs/") and path.endswith(".md"):
            page = path[len("docs/") : -len(".md")]
            page = "index.html" if page == "index" else page.removesuffix("/index") + "/index.html"
            ids = _Links()
            ids.feed(_read(site, page))
            if fragment not in ids.ids:
                bad.append(f"{link} (no such anchor)")
    assert not bad, "README.md: broken links: " + ", ".join(bad)


def test_notebook_contents_name_their_headings_whole(site):
    """Each entry of a notebook's table of contents has its heading's full text, code included."""
    entry = re.compile(
        r'<a href="#([^"]+)" class="md-nav__link">\s*<span class="md-ellipsis">\s*(.*?)\s*</span>', re.DOTALL
    )
    heading = re.compile(r'<h[1-6] id="([^"]+)"[^>]*>(.*?)</h[1-6]>', re.DOTALL)
    for name in NOTEBOOKS:
        html = _read(site, f"notebooks/{name}/index.html")
        text = {
            i: " ".join(re.sub(r"<[^>]+>", "", re.sub(r'<a class="anchor-link".*?</a>', "", h)).split())
            for i, h in heading.findall(_article(html))
        }
        entries = entry.findall(html)
        assert entries, f"{name}: no table of contents"
        for anchor, label in entries:
            assert anchor in text, f"{name}: #{anchor} is no heading"
            assert " ".join(label.split()) == text[anchor], f"{name}: {label!r} for {text[anchor]!r}"
    nb1 = _read(site, "notebooks/01_autograd_from_scratch/index.html")
    assert "Your turn: topo_sort" in nb1 and "The backward pass by hand, then by backward()" in nb1


def test_notebook_outputs_keep_their_lines_whole(site):
    """The notebook stylesheet wraps an output anywhere (break-all, pre-wrap), cutting a table's
    numbers in two; the site's stylesheet keeps output lines whole, scrolled sideways."""
    css = _read(site, "stylesheets/extra.css")
    rule = re.search(r"\.md-typeset \.jupyter-wrapper \.jp-OutputArea-output pre\s*\{([^}]*)\}", css)
    assert rule, "no rule for notebook outputs in extra.css"
    assert "white-space: pre;" in rule.group(1) and "word-break: normal;" in rule.group(1)
    assert "jp-OutputArea-output" in _read(site, "notebooks/09_cpu_vs_gpu/index.html")


@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "engine/index.html",
        "glossary/index.html",
        "api/index.html",
        "api/minicnn/index.html",
        "install/index.html",
        "performance/index.html",
        "exercises/index.html",
        "writing-exercises/index.html",
        "grading/index.html",
        "tutorial/index.html",
        "reading/index.html",
    ],
)
def test_code_lines_fit_the_page(page, site):
    """At 1280 px a code block shows about 84 characters; longer lines would be cut at the
    right edge. A block marked .wrap (program output) wraps instead."""
    long = []
    for cls, body in re.findall(
        r'<div class="([^"]*)"><pre>(.*?)</pre>', _article(_read(site, page)), re.DOTALL
    ):
        if "wrap" in cls.split():
            continue
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        long += [line for line in text.split("\n") if len(line) > 80]
    assert not long, f"{page}: code lines longer than 80 characters: {long[:3]}"


def test_the_functional_reference_shows_its_docstring_lines_whole(site):
    """Docstrings are written for help() to 96 columns; the API reference sets their blocks
    small enough (extra.css) that such a line shows whole at 1280 px."""
    css = _read(site, "stylesheets/extra.css")
    rule = re.search(r"\.md-typeset \.doc-contents \.highlight pre > code\s*\{([^}]*)\}", css)
    assert rule and "font-size: 0.72em;" in rule.group(1)
    article = _article(_read(site, "api/functional/index.html"))
    long = []
    for body in re.findall(r'<div class="[^"]*"><pre>(.*?)</pre>', article, re.DOTALL):
        text = html.unescape(re.sub(r"<[^>]+>", "", body))
        long += [line for line in text.split("\n") if len(line) > 96]
    assert not long, f"api/functional: code lines longer than 96 characters: {long[:3]}"


def test_the_engine_page_shows_mul_as_the_code_has_it():
    import inspect

    from minicnn.functional import basic

    with open(os.path.join(ROOT, "docs", "engine.md"), encoding="utf-8") as f:
        page = f.read()
    shown = re.search(r"```python\n(class Mul\(Function\):.*?)```", page, re.DOTALL)
    assert shown, "docs/engine.md shows no Mul"
    assert shown.group(1).rstrip() == inspect.getsource(basic.Mul).rstrip(), (
        "docs/engine.md's Mul differs from minicnn/functional/basic.py's: copy it again"
    )


def test_no_page_says_a_state_dict_moves_to_pytorch_unchanged():
    """PyTorch's load_state_dict wants tensors: the pages that say a state dict carries over say
    how, and minicnn's state dict holds what torch.from_numpy takes (writeable NumPy arrays)."""
    from minicnn import models

    pages = [os.path.join(ROOT, "README.md")] + glob.glob(
        os.path.join(ROOT, "docs", "**", "*.md"), recursive=True
    )
    for page in pages:
        with open(page, encoding="utf-8") as f:
            text = " ".join(f.read().split())
        assert not re.search(r"state dicts? (?:moves?|carr\w+) (?:\w+ ){0,4}unchanged", text), page
    for page in ("index.md", "tutorial.md"):
        with open(os.path.join(ROOT, "docs", page), encoding="utf-8") as f:
            assert "{k: torch.from_numpy(v) for k, v in sd.items()}" in f.read(), page
    for key, value in models.lenet5().state_dict().items():
        assert type(value) is np.ndarray and value.flags.writeable and min(value.strides, default=0) >= 0, key


def test_the_reading_map_names_files_that_exist_and_its_example_runs_the_plain_kernels():
    import minicnn as mc

    with open(os.path.join(ROOT, "docs", "reading.md"), encoding="utf-8") as f:
        page = f.read()
    named = set(re.findall(r"`(minicnn/[\w/]+\.py)`", page))
    assert len(named) >= 14 and not [p for p in named if not os.path.isfile(os.path.join(ROOT, p))]
    (code,) = re.findall(r"```python\n(.*?)```", page, re.DOTALL)
    assert 'pdb.run("' in code  # run here as the statement alone, without the prompt
    scope = {}
    code = code.replace("pdb.run(", "exec(")
    with mc.use_kernels(mc.backend.kernel_tier()), mc.kernels.trace() as ran:  # the tier put back after
        exec(code, scope)
    assert sorted(ran) == [f"conv2d_{k}: simple" for k in ("forward", "input_grad", "weight_grad")]


def test_the_reading_maps_size_is_the_size_of_its_files():
    """reading.md and the front page give the teaching core's size: the files of the reading
    table, counted as wc -l counts them, to within 5% (the figure is rounded)."""
    with open(os.path.join(ROOT, "docs", "reading.md"), encoding="utf-8") as f:
        page = f.read()
    rows = [line for line in page.split("## Stepping")[0].splitlines() if re.match(r"\| \d+ \|", line)]
    files = {p for row in rows for p in re.findall(r"`(minicnn/[\w/]+\.py)`", row.split("|")[2])}
    lines = 0
    for path in files:
        with open(os.path.join(ROOT, path), encoding="utf-8") as f:
            lines += sum(1 for _ in f)
    for name, said in (
        ("reading.md", r"the (\d+) files of the table below, about ([\d,]+)\s+lines"),
        ("index.md", r"is (\d+) files, about ([\d,]+) lines"),
    ):
        with open(os.path.join(ROOT, "docs", name), encoding="utf-8") as f:
            m = re.search(said, " ".join(f.read().split()))
        assert m, f"docs/{name} does not give the teaching core's size"
        count, about = int(m.group(1)), int(m.group(2).replace(",", ""))
        assert count == len(files), f"docs/{name}: {count} files, the reading table names {len(files)}"
        assert abs(about - lines) <= 0.05 * lines, f"docs/{name}: about {about} lines, the files hold {lines}"


def test_the_tutorials_reset_loop_runs_and_leaves_nothing_trained():
    """The loop is shown as a block a student can copy: it runs, and under the build's seed it
    gives back the model as built (LeNet-5 1998 with its default init, the zoo's own layers in)."""
    import minicnn as mc
    from minicnn import models

    with open(os.path.join(ROOT, "docs", "tutorial.md"), encoding="utf-8") as f:
        page = f.read()
    (code,) = [c for c in re.findall(r"```python\n(.*?)```", page, re.DOTALL) if "reset_parameters" in c]
    mc.manual_seed(91)
    built = models.lenet5("1998").state_dict()
    model = models.lenet5("1998")
    rng = np.random.default_rng(92)
    for p in model.parameters():
        p.data[...] = rng.standard_normal(p.shape)
    mc.manual_seed(91)
    exec(code, {"model": model})
    for key, value in model.state_dict().items():
        np.testing.assert_array_equal(value, built[key], err_msg=key)


# The modules whose every public name the API reference lists, as ``dir()`` (or ``__all__``) has them
API_MODULES = (
    "minicnn",
    "minicnn.cuda",
    "minicnn.nn",
    "minicnn.nn.functional",
    "minicnn.functional",
    "minicnn.optim",
    "minicnn.optim.lr_scheduler",
    "minicnn.data",
    "minicnn.data.transforms",
)


def _api_ids(site):
    """{id: page} of every object the API reference documents (mkdocstrings' heading ids)."""
    ids = {}
    for path in sorted(glob.glob(os.path.join(site, "api", "*", "index.html"))):
        page = os.path.relpath(path, site)
        for i in re.findall(r'id="(minicnn(?:\.[\w.]+)?)"\s+class="doc doc-heading"', _read(site, page)):
            ids.setdefault(i, page)
    return ids


def _resolve(dotted):
    """The object a dotted name names: the longest importable module, then attributes; else None."""
    import importlib

    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for name in parts[i:]:
            if not hasattr(obj, name):
                return None
            obj = getattr(obj, name)
        return obj
    return None


def test_every_object_the_api_reference_documents_exists(site):
    ids = _api_ids(site)
    assert len(ids) > 500
    missing = [f"{i} ({page})" for i, page in ids.items() if _resolve(i) is None]
    assert not missing, "the API reference documents names the code does not have:\n" + "\n".join(missing)
    # the names the top-level page gives in words exist too
    named = re.findall(r"<code>mc\.(\w+)", _article(_read(site, "api/minicnn/index.html")))
    assert len(named) > 20
    import minicnn as mc

    assert not [n for n in named if not hasattr(mc, n)], [n for n in named if not hasattr(mc, n)]


def test_the_api_reference_lists_every_public_name(site):
    """Each public name of the modules above is documented on an API page: its object has a
    heading there (under any dotted name: ``mc.zeros`` is ``minicnn.creation.zeros``), or, for a
    public module (``nn.init``; not a file of the package such as ``F.checks``), some of its
    members have; the top-level names that are no function or class of
    their own (dtypes, ``mc.backend``) are named in the table of the ``minicnn`` page."""
    import importlib
    import inspect
    import types

    ids = _api_ids(site)
    documented = {id(obj) for obj in map(_resolve, ids) if obj is not None}
    top_table = re.search(r"<table>.*?</table>", _article(_read(site, "api/minicnn/index.html")), re.DOTALL)
    namespaces = _tool("public_api", "tools/docs_hooks/public_api.py").NAMESPACES
    unlisted = []
    for name in API_MODULES:
        module = importlib.import_module(name)
        public = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for attr in public:
            obj = getattr(module, attr)
            if isinstance(obj, types.ModuleType):
                if obj.__name__ not in namespaces:  # math, or a file of the package: F.checks
                    continue
                target = {"minicnn.nn.functional": "minicnn.functional"}.get(obj.__name__, obj.__name__)
                if not any(i == target or i.startswith(target + ".") for i in ids):
                    unlisted.append(f"{name}.{attr} (a module)")
            elif not {id(obj), id(inspect.unwrap(obj))} & documented and not (  # out= wraps: out_arg.py
                name == "minicnn" and f"<code>mc.{attr}" in top_table[0]
            ):
                unlisted.append(f"{name}.{attr}")
    assert not unlisted, "public names the API reference does not list:\n" + "\n".join(unlisted)


def test_minicnn_nn_functional_is_minicnn_functional():
    """The API reference lists minicnn.functional once; minicnn.nn.functional has its names."""
    import minicnn.functional as F
    import minicnn.nn.functional as nnF

    names = [n for n in dir(F) if not n.startswith("_")]
    assert [n for n in dir(nnF) if not n.startswith("_")] == names
    assert all(getattr(nnF, n) is getattr(F, n) for n in names)


class _Nav(HTMLParser):
    """The links of the site's navigation (the left sidebar), in order."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.depth, self.links = 0, []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "nav" and "md-nav--primary" in (a.get("class") or ""):
            self.depth = 1
        elif tag == "nav" and self.depth:
            self.depth += 1
        if self.depth and tag == "a" and a.get("href") and not a["href"].startswith("#"):
            self.links.append(a["href"])

    def handle_endtag(self, tag):
        if tag == "nav" and self.depth:
            self.depth -= 1


def _nav(site):
    """The pages of the nav, in order, as paths of the built site ("tutorial/index.html")."""
    nav = _Nav()
    nav.feed(_read(site, "index.html"))
    pages = []
    for href in nav.links:
        path = os.path.normpath(href.split("#")[0] or ".")
        page = "index.html" if path == "." else path.rstrip("/") + "/index.html"
        if page not in pages:
            pages.append(page)
    return pages


def test_every_page_is_in_the_nav(site):
    nav = _nav(site)
    built = {
        os.path.relpath(p, site).replace(os.sep, "/")
        for p in glob.glob(os.path.join(site, "**", "index.html"), recursive=True)
    }
    assert len(nav) >= 40
    assert not built - set(nav), f"pages the nav does not reach: {sorted(built - set(nav))}"
    assert not set(nav) - built, f"nav entries with no page: {sorted(set(nav) - built)}"


def test_the_nav_follows_the_front_pages_learning_path(site):
    """The front page's first week (prerequisites, notebook 1, the exercises, reading the code)
    and its tutorial come in the nav in that order, the Course section before the engine."""
    nav = _nav(site)
    with open(os.path.join(ROOT, "docs", "index.md"), encoding="utf-8") as f:
        week = f.read().split("## Learning with minicnn")[1].split("\n## ")[0]
    steps = re.findall(r"^\d+\. \[[^\]]+\]\(([\w/.-]+?)(?:\.md)?(?:#[\w-]+)?\)", week, re.M)
    assert steps == ["course/prerequisites", "course/index", "exercises", "reading"], steps
    at = {page: nav.index(page) for page in nav}
    order = ["tutorial/index.html", "course/index.html", "course/prerequisites/index.html"]
    order += [f"notebooks/{NOTEBOOKS[0]}/index.html", "exercises/index.html", "engine/index.html"]
    order += ["reading/index.html"]
    assert [at[p] for p in order] == sorted(at[p] for p in order), [p for p in nav if p in order]


def test_a_path_in_a_table_breaks_after_a_slash_not_inside_a_name(site):
    """mkdocs-material breaks inline code anywhere; in the reading table's narrow file column
    that cut names in two (minicnn/functional/activat / ion.py)."""
    table = re.search(r"<table>.*?</table>", _article(_read(site, "reading/index.html")), re.DOTALL).group(0)
    assert "<code>minicnn/<wbr>functional/<wbr>activation.py</code>" in table
    css = _read(site, "stylesheets/extra.css")
    rule = re.search(r"\.md-typeset table:not\(\[class\]\) td code\s*\{([^}]*)\}", css)
    assert rule and "word-break: normal;" in rule.group(1) and "overflow-wrap: normal;" in rule.group(1)
    breaks = _tool("tables", "tools/docs_hooks/tables.py").break_paths
    assert breaks('<td><code><a href="a/b">a/b</a></code></td><p><code>c/d</code></p>') == (
        '<td><code><a href="a/b">a/<wbr>b</a></code></td><p><code>c/d</code></p>'
    )


def test_the_syllabus_names_every_page_by_its_title(site):
    """A page the nav lists without a title (models/index.md) is named by its heading, not its path."""
    links = re.findall(r"<a [^>]*>([^<]*)</a>", _article(_read(site, "course/index.html")))
    assert "Models: the classic CNN line" in links
    assert not [t for t in links if t.endswith(".md")], [t for t in links if t.endswith(".md")]


def test_an_underscore_in_text_math_shows_without_its_backslash(site):
    r"""\text{lr\_decay} is typeset as lr_decay, as TeX prints it, on every page."""
    offenders = []
    for path in sorted(glob.glob(os.path.join(site, "**", "*.html"), recursive=True)):
        with open(path, encoding="utf-8") as f:
            offenders += [os.path.relpath(path, site) for m in re.findall(r"<mtext>[^<]*\\_", f.read())]
    assert not offenders, f"a backslash before an underscore in math text: {sorted(set(offenders))}"
    assert "<mtext>lr_decay</mtext>" in _read(site, "ops/optimizers/index.html")


def test_an_item_naming_several_parameters_becomes_one_per_name(site):
    """ "transform, target_transform: ..." was one parameter the signature lacks, shown as required."""
    safe = _tool("docstring_markdown", "tools/docstring_markdown.py").markdown_safe
    text = safe("Load.\n\nArgs:\n    root: a folder.\n    a, b: the pair,\n        both.\n    c: last.\n")
    assert "    a: the pair,\n        both.\n    b: the pair,\n        both.\n    c: last." in text
    mnist = _article(_read(site, "api/data/index.html")).split('id="minicnn.data.MNIST"')[1]
    table = re.search(r"<table>.*?</table>", mnist, re.DOTALL).group(0)
    rows = {
        re.sub(r"<[^>]+>|\s", "", cells[0]): re.sub(r"<[^>]+>|\s", "", cells[-1])
        for cells in (
            re.findall(r"<td>(.*?)</td>", row, re.DOTALL)
            for row in re.findall(r'<tr class="doc-section-item">(.*?)</tr>', table, re.DOTALL)
        )
    }
    assert rows.get("transform") == "None" and rows.get("target_transform") == "None", rows


def test_the_tensor_page_lists_every_public_tensor_name_and_no_other(site):
    """The listing the hook makes (tools/docs_hooks/tensor_methods.py): each public name of
    ``mc.Tensor`` once, each with a description, and no name Tensor lacks."""
    import minicnn as mc

    tables = re.findall(
        r'<table class="tensor-methods">.*?</table>', _read(site, "api/tensor/index.html"), re.DOTALL
    )
    assert len(tables) >= 8
    rows = [
        r
        for t in tables[:-1]
        for r in re.findall(r"<tr><td><code>(\w+)(?:\(\))?</code></td><td>(.*?)</td>", t)
    ]
    listed = [name for name, _ in rows]
    public = sorted(n for n in dir(mc.Tensor) if not n.startswith("_"))
    assert sorted(listed) == public, (set(public) - set(listed), set(listed) - set(public))
    assert all(re.sub(r"<[^>]+>", "", what).strip() for _, what in rows)
    for name in ("view", "argmax", "masked_fill", "clamp_"):
        assert f"<code>{name}()</code>" in "".join(tables)
