"""mkdocs hook: the notebooks in notebooks/ become the site's Course section.

- Every ``notebooks/NN_*.ipynb`` is added to the site under its own path (rendered by
  mkdocs-jupyter from its stored outputs, never executed; nothing is copied into docs/) and
  listed in the nav's Course section, so a new notebook appears without editing mkdocs.yml.
- The chapter table (op pages per notebook section, papers, exercises, time) lives in the
  front matter of docs/course/index.md. From it the hook writes the syllabus on that page,
  a header and per-section "read alongside" links on each notebook page, and an "In the
  course" box on each op page: the links run both ways from one table.
- Notebook pages lose the scripts nbconvert's template adds (MathJax and mermaid.js from a
  CDN): the site loads nothing from another host, and its math is typeset at build time.
- A notebook page's table of contents is rebuilt from the headings as rendered: mkdocs-jupyter
  makes it from a separate Markdown pass, whose entries drop a heading's code ("Your turn:
  `topo_sort`" became "Your turn:") and whose anchors (#your-turn_1) are not the ids nbconvert
  gave the headings (#your-turn-topo_sort).
"""

import glob
import html
import json
import logging
import os
import posixpath
import re

import markdown
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File
from mkdocs.structure.toc import get_toc
from mkdocs.utils import meta

log = logging.getLogger("mkdocs.hooks.course")

COURSE_DIR = "notebooks"  # the notebooks' path in the site, as in the repository
SYLLABUS = "course/index.md"
MARKER = "<!-- chapters -->"

_state = {"notebooks": [], "chapters": {}, "exercise_pages": {}}


def _notebooks(config):
    """(chapter key "01", path) for every notebook, in course order."""
    root = os.path.dirname(config.config_file_path)
    paths = sorted(glob.glob(os.path.join(root, "notebooks", "[0-9][0-9]_*.ipynb")))
    return [(os.path.basename(p)[:2], p) for p in paths]


def _nb_title(path):
    """The notebook's first level-1 heading, else its file name."""
    with open(path, encoding="utf-8") as f:
        nb = json.load(f)
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return os.path.basename(path)


def on_config(config):
    notebooks = _notebooks(config)
    _state["notebooks"] = [(key, path, _nb_title(path)) for key, path in notebooks]
    with open(os.path.join(config.docs_dir, SYLLABUS), encoding="utf-8") as f:
        _, data = meta.get_data(f.read())
    _state["chapters"] = data.get("chapters", {})
    _state["exercise_pages"] = data.get("op_exercises", {})
    entries = [f"{COURSE_DIR}/{os.path.basename(p)}" for _, p, _ in _state["notebooks"]]
    for item in config.nav or []:
        if isinstance(item, dict) and "Course" in item:
            section = item["Course"]
            at = next(
                (
                    i + 1
                    for i, e in enumerate(section)
                    if isinstance(e, dict) and "course/prerequisites.md" in e.values()
                ),
                1,
            )
            section[at:at] = entries
            break
    else:
        log.warning("course hook: mkdocs.yml's nav has no 'Course' section for the notebooks")
    return config


@event_priority(50)  # before mkdocs-jupyter's on_files, which claims the .ipynb files
def on_files(files, config):
    root = os.path.dirname(config.config_file_path)
    for _, path, _ in _state["notebooks"]:
        files.append(
            File(
                f"{COURSE_DIR}/{os.path.basename(path)}",
                src_dir=root,
                dest_dir=config.site_dir,
                use_directory_urls=config.use_directory_urls,
            )
        )
    return files


def _rel(target, page_src):
    """A link from the page at page_src to the docs file target (both docs-relative)."""
    return posixpath.relpath(target, posixpath.dirname(page_src) or ".")


def _title(files, src):
    f = files.get_file_from_path(src)
    if f is None:
        log.warning(f"course hook: the chapter table names {src}, which is not in docs/")
        return src
    if src.endswith(".ipynb"):
        return next((t for _, p, t in _state["notebooks"] if os.path.basename(p) in src), src)
    if f.page is not None and f.page.title:
        return f.page.title
    # a page the nav lists without a title (a section's index.md): its first heading, as the
    # page itself will show it, since its Markdown is not read yet
    with open(f.abs_src_path, encoding="utf-8") as page:
        heading = next((line[2:].strip() for line in page if line.startswith("# ")), None)
    return heading.replace("`", "") if heading else src


def _exercises_md(names, page_src):
    if not names:
        return f"see the [exercise list]({_rel('exercises.md', page_src)})"
    codes = ", ".join(f"`{n}`" for n in names)
    return f"{codes} ([how to check them]({_rel('exercises.md', page_src)}))"


def _syllabus_md(files):
    out = []
    for key, path, title in _state["notebooks"]:
        ch = _state["chapters"].get(key, {})
        nb = f"{COURSE_DIR}/{os.path.basename(path)}"
        out.append(f"## {title}\n")
        if ch.get("summary"):
            out.append(ch["summary"].strip() + "\n")
        out.append(f"- **Notebook:** [{os.path.basename(path)}]({_rel(nb, SYLLABUS)})")
        if ch.get("time"):
            out.append(f"- **Time:** about {ch['time']}")
        sections = ch.get("sections") or {}
        if sections:
            out.append("- **Op pages**, by section of the notebook:\n")
        for section, pages in sections.items():
            links = ", ".join(f"[{_title(files, p)}]({_rel(p, SYLLABUS)})" for p in pages)
            out.append(f"    - {section[0].upper() + section[1:]}: {links}")
        if sections:
            out.append("")
        for paper in ch.get("papers") or []:
            out.append(f"- **Paper:** {paper}")
        out.append(f"- **Exercises:** {_exercises_md(ch.get('exercises'), SYLLABUS)}")
        out.append("")
    return "\n".join(out)


def _op_box_md(page_src, files):
    """The "In the course" box for an op page: the chapters that read it, its exercises."""
    uses = []
    for key, path, title in _state["notebooks"]:
        sections = [
            s
            for s, pages in (_state["chapters"].get(key, {}).get("sections") or {}).items()
            if page_src in pages
        ]
        if sections:
            nb = f"{COURSE_DIR}/{os.path.basename(path)}"
            uses.append(f"[{title}]({_rel(nb, page_src)}) (" + "; ".join(sections) + ")")
    if not uses:
        return ""
    exercises = _exercises_md(_state["exercise_pages"].get(page_src), page_src)
    return (
        '!!! info "In the course"\n    Notebook: ' + ", ".join(uses) + f".\n\n    Exercises: {exercises}.\n"
    )


def on_page_markdown(text, page, config, files):
    src = page.file.src_uri
    if src == SYLLABUS:
        return text.replace(MARKER, _syllabus_md(files))
    box = _op_box_md(src, files)
    if box:
        # after the page's title line
        head, _, rest = text.partition("\n")
        return f"{head}\n\n{box}\n{rest}" if head.startswith("# ") else f"{box}\n{text}"
    return text


_EXTERNAL = re.compile(
    r'<script src="[^"]*">\s*</script>'  # MathJax, from the CDN
    r'|<script type="text/x-mathjax-config">.*?</script>'  # its configuration
    r'|<script type="module">(?:(?!</script>).)*?mermaid.*?</script>'  # mermaid.js, from a CDN
    r"|<!-- (?:Load mathjax|MathJax configuration|End of (?:mathjax|mermaid) configuration) -->",
    re.DOTALL | re.IGNORECASE,
)
_H2 = re.compile(r"(<h2 id=\"[^\"]*\">)(.*?)(</h2>)", re.DOTALL)
_HEADING = re.compile(r'<h([1-6]) id="([^"]+)"[^>]*>(.*?)</h\1>', re.DOTALL)
_ANCHOR_LINK = re.compile(r'<a class="anchor-link"[^>]*>.*?</a>', re.DOTALL)


def toc_tokens(content):
    """The table of contents of a rendered page, from its headings: each entry with the
    heading's whole text (its code's text included) and the heading's own id."""
    root = {"level": 0, "children": []}
    stack = [root]
    for m in _HEADING.finditer(content):
        level = int(m.group(1))
        text = html.unescape(re.sub(r"<[^>]+>", "", _ANCHOR_LINK.sub("", m.group(3))))
        token = {
            "level": level,
            "id": html.unescape(m.group(2)),
            "name": html.escape(" ".join(text.split()), quote=False),
            "children": [],
        }
        while stack[-1]["level"] >= level:
            stack.pop()
        stack[-1]["children"].append(token)
        stack.append(token)
    return root["children"]


def _nb_key(page):
    src = page.file.src_uri
    if src.startswith(COURSE_DIR + "/") and src.endswith(".ipynb"):
        return posixpath.basename(src)[:2]
    return None


def on_page_content(content, page, config, files):
    key = _nb_key(page)
    if key is None:
        return content
    content = _EXTERNAL.sub("", content)
    ch = _state["chapters"].get(key, {})
    sections = ch.get("sections") or {}
    here = _built(files, page.file.src_uri)

    def href(target):
        return html.escape(posixpath.relpath(_built(files, target), posixpath.dirname(here)))

    def link(target):
        return f'<a href="{href(target)}">{html.escape(_title(files, target))}</a>'

    def add_links(m):
        heading = re.sub(r"<[^>]+>", "", m.group(2)).lower()
        pages = dict.fromkeys(p for s, ps in sections.items() if s.lower() in heading for p in ps)
        if not pages:
            return m.group(0)
        return (
            m.group(0)
            + '\n<p class="course-read">Read alongside: '
            + ", ".join(link(p) for p in pages)
            + "</p>"
        )

    content = _H2.sub(add_links, content)
    time = f", about {html.escape(ch['time'])}" if ch.get("time") else ""
    header = [f'Chapter {int(key)} of the <a href="{href(SYLLABUS)}">course</a>{time}.']
    pages = dict.fromkeys(p for ps in sections.values() for p in ps)
    if pages:
        header.append("Op pages: " + ", ".join(link(p) for p in pages) + ".")
    for paper in ch.get("papers") or []:
        header.append("Paper: " + markdown.markdown(paper)[len("<p>") : -len("</p>")] + ".")
    names = ch.get("exercises")
    exercises = (
        ", ".join(f"<code>{html.escape(n)}</code>" for n in names)
        + f' (<a href="{href("exercises.md")}">how to check them</a>)'
        if names
        else f'see the <a href="{href("exercises.md")}">exercise list</a>'
    )
    header.append(f"Exercises: {exercises}.")
    box = (
        '<div class="admonition info course-header"><p class="admonition-title">In the course</p>'
        + "".join(f"<p>{h}</p>" for h in header)
        + "</div>\n"
    )
    page.toc = get_toc(toc_tokens(content))
    at = content.find("</h1>")  # under the notebook's title, where a reader starts
    return box + content if at < 0 else content[: at + 5] + "\n" + box + content[at + 5 :]


def _built(files, src):
    """Where a docs file's page is written, so that relative links can be computed between
    pages: ops/conv2d.md -> ops/conv2d/index.html, notebooks/01_x.ipynb -> notebooks/01_x/index.html."""
    f = files.get_file_from_path(src)
    url = f.url if f is not None else src
    return url + "index.html" if url.endswith("/") or url == "" else url
