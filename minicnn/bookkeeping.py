"""What a backward pass does beside the chain rule (``Bookkeeping``), kept out of
``autograd.run_backward``'s loop: ``inputs=``, hooks and ``retain_grad()``, refusing a freed node
or an array changed in place, and adding into ``.grad`` all at once at the end.
"""

from __future__ import annotations

from . import in_place
from .node import Node
from .node import _links as links


def _leading_to(order, leaves, nodes):
    """The nodes whose backward must run for the gradients of the wanted ``leaves`` and
    ``nodes`` (ids): those with one of them below. (A wanted node needs only its output's
    gradient, not its own backward.)"""
    needed = set()
    for fn in reversed(order):  # each node after the nodes below it
        if fn.freed:  # its inputs are gone; it must run (and so is refused) if its links lead on
            if id(fn) not in nodes and _links_lead_to(fn, leaves, nodes):
                needed.add(id(fn))
            continue
        for t in fn.inputs:
            if t is not None and (
                id(t) in leaves if t._fn is None else id(t._fn) in nodes or id(t._fn) in needed
            ):
                needed.add(id(fn))
                break
    return needed


def _links_lead_to(fn, leaves, nodes):
    """Whether the links that a freed node keeps (node.py) reach a wanted leaf or node."""
    stack, seen = [fn], set()
    while stack:
        for t in links(stack.pop()):
            if t is None:
                continue
            if not isinstance(t, Node):
                if id(t) in leaves:
                    return True
            elif id(t) in nodes:
                return True
            elif id(t) not in seen:
                seen.add(id(t))
                stack.append(t)
    return False


class Bookkeeping:
    """What a backward pass does beside the chain rule, kept out of ``run_backward``'s loop,
    which calls ``before_backward`` only for a node where one of these has something to do:

    - ``inputs=`` runs only the nodes that lead to an input: the others' gradients would be
      thrown away;
    - hooks (``register_hook``) see a node's output gradient before its backward, and may
      replace it; ``retain_grad()`` keeps what they leave, as PyTorch;
    - a freed node is refused: it dropped what its backward reads (``retain_graph=False``);
    - so is an array changed in place since the forward: the gradient would be of other numbers;
    - a node no gradient reached is freed unrun;
    - ``commit``, once at the end: nothing reaches ``.grad`` before every node has run, so a
      pass that fails half-way changes none.
    """

    def __init__(self, order, inputs, accumulate, retain_graph):
        self.inputs, self.accumulate, self.retain_graph = inputs, accumulate, retain_graph
        self.leaves = self.nodes = self.needed = None  # None: no inputs=, every node runs
        if inputs is not None:
            # inputs=: the wanted leaves, and the nodes whose output is wanted (ids), and, since
            # the others' gradients would be thrown away, only the nodes that lead to them run
            self.leaves = {id(x) for x in inputs if x._fn is None}
            self.nodes = {id(x._fn) for x in inputs if x._fn is not None}
            self.needed = _leading_to(order, self.leaves, self.nodes)
        self.captured = {}  # a wanted node -> the gradient of its output (inputs= only)
        self.retained = []  # (a retain_grad() tensor, its gradient), added at the end

    def before_backward(self, fn, gy):
        """fn's output gradient once checked and through its hooks, or None where fn's backward
        is not to run (no gradient reached it, or inputs= does not need it)."""
        wanted = self.nodes is not None and id(fn) in self.nodes
        runs = self.needed is None or id(fn) in self.needed
        # NOTE: an input's own node need not run (its output's gradient is what is asked), and
        # with inputs a freed node no gradient reaches is left alone; any other is refused
        if fn.freed and (gy is not None or self.needed is None) and not wanted:
            raise RuntimeError(
                "Trying to backward through the graph a second time: an earlier backward() or "
                "autograd.grad() freed it (each op dropped its inputs and what it kept for its "
                "gradient). Pass retain_graph=True to the first call if you need to."
            )
        if gy is None or not (runs or wanted):
            if not self.retain_graph and self.needed is None:
                fn.free()  # no gradient reached fn (e.g. only integer inputs): done with it
            return None
        if fn._hooks is not None:  # hooks on fn's output: they may replace its gradient gy
            gy = fn._hooks(gy)
            kept = fn._hooks.retained()
            if kept is not None:  # retain_grad(): its .grad gets gy with the leaves', at the end
                self.retained.append((kept, gy))
        if wanted:
            self.captured[id(fn)] = gy
        if not runs:
            return None
        if in_place.changes[0] != fn.tick:  # something changed in place since this forward:
            in_place.check_unchanged(fn)  # refuse it if fn kept that array (in_place.py)
        return gy

    def commit(self, leaves):
        """All or nothing: only now that every node has run do the leaves' hooks run (once each,
        on the summed gradient) and ``.grad`` change, so a pass that failed half-way changed
        none. Returns the inputs' gradients for ``autograd.grad``, else None."""
        done = [(x, g if x._hooks is None else x._hooks(g)) for x, g in leaves.values()]
        for t, g in self.retained:
            t._accumulate(g)
        if self.inputs is None or self.accumulate:
            for x, g in done:
                x._accumulate(g)
            return None
        at_leaf = {id(x): g for x, g in done}
        return [at_leaf.get(id(x)) if x._fn is None else self.captured.get(id(x._fn)) for x in self.inputs]
