"""What ``python -m minicnn check`` reads of a submission's source without running it: a name
that would hide a module Python, NumPy or minicnn imports, and functions defined twice (a stub
appended with ``>>`` after the student's own code is the one Python keeps).
"""

import ast
import os
import sys

# the modules a file of the student's may not be named after: Python would import it in their place
SHADOWABLE = frozenset(sys.stdlib_module_names) | {"numpy", "minicnn"}


def syntax_tree(path):
    """The file's syntax tree, or None where it does not parse (loading it will say why)."""
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), filename=path)
    except (SyntaxError, ValueError, OSError, RecursionError, MemoryError):
        return None


def imports_of(tree):
    """The top-level names of the modules the file imports (``import a.b`` -> a)."""
    names = set()
    for node in ast.walk(tree) if tree is not None else ():
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module.split(".")[0])
    return names


def shadowing(path, tree):
    """A sentence when the file, or a module beside it, is named like a module of Python's,
    NumPy or minicnn that gets imported (by them, by the grader or by the file): Python looks in
    the file's folder first, and would import the student's module in its place; else None."""
    folder = os.path.dirname(os.path.abspath(path))
    imported = imports_of(tree) | {"numpy", "minicnn"} | {n.split(".")[0] for n in sys.modules}
    # (module name, the file Python would import, the file in words, a name it could have instead)
    own = os.path.basename(path)[:-3]
    found = [(own, os.path.abspath(path), path, f"my_{own}.py")]
    try:
        entries = sorted(os.listdir(folder))
    except OSError:  # a folder it may not list: its own name is all there is to check
        entries = []
    for entry in entries:
        full = os.path.join(folder, entry)
        if entry.endswith(".py") and os.path.isfile(full) and not os.path.samefile(full, path):
            found.append((entry[:-3], full, f"{entry}, beside {path},", f"my_{entry}"))
        elif os.path.isfile(os.path.join(full, "__init__.py")):
            init = os.path.join(full, "__init__.py")
            found.append((entry, init, f"the folder {entry}, beside {path},", f"my_{entry}"))
    for name, full, what, instead in found:
        if name in SHADOWABLE and name in imported and not _is_the_module(name, full):
            like = {"numpy": "NumPy", "minicnn": "minicnn"}.get(name, f"Python's module {name!r}")
            return (
                f"{what} is named like {like}, so Python would import it in that module's place; "
                f"rename it ({instead}, say) and check again"
            )
    return None


def _is_the_module(name, full):
    """Whether ``full`` is the file the module ``name`` was imported from: minicnn's own folder
    beside a file in a clone of its repository is minicnn, not a stranger named like it."""
    where = getattr(sys.modules.get(name), "__file__", None)
    try:
        return bool(where) and os.path.samefile(where, full)
    except OSError:
        return False


def definitions(tree):
    """{name: [the line of each def]} of the functions defined at the file's top level."""
    lines = {}
    for node in tree.body if tree is not None else ():
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            lines.setdefault(node.name, []).append(node.lineno)
    return lines


def defined_again(name, lines, file, stub=False):
    """A note when ``name`` is defined more than once (stubs appended with >>, say), or ''."""
    if len(lines) < 2:
        return ""
    times = "twice" if len(lines) == 2 else f"{len(lines)} times"
    listed = ", ".join(map(str, lines[:-1])) + f" and {lines[-1]}"
    note = f"{name} is defined {times} in {file} (lines {listed}); the last one (line {lines[-1]}) is graded"
    if stub:
        note += ", and it is still a stub: delete it (or write your code there)"
    return note
