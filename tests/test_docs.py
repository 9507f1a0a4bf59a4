"""The documentation site builds in strict mode (every link, every API page) and has its pages."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PAGES = ("index.html", "install/index.html", "tutorial/index.html", "engine/index.html",
         "ops/conv2d/index.html", "ops/pooling/index.html", "ops/batchnorm/index.html",
         "models/resnet/index.html", "performance/index.html", "api/tensor/index.html")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    pytest.importorskip("mkdocstrings_handlers.python")
    out = tmp_path_factory.mktemp("site")
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    return out, result


def test_strict_build_succeeds(site):
    out, result = site
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("page", PAGES)
def test_page_is_built(site, page):
    out, result = site
    assert result.returncode == 0, result.stderr
    assert os.path.isfile(os.path.join(out, page)), f"{page} missing from the built site"


def test_api_pages_hold_docstrings(site):
    out, result = site
    assert result.returncode == 0, result.stderr
    with open(os.path.join(out, "api", "tensor", "index.html"), encoding="utf-8") as f:
        html = f.read()
    assert 'id="minicnn.tensor.Tensor"' in html      # mkdocstrings rendered the class
    with open(os.path.join(out, "ops", "conv2d", "index.html"), encoding="utf-8") as f:
        html = f.read()
    assert "col2im" in html and "arithmatex" in html   # the derivation, with its math
