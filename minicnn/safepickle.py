"""Unpickling that admits only named globals, for the pickle-based formats minicnn reads.

Two formats that minicnn reads are pickles: CIFAR-10's python batches and the
``data.pkl`` inside a PyTorch ``.pth``. A pickle is a small program: its
GLOBAL opcodes name any importable callable (``os.system``) and REDUCE calls it.
``RestrictedUnpickler`` runs such a program with the callables replaced:

- ``find_class`` answers only for the (module, name) pairs a format admits, and
  hands back minicnn's own stand-in for each, never the named object itself;
  anything else is refused before it is imported, so its code never runs;
- a stand-in is fresh per lookup, so BUILD (which sets attributes) cannot alter it;
- before the first opcode runs, ``check_stream`` walks the whole stream with
  ``pickletools.genops`` (which only parses): every length must lie within the
  data and every memo index must be one the stream could have filled. The C
  unpickler sets aside memory for a length or a memo index before reading, so
  unchecked they would let a few bytes claim gigabytes;
- the same walk follows the kind of each object on the unpickler's stack and in its
  memo (``pickle_kinds``), and refuses a dict key or set member that is not a str,
  bytes or small int, before anything is hashed: a tuple shared at every level of a
  tower hashes in 2**depth steps inside the C unpickler, where Ctrl-C never runs, and
  large ints can be made to share one hash, which makes building a dict quadratic;
- what the stream can make is counted against the read limit before it runs
  (each opcode at most one object, or one string as long as its own text), and
  an admitted function that builds something a memoised argument can make big
  (a dict of a list of pairs, bytes of a str) counts it with ``claim`` each call,
  since the stream can pass one argument any number of times for a few bytes.

Every failure, however the damaged stream trips the unpickler, becomes the
caller's error type with one line naming the file. What the pickle made is never
formatted whole into a message: ``shown`` gives a bounded glimpse of it.
"""

import io
import pickle
import pickletools
import sys
import warnings
from collections.abc import Callable

import numpy as np

from .filecheck import check_claim
from .pickle_kinds import PickleKinds

_MEMO_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")
# The most memory one opcode makes, besides a string's text: an empty set is 216 bytes,
# about 240 with its slot in a list and the list's spare room; twice that leaves room for
# the copy minicnn.pth makes of the dicts and lists around the tensors
OPCODE_BYTES = 512


def describe(err):
    """``TypeName: message`` on one line and at most 200 characters, for wrapping a foreign error."""
    text = " ".join(f"{type(err).__name__}: {err}".split())
    return text if len(text) <= 200 else text[:197] + "..."


def shown(value, width=60):
    """A glimpse of ``value`` from a file for a message, made in time bounded by ``width``.

    ``f"{value!r:.60}"`` builds the whole repr before cutting it, and a pickle or a JSON
    header can make a value whose repr is gigabytes (one list referenced at every level
    of a tower) or whose digits take minutes to write out: only short text, small
    numbers and short lists of them are shown, anything else by its type and size.
    """
    if isinstance(value, (np.generic, np.ndarray)) and value.ndim == 0:  # a NumPy scalar mc.load made
        value = value.item()
    if isinstance(value, (str, bytes)):
        text = repr(value[:width])
        return text if len(value) <= width else text + "..."
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return repr(value)
    if isinstance(value, int):  # NOTE: writing an int's digits takes time quadratic in their number
        if value.bit_length() > 4096:
            return f"an int of {value.bit_length()} bits"
        text = str(value)
        return text if len(text) <= width else text[:width] + "..."
    if isinstance(value, (list, tuple)) and len(value) <= 8 and width > 0:
        parts = [shown(v, width // 4) for v in value]
        inner = ", ".join(parts) + ("," if isinstance(value, tuple) and len(value) == 1 else "")
        if len(inner) <= width:
            return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    kind = type(value).__name__
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    size = f" of {len(value)} items" if isinstance(value, (list, tuple, dict, set, frozenset)) else ""
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind}{size}"


def check_stream(data, error, where, results=None):
    """The most bytes unpickling ``data`` can make before any admitted function runs.

    Raises ``error`` unless ``data`` parses as one pickle whose lengths and memo indices
    are sane and whose dict keys and set members are all str, bytes or small ints.
    ``results`` gives the kind an admitted function returns ({"module name": "bytes"}),
    where one makes keys.
    """
    made = 0
    kinds = PickleKinds(results or {})
    try:
        with warnings.catch_warnings():  # genops warns of bad escapes in protocol 0 strings
            warnings.simplefilter("ignore", DeprecationWarning)
            for count, (op, arg, _) in enumerate(pickletools.genops(data)):
                if op.name in _MEMO_PUTS and not 0 <= arg <= count:
                    raise error(
                        f"{where}: the pickle stores to memo slot {arg} after {count} "
                        "opcodes; the file is corrupt"
                    )
                # genops decodes a string as the unpickler will, so its size is the real one
                made += OPCODE_BYTES + (0 if arg is None else sys.getsizeof(arg))
                why = kinds.step(op, arg)
                if why:
                    raise error(f"{where}: {why}")
        return made
    except error:
        raise
    except Exception as e:  # genops raises ValueError, EOFError, struct.error, ... on damage
        raise error(f"{where}: not a readable pickle (truncated or corrupt): {describe(e)}") from None


class Refused(pickle.UnpicklingError):
    """Raised by a stand-in given arguments its format never uses; reported as the file's error."""


class _StandIn:
    """What ``find_class`` returns for an admitted global: calling it calls minicnn's own function."""

    __slots__ = ("name", "fn")

    def __init__(self, name, fn):
        self.name, self.fn = name, fn

    def __call__(self, *args, **kwargs):
        return self.fn(*args, **kwargs)

    def __setstate__(self, state):
        raise Refused(f"the pickle tries to set the state of {self.name}")


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler over bytes that admits only ``self.admitted``: {(module, name): function}.

    Subclasses set ``admitted`` and ``refusal`` (the end of the message for a
    refused global) and may define ``persistent_load``. The admitted functions
    raise ``Refused`` for arguments their format never passes.

    ``held`` is what the caller already holds, in bytes: the data, what the stream
    makes and all that ``claim`` counts are added to it and checked against the read limit.
    """

    admitted: dict[tuple[str, str], Callable[..., object]] = {}
    refusal = "the format admits nothing else"
    results: dict[str, str] = {}  # what ``check_stream`` takes an admitted function to return

    def __init__(self, data, error, where, encoding="ASCII", held=0):
        made = check_stream(data, error, where, self.results)
        super().__init__(io.BytesIO(data), encoding=encoding)
        copied = 0 if isinstance(data, bytes) else len(data)  # BytesIO copies all but bytes
        self.error, self.where, self.held = error, where, held + len(data) + copied
        self.claim(made, "the objects its pickle makes")

    def claim(self, nbytes, what):
        """Count ``nbytes`` more against the read limit, with everything counted before."""
        check_claim(self.held + nbytes, f"{what} (with all read before it)", self.where, self.error)
        self.held += nbytes

    def find_class(self, module, name):
        fn = self.admitted.get((module, name))
        if fn is None:
            named = f"{module}.{name}"
            named = named if named.isprintable() and len(named) <= 80 else shown(named, 80)
            raise self.error(f"{self.where}: refusing to load {named}: {self.refusal}")
        return _StandIn(f"{module}.{name}", fn)

    def load(self):
        """The unpickled object; any failure is ``self.error`` naming the file."""
        try:
            return super().load()
        except self.error:
            raise
        except Refused as e:
            raise self.error(f"{self.where}: {e}") from None
        except Exception as e:  # a damaged pickle trips the unpickler in many ways
            raise self.error(f"{self.where}: cannot unpickle (truncated or corrupt): {describe(e)}") from None
