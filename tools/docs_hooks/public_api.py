"""griffe extension: the API reference shows the public API, and no helper of the code behind it.

A page such as ``::: minicnn.functional`` with ``show_submodules`` shows what each file of the
package defines; without this extension a student would read ``check_eps``, ``normalized_dims``
and the ``Function`` classes there as if ``F.check_eps`` were something to call. The public API
is what a user reaches: the names of the namespaces in ``NAMESPACES`` (each one's ``__all__``
where it has one, else its ``dir()`` without underscores and without its submodules) and the
methods of ``mc.Tensor``, which are attached from ``minicnn.functional``.

Each object griffe loads from ``minicnn`` is given ``public`` (which the site's
``filters: public`` reads):

- a name with a leading underscore: never;
- a function or class: public when it is the object one of those names gives (or the function
  a name wraps: ``F.add`` takes ``out=`` around ``basic.add``);
- another module-level value: when a namespace has it under the same name;
- an import (an alias): only where its module lists it in ``__all__``, so each object is shown
  once, where it is defined, as before;
- a member of a class: when its name has no leading underscore;
- a module: when it defines something public, so a file of helpers shows no empty heading.

A public class whose base is hidden is shown with that base's own bases instead (as
``PublicBases`` does for a base with a private name), and where the hidden base is a mixin (a
class with no base of its own: ``Module``'s hooks and ``state_dict``) its members are shown as
the public class's own, since they are what a user calls on it.
"""

import importlib
import inspect
import os
import sys
import types
from typing import Any

from griffe import Alias, Extension

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The modules whose names a user reaches: mc.name, F.name, nn.Name, nn.init.name, T.Name, ...
NAMESPACES = (
    "minicnn",
    "minicnn.autograd",
    "minicnn.backend",
    "minicnn.cuda",
    "minicnn.data",
    "minicnn.data.transforms",
    "minicnn.distributed",
    "minicnn.functional",
    "minicnn.gradcheck",
    "minicnn.io",
    "minicnn.kernels",
    "minicnn.models",
    "minicnn.nn",
    "minicnn.nn.functional",
    "minicnn.nn.init",
    "minicnn.nn.utils",
    "minicnn.optim",
    "minicnn.optim.lr_scheduler",
    "minicnn.train",
    "minicnn.viz",
    "minicnn.weights",
)

# Shown though no name reaches them, each for the reason given
DOCUMENTED = {
    # the node a leaf shows in grad_fn.next_functions, with its .variable (docs/engine.md)
    "minicnn.node.AccumulateGrad": "next_functions",
}


def public_names(module: types.ModuleType) -> list[str]:
    """A namespace's public names: its ``__all__``, else ``dir()`` without underscores."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in dir(module) if not n.startswith("_")]
    return [n for n in names if not isinstance(getattr(module, n, None), types.ModuleType)]


def public_objects() -> tuple[set[int], set[tuple[str, int]]]:
    """The ids of the functions and classes a user reaches, and (name, id) of the other values."""
    if ROOT not in sys.path:
        sys.path.insert(0, ROOT)  # this checkout's minicnn, as mkdocstrings' paths: [.]
    import minicnn

    callables: set[int] = set()
    values: set[tuple[str, int]] = set()

    def add(name, obj):
        if callable(obj) or isinstance(obj, type):
            callables.update({id(obj), id(inspect.unwrap(obj))})
        else:
            values.add((name, id(obj)))

    for path in NAMESPACES:
        module = importlib.import_module(path)
        for name in public_names(module):
            add(name, getattr(module, name))
    for name in dir(minicnn.Tensor):
        if not name.startswith("_"):
            member = inspect.getattr_static(minicnn.Tensor, name)
            add(name, member.fget if isinstance(member, property) else member)
    return callables, values


def _runtime(obj: Any) -> Any:
    """The object a module-level griffe object is when its module is imported; None if that
    module was never imported (nothing public lives there) or lacks the name."""
    module = sys.modules.get(obj.parent.path)
    return getattr(module, obj.name, None) if module is not None else None


class PublicAPI(Extension):
    """Marks each object of minicnn public or not, as the module docstring says."""

    def on_package(self, *, pkg: Any, loader: Any, **kwargs: Any) -> None:
        if pkg.path != "minicnn":
            return
        callables, values = public_objects()

        def is_public(obj):
            if obj.path in DOCUMENTED:
                return True
            if obj.name.startswith("_"):  # (Tensor's methods are attached from _-named functions)
                return False
            value = _runtime(obj)
            if value is None:
                return False
            if obj.is_function or obj.is_class:
                return id(value) in callables or id(inspect.unwrap(value)) in callables
            return (obj.name, id(value)) in values

        classes = []

        def mark(module):
            shown = False
            for member in list(module.members.values()):
                if member.is_alias:
                    member.public = bool(module.exports) and member.name in module.exports
                elif member.is_module:
                    member.public = mark(member)
                else:
                    member.public = is_public(member)
                    if member.is_class:
                        _mark_members(member)
                        if member.public:
                            classes.append(member)
                shown = shown or bool(member.public and not member.is_alias)
            return shown

        mark(pkg)
        for cls in classes:
            _show_public_bases(cls)


def _mark_members(cls):
    for member in cls.members.values():
        if not member.inherited:
            member.public = not member.name.startswith("_")
            if member.is_class and not member.is_alias:
                _mark_members(member)


def _resolved(cls, base):
    path = getattr(base, "canonical_path", str(base))
    try:
        return cls.modules_collection[path]
    except KeyError:  # not loaded (another package's class): kept as it is
        return None


def _show_public_bases(cls):
    """Replace each hidden base of ``cls`` by its own bases, until each is shown; a hidden
    mixin's members become ``cls``'s."""
    bases, todo, seen = [], list(cls.bases), set()
    while todo:
        base = todo.pop(0)
        target = _resolved(cls, base)
        if target is None or not getattr(target, "is_class", False) or target.public is not False:
            bases.append(base)
            continue
        if target.path in seen:
            continue
        seen.add(target.path)
        if not target.bases:  # a mixin: what it adds is the public class's
            for name, member in target.members.items():
                if not name.startswith("_") and name not in cls.members:
                    alias = Alias(name, member, parent=cls)
                    alias.public = True
                    cls.set_member(name, alias)
        todo[:0] = target.bases
    cls.bases = list({str(b): b for b in bases}.values())
