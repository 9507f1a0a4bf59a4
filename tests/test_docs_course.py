"""The course on the documentation site: every notebook, its headings and outputs whole, the syllabus,
the reading map and the tutorial's code."""

import glob
import os
import re

import numpy as np
from docs_site import NOTEBOOKS, ROOT, _article, _read


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


def test_notebook_code_cells_fit_the_cell(site):
    """At 1280 px a notebook's code cell is 570 px wide: 70 characters of its 13 px monospace, with
    its padding. A longer line is cut at the cell's right edge and the cell scrolls sideways."""
    import html as html_lib

    for name in NOTEBOOKS:
        page = _article(_read(site, f"notebooks/{name}/index.html"))
        cells = re.findall(r'<div class="highlight-ipynb hl-python"><pre>(.*?)</pre>', page, re.DOTALL)
        assert cells, f"{name}: no code cell found"
        long = [
            line
            for body in cells
            for line in html_lib.unescape(re.sub(r"<[^>]+>", "", body)).split("\n")
            if len(line) > 70
        ]
        assert not long, f"{name}: code lines longer than 70 characters: {long[:3]}"


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


def test_the_syllabus_names_every_page_by_its_title(site):
    """A page the nav lists without a title (models/index.md) is named by its heading, not its path."""
    links = re.findall(r"<a [^>]*>([^<]*)</a>", _article(_read(site, "course/index.html")))
    assert "Models: the classic CNN line" in links
    assert not [t for t in links if t.endswith(".md")], [t for t in links if t.endswith(".md")]
