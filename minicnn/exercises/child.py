"""The child process of ``python -m minicnn check``: it loads the student's file and calls the
student's functions on the arguments the parent sends, and nothing else. The parent
(``runner.py``) builds the cases, keeps the time, compares and gives the verdict.

    python -c "from minicnn.exercises.child import main; main()" FILE REQUESTS_FD MESSAGES_FD EXERCISES PARENT

EXERCISES: a JSON object, each exercise's name -> its parameters' names (the parent's, which
knows the exercises a lecturer's file registered; the child never imports that file). PARENT:
the parent's process id; the child ends with it (``processes.die_with_parent``).

Requests, one JSON line each on REQUESTS_FD: {"name", "args": an .npz to read, "out": an .npz
to write, "step"}. Messages, one JSON line each on MESSAGES_FD: {"begin": step} as each step
starts ("load" first), so that the parent can say which one a submission got stuck on; then
{"loaded": the exercises' functions the file defines, and the names of all its functions},
{"done": step} once "out" holds the outputs and the arguments as the call left them, or
{"failed": record} (``calling.record_of``).
"""

import importlib.util
import json
import os
import sys


def main(argv=None):
    path, requests, messages, wanted, parent = (sys.argv[1:] if argv is None else argv)[:5]
    from . import processes

    processes.die_with_parent(int(parent))
    requests, messages, wanted = os.fdopen(int(requests), "r"), int(messages), json.loads(wanted)

    from . import calling, grading, transfer

    def say(message):
        data = (json.dumps(message) + "\n").encode()
        while data:
            data = data[os.write(messages, data) :]

    say({"begin": "load"})
    try:
        module = _load(path)
    except BaseException as err:  # noqa: BLE001 -- the student's file: anything it raises is reported
        say({"failed": calling.record_of(err, in_file=path)})
        return
    defined, elsewhere = {}, {}
    for name, arg_names in wanted.items():
        fn = getattr(module, name, None)
        if not callable(fn):
            continue
        where = getattr(getattr(fn, "__code__", None), "co_filename", None)
        if where and os.path.exists(where) and os.path.samefile(where, path):
            defined[name] = grading.signature_of(fn, arg_names)
        else:
            elsewhere[name] = where or ""
    say({"loaded": {"defined": defined, "elsewhere": elsewhere, "functions": _functions(module, path)}})

    for line in requests:
        request = json.loads(line)
        say({"begin": request["step"]})
        fn = getattr(module, request["name"])
        args = transfer.read(request["args"])
        try:
            out = calling.invoke(fn, args, own_code=True)
        except calling.Stopped as stop:
            say({"failed": stop.record})
            continue
        except BaseException as err:  # noqa: BLE001 -- a KeyboardInterrupt the student raised, say
            say({"failed": calling.record_of(err)})
            continue
        transfer.write(request["out"], {"out": out, "args": list(args)})
        say({"done": request["step"]})


def _functions(module, path):
    """The names of the functions the file itself defines at its top level, in its order."""
    found = []
    for name, value in vars(module).items():
        where = getattr(getattr(value, "__code__", None), "co_filename", None)
        if callable(value) and where and os.path.exists(where) and os.path.samefile(where, path):
            found.append(name)
    return found


def _load(path):
    """The student's file as a module, run as ``python FILE`` would run it (its top-level code),
    with its folder first on the path so that it can import its neighbours. The module is named
    after the file (``mine`` for mine.py), as ``import mine`` would name it, so that what the
    messages show of its objects (``<mine.Node object at ...>``) names the student's file."""
    name = os.path.basename(path)[:-3]
    if not name.isidentifier() or name in sys.modules:
        name = "_exercise_file"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses and pickle look a class's module up there
    folder = os.path.dirname(os.path.abspath(path))
    sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    return module
