"""What kind of object each opcode of a pickle leaves on the unpickler's stack, followed
before the pickle runs, so that no dict key or set member can be slow to hash.

The C unpickler hashes a key as SETITEM, SETITEMS or DICT puts it in a dict, and a
member as ADDITEMS or FROZENSET puts it in a set, with no way to stop it midway:

- a tuple is hashed from its items each time, and is not cached, so a tuple made of
  the same smaller tuple twice, forty levels deep (a few hundred bytes of memo
  references), takes 2**40 steps to hash;
- an int's hash is the int modulo 2**61 - 1, so ints can be made to share one hash,
  and a dict of n of them takes n**2 / 2 comparisons to build (``filecheck.is_key``).

``PickleKinds.step`` is called with each opcode as ``pickletools.genops`` parses it and
mirrors the unpickler's stack, its MARKs and its memo with the kind of each object
("str", "tuple", "int", ...). A key or member must be a str or bytes (hashed once,
with Python's randomised hash) or an int within ``filecheck.KEY_INTS`` (its own hash,
distinct from every other such int's), which is all that a state dict, an optimizer's
state (indices) or a CIFAR-10 batch holds. An opcode that reaches below its MARK, which no
pickler writes, is refused too, so that the walk and the unpickler see the same stack.
"""

from .filecheck import KEY_INTS

KEYS = ("str", "bytes", "int")
_MEMO_PUTS = ("PUT", "BINPUT", "LONG_BINPUT")
_MEMO_GETS = ("GET", "BINGET", "LONG_BINGET")
_IN_PLACE = ("APPEND", "APPENDS", "SETITEM", "SETITEMS", "ADDITEMS", "BUILD")  # leave their target
# the kind of object pickletools' stack types stand for; "any" (a call's result) is an object
_KINDS = {"bytes_or_str": "str", "None": "None", "bytearray": "bytearray", "buffer": "buffer"}
_KINDS.update({name: name for name in ("str", "bytes", "float", "bool", "list", "tuple", "dict")})
_KINDS.update({name: name for name in ("set", "frozenset")})


class _Corrupt(Exception):
    pass


class PickleKinds:
    """The unpickler's stack, MARKs and memo, each object by its kind (see the module docstring).

    ``results`` maps an admitted global, ``"module name"``, to the kind its call returns,
    for one whose result is a key (``_codecs.encode`` makes bytes); any other call makes "object".
    """

    def __init__(self, results):
        self.stack, self.marks, self.memo, self.results = [], [], {}, results

    def step(self, op, arg):
        """Follow one opcode; a one-line reason to refuse the pickle, or None."""
        try:
            keys = self._step(op, arg)
        except _Corrupt as e:
            return f"not a readable pickle (truncated or corrupt): {op.name} {e}"
        bad = next((k for k in keys if k not in KEYS), None)
        if bad is None:
            return None
        kind = bad[0] if isinstance(bad, tuple) else bad
        return (
            f"the pickle makes a dict key or set member of {_noun(kind)}; minicnn reads only "
            f"str, bytes and ints within 2**31 as keys"
        )

    def _pop(self, n):
        fence = self.marks[-1] if self.marks else 0
        if len(self.stack) - n < fence:
            raise _Corrupt("takes more than the stack holds above its MARK")
        popped = self.stack[len(self.stack) - n :]
        del self.stack[len(self.stack) - n :]
        return popped

    def _step(self, op, arg):
        """The kinds ``op`` hashes; the stack, MARKs and memo brought up to date."""
        name, before = op.name, [s.name for s in op.stack_before]
        if name == "MARK":
            self.marks.append(len(self.stack))
        elif name == "POP" and self.marks and self.marks[-1] == len(self.stack):
            self.marks.pop()  # as the unpickler does: POP takes a MARK left on top
        elif name in _MEMO_PUTS or name == "MEMOIZE":
            (top,) = self._pop(1)
            self.stack.append(top)
            self.memo[arg if name != "MEMOIZE" else len(self.memo)] = top
        elif name in _MEMO_GETS:
            if arg not in self.memo:
                raise _Corrupt(f"reads memo slot {arg}, which nothing stored")
            self.stack.append(self.memo[arg])
        elif name == "DUP":
            self.stack.extend(self._pop(1) * 2)
        else:
            return self._apply(op, arg, before)
        return ()

    def _apply(self, op, arg, before):
        name = op.name
        if "mark" in before:
            if not self.marks:
                raise _Corrupt("has no MARK to take its items from")
            start = self.marks.pop()
            items = self.stack[start:]
            del self.stack[start:]
            below = self._pop(before.index("mark"))
        else:
            items, below = [], self._pop(len(before))
        keys = {"SETITEM": below[1:2], "SETITEMS": items[::2], "DICT": items[::2]}.get(name, ())
        keys = items if name in ("ADDITEMS", "FROZENSET") else keys
        if name in _IN_PLACE:
            self.stack.append(below[0])
        elif name == "GLOBAL":
            self.stack.append(("global", arg))
        elif name == "REDUCE":
            callee = below[0][1] if isinstance(below[0], tuple) else None
            self.stack.append(self.results.get(callee, "object"))
        else:
            self.stack.extend(_kind(s.name, arg) for s in op.stack_after)
        return keys


def _kind(stack_type, arg):
    if stack_type in ("int", "int_or_bool"):  # INT's argument is a bool where protocol 0 wrote one
        if isinstance(arg, bool):
            return "bool"
        return "int" if -KEY_INTS <= arg < KEY_INTS else "large int"
    return _KINDS.get(stack_type, "object")


def _noun(kind):
    nouns = {"global": "a class or function", "object": "an object a call made", "None": "None"}
    return nouns.get(kind, ("an " if kind[0] in "aeiou" else "a ") + kind)
