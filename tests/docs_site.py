"""What the documentation tests share: the repository's root, the course's notebooks, a built page's
text and its article, the code blocks to leave out of a page's text, the build's tools loaded as
modules."""

import glob
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NOTEBOOKS = sorted(
    os.path.splitext(os.path.basename(p))[0]
    for p in glob.glob(os.path.join(ROOT, "notebooks", "[0-9][0-9]_*.ipynb"))
)
CODE = re.compile(r"<(pre|code|script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)


def _read(site, page):
    with open(os.path.join(site, page), encoding="utf-8") as f:
        return f.read()


def _article(html):
    """The page's own content (mkdocs-material's <article>), without the nav and TOC."""
    start = html.find("<article")
    return html[start : html.find("</article>", start)]


def _tool(name, path):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, *path.split("/")))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
