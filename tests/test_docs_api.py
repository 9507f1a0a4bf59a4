"""The API reference: every public name listed and every listed object there, docstrings shown as
written."""

import glob
import html
import os
import re

import pytest
from docs_site import _article, _read, _resolve, _tool


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


# The modules whose every public name the API reference lists, as ``dir()`` (or ``__all__``) has them
API_MODULES = (
    "minicnn",
    "minicnn.backend",
    "minicnn.cuda",
    "minicnn.io",
    "minicnn.kernels",
    "minicnn.models",
    "minicnn.weights",
    "minicnn.nn",
    "minicnn.nn.functional",
    "minicnn.nn.init",
    "minicnn.nn.utils",
    "minicnn.functional",
    "minicnn.optim",
    "minicnn.optim.lr_scheduler",
    "minicnn.data",
    "minicnn.data.transforms",
    "minicnn.distributed",
    "minicnn.gradcheck",
    "minicnn.train",
    "minicnn.viz",
)


def _api_ids(site):
    """{id: page} of every object the API reference documents (mkdocstrings' heading ids)."""
    ids = {}
    for path in sorted(glob.glob(os.path.join(site, "api", "*", "index.html"))):
        page = os.path.relpath(path, site)
        for i in re.findall(r'id="(minicnn(?:\.[\w.]+)?)"\s+class="doc doc-heading"', _read(site, page)):
            ids.setdefault(i, page)
    return ids


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


@pytest.mark.parametrize(
    "name",
    [
        "minicnn.autograd",
        "minicnn.backend",
        "minicnn.gradcheck",
        "minicnn.io",
        "minicnn.kernels",
        "minicnn.nn.init",
        "minicnn.nn.utils",
        "minicnn.weights",
    ],
)
def test_a_module_of_imports_and_helpers_names_its_public_api(name):
    """Without ``__all__``, ``dir()`` would make each import (``np``, ``os``, ``Tensor``) and
    helper public."""
    import importlib

    module = importlib.import_module(name)
    public = getattr(module, "__all__", None)
    assert public is not None, f"{name} has no __all__"
    assert [n for n in public if not hasattr(module, n)] == []
    imports = {"np", "os", "sys", "json", "math", "backend", "Any", "Array", "Sequence", "annotations"}
    imports |= {"Tensor", "Node", "no_grad", "cat", "links", "module_getattr"}
    assert imports & set(public) == set()


def test_the_models_page_has_a_heading_for_every_model_get_builds(site):
    from minicnn import models

    page = _read(site, "api/models/index.html")
    missing = [
        name
        for name in models.list_models()
        if f'id="minicnn.models.{models.family(name)}.{name}" class="doc doc-heading"' not in page
    ]
    assert not missing, f"api/models: no heading for {missing}"


def test_minicnn_nn_functional_is_minicnn_functional():
    """The API reference lists minicnn.functional once; minicnn.nn.functional has its names."""
    import minicnn.functional as F
    import minicnn.nn.functional as nnF

    names = [n for n in dir(F) if not n.startswith("_")]
    assert [n for n in dir(nnF) if not n.startswith("_")] == names
    assert all(getattr(nnF, n) is getattr(F, n) for n in names)


def test_an_item_naming_several_parameters_becomes_one_per_name(site):
    """ "transform, target_transform: ..." was one parameter the signature lacks, shown as required."""
    safe = _tool("docstring_markdown", "tools/docstring_markdown.py").markdown_safe
    text = safe("Load.\n\nArgs:\n    root: a folder.\n    a, b: the pair,\n        both.\n    c: last.\n")
    assert "    a: the pair,\n        both.\n    b: as for ``a``.\n    c: last." in text
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


def test_class_and_method_names_are_about_as_large_as_the_text(site):
    """mkdocs-material set the API reference's class names (h4) at 13.6 px and its method names
    (h5, greyed) at 10.9 px against the text's 16: extra.css sets them at 16.8 and 15.1 px."""
    css = _read(site, "stylesheets/extra.css")
    h4 = re.search(r"\.md-typeset h4\.doc-heading code\s*\{\s*font-size:\s*([\d.]+)em", css)
    h5 = re.search(r"\.md-typeset h5\.doc-heading,[^{]*\{\s*font-size:\s*([\d.]+)em", css)
    h5_code = re.search(r"\.md-typeset h5\.doc-heading code,[^{]*\{\s*font-size:\s*([\d.]+)em", css)
    assert h4 and h5 and h5_code, "extra.css sets no size for the API reference's names"
    assert float(h4.group(1)) >= 1 and float(h5.group(1)) * float(h5_code.group(1)) >= 0.9
    assert 'id="minicnn.nn.dropconnect.DropConnectLinear.reset_parameters" class="doc doc-heading"' in (
        _read(site, "api/nn/index.html")
    )
