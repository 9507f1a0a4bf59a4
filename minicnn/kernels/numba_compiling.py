"""One line on stderr as this process first compiles one of minicnn's Numba kernels.

The kernels are jitted with ``cache=True``: compiled on their first call on a machine (and
again after their source changes), then loaded from Numba's cache by every later run. That
first compile takes seconds of CPU and says nothing, so a first run looks stuck. Numba fires
its "numba:compile" event only when it really compiles, not when it loads from the cache, so
the line is printed exactly then, once a process. Only on a terminal: a log, a notebook's
saved output or a test's captured stderr keeps to what the program itself says.
"""

import sys

from numba.core import event

MESSAGE = "minicnn: compiling Numba kernels (first run only: later runs load them from Numba's cache) ..."


class FirstCompile(event.Listener):
    """Says MESSAGE as the first of minicnn's kernels starts compiling."""

    def __init__(self):
        self.said = False

    def on_start(self, ev):
        if self.said:
            return
        fn = getattr(ev.data.get("dispatcher"), "py_func", None)
        module = getattr(fn, "__module__", None) or ""  # None for code run by exec()
        if not module.startswith("minicnn."):  # a function of the user's own
            return
        self.said = True
        stream = sys.stderr
        if stream is not None and getattr(stream, "isatty", lambda: False)():
            print(MESSAGE, file=stream, flush=True)

    def on_end(self, ev):
        pass


listener = FirstCompile()
event.register("numba:compile", listener)
