"""The documentation site builds in strict mode, works with no network, and every page, link, anchor
and nav entry is there.  One build (strict: every link, every API page, every formula) feeds the
documentation tests: the ``site`` fixture of conftest.py."""

import glob
import html
import os
import re
from html.parser import HTMLParser

import pytest
from docs_site import NOTEBOOKS, ROOT, _article, _read, _tool

PAGES = (
    "index.html",
    "install/index.html",
    "tutorial/index.html",
    "engine/index.html",
    "reading/index.html",
    "ops/conv2d/index.html",
    "ops/pooling/index.html",
    "ops/interpolate/index.html",
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


# A resource fetched from another host: a script or stylesheet link, a CSS import or url().
EXTERNAL = re.compile(
    r"""<script\b[^>]*\bsrc\s*=\s*["']?(?:https?:)?//"""
    r"""|<link\b[^>]*\bhref\s*=\s*["']?(?:https?:)?//"""
    r"""|@import\s+(?:url\()?\s*["']?(?:https?:)?//"""
    r"""|url\(\s*["']?(?:https?:)?//""",
    re.IGNORECASE,
)


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
        "ops/index.html",
        "ops/activations/index.html",
        "ops/batchnorm/index.html",
        "ops/conv2d/index.html",
        "ops/cross_entropy/index.html",
        "ops/dropout/index.html",
        "ops/elementwise/index.html",
        "ops/linear/index.html",
        "ops/pooling/index.html",
        "ops/interpolate/index.html",
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


def test_a_table_of_many_short_columns_is_not_widened_by_its_headings(site):
    """mkdocs-material's 5rem minimum per heading made GoogLeNet's nine columns of channel counts
    and MobileNet's fourteen run past the page (720 px) at 1280 px; a column is as narrow as its
    longest word instead."""
    css = _read(site, "stylesheets/extra.css")
    rule = re.search(r"\.md-typeset table:not\(\[class\]\) th\s*\{([^}]*)\}", css)
    assert rule and "min-width: 0;" in rule.group(1)
    table = re.search(r"<table>.*?</table>", _article(_read(site, "models/googlenet/index.html")), re.DOTALL)
    # 9 headings of 5rem (80 px) and padding 1.25em (16 px) each side made 1,008 px
    assert table and len(re.findall(r"<th\b", table.group(0))) * (80 + 2 * 16) > 720
