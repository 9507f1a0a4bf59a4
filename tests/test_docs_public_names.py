"""The API reference shows the public API and nothing else.

A page shows what a user reaches as ``mc.name``, ``F.name``, ``nn.Name``, ``T.Name``, ...:
no check helper (``check_eps``), no ``Function`` class (``LayerNorm`` of functional/), no
mixin that ``Module`` is built from. The site is built once (conftest.py's ``site``);
tools/docs_hooks/public_api.py decides what is shown, and the check below decides again from
the running package, so that a change to either is caught.
"""

import glob
import importlib
import importlib.util
import inspect
import os
import re
import types

import pytest
from docs_site import _resolve, _tool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The architectures models.get builds are shown class by class, with their papers' tables
EXEMPT = ("api/models/index.html",)
HEADING = re.compile(r'id="(minicnn(?:\.\w+)*)"\s+class="doc doc-heading"')


def _hook():
    return _tool("public_api", "tools/docs_hooks/public_api.py")


def _public():
    """{id: how a user reaches it} of every function, class and value of the public namespaces
    and of ``mc.Tensor``'s methods, and the functions they wrap."""
    import minicnn as mc

    reach = {}

    def add(obj, how):
        for o in (obj, inspect.unwrap(obj) if callable(obj) else obj):
            reach.setdefault(id(o), how)

    for path in _hook().NAMESPACES:
        module = importlib.import_module(path)
        names = getattr(module, "__all__", None) or [n for n in dir(module) if not n.startswith("_")]
        for name in names:
            obj = getattr(module, name)
            if not isinstance(obj, types.ModuleType):
                add(obj, f"{path}.{name}")
    for name in dir(mc.Tensor):
        if not name.startswith("_"):
            member = inspect.getattr_static(mc.Tensor, name)
            add(member.fget if isinstance(member, property) else member, f"Tensor.{name}")
    return reach


def _is_public(i, shown, reach, documented):
    """Whether heading ``i`` is public: a name a user reaches, a module heading over such names
    (not a file of helpers), or a member of a public class (an operator such as ``__add__`` too)."""
    obj = _resolve(i)
    if i in documented:
        return True
    if isinstance(obj, types.ModuleType):
        return any(j.startswith(i + ".") and _is_public(j, shown, reach, documented) for j in shown)
    if obj is not None and id(obj) in reach:
        return True
    parent, name = i.rsplit(".", 1)
    special = name.startswith("__") and name.endswith("__")
    return (
        (not name.startswith("_") or special)
        and isinstance(_resolve(parent), type)
        and _is_public(parent, shown, reach, documented)
    )


def not_public(site):
    """{page: [heading ids of the page that are not public API]} of the built API reference."""
    reach, documented = _public(), _hook().DOCUMENTED
    found = {}
    for path in sorted(glob.glob(os.path.join(site, "api", "*", "index.html"))):
        page = os.path.relpath(path, site).replace(os.sep, "/")
        if page in EXEMPT:
            continue
        with open(path, encoding="utf-8") as f:
            ids = HEADING.findall(f.read())
        bad = [i for i in ids if not _is_public(i, set(ids), reach, documented)]
        if bad:
            found[page] = bad
    return found


def test_the_namespaces_cover_every_public_module():
    import minicnn as mc

    namespaces = _hook().NAMESPACES
    assert not [m for m in mc._PUBLIC_MODULES if f"minicnn.{m}" not in namespaces]


def test_no_api_page_shows_a_name_that_is_not_public(site):
    found = not_public(site)
    assert not found, "API pages show names no user reaches:\n" + "\n".join(
        f"{page}: {len(ids)}, {', '.join(ids[:8])}" for page, ids in found.items()
    )
    with open(os.path.join(site, "api", "functional", "index.html"), encoding="utf-8") as f:
        functional = f.read()
    assert 'id="minicnn.functional.sample_norm.layer_norm"' in functional
    assert 'id="minicnn.functional.sample_norm.check_eps"' not in functional


@pytest.mark.parametrize(
    "name, public",
    [
        ("minicnn.functional.activation.relu", True),
        ("minicnn.functional.cumulative.all", True),  # x.all()
        ("minicnn.nn.module.Module.state_dict", True),
        ("minicnn.node.AccumulateGrad", True),
        ("minicnn.functional.sample_norm.check_eps", False),
        ("minicnn.functional.sample_norm.LayerNorm", False),
        ("minicnn.functional.out_arg.takes_out", False),
        ("minicnn.nn.module_hooks.HooksMixin", False),
        ("minicnn.optim.schedule_checks.check_number", False),
    ],
)
def test_the_check_tells_public_names_from_helpers(tmp_path, name, public):
    page = tmp_path / "api" / "x"
    page.mkdir(parents=True)
    (page / "index.html").write_text(f'<h3 id="{name}" class="doc doc-heading">x</h3>', encoding="utf-8")
    assert not_public(tmp_path) == ({} if public else {"api/x/index.html": [name]})
