"""The autograd graph behind a tensor: its edges, and a picture of them.

The picture is drawn in layers (Sugiyama's method, as graphviz's ``dot`` does): each
node gets a row, the leaves at the top and the output at the bottom, and an edge that
skips rows passes through each row between as a point of its own, placed beside that
row's boxes like one more node. So no edge runs through a box, and every arrow ends on
the top edge of the box it enters.
"""

import numpy as np

from ..tensor import Tensor

# Sizes in inches (one data unit is one inch): a monospace label's width is known from
# its length alone, 0.6 em a character (DejaVu Sans Mono) at FONT_PT points.
FONT_PT = 10
CHAR_W = 0.6 * FONT_PT / 72
BOX_H, PAD, GAP, ROW_GAP, PASS_W = 0.32, 0.1, 0.3, 0.9, 0.12


def graph_edges(tensor, names=None):
    """(parent, child) names of the autograd graph behind a tensor.

    Ops are named ``Type#k`` (k counts from 0 at the output, so two ops of one
    type stay apart); leaves are ``NAME (shape)`` for those named in ``names``
    (a dict of name -> leaf Tensor, such as ``{"a": a, "b": b}``) and
    ``leaf k (shape)`` for the others, k counting them in the order they are
    found. A leaf used twice is one node, with one edge per use.
    """
    return _graph("graph_edges", tensor, names)[0]


def _graph(who, tensor, names):
    """(edges, the names of the leaves) of the graph behind ``tensor``."""
    given = _check_names(who, names)
    if tensor._fn is None:
        return [], set()
    ops, leaves, found = {}, {}, {}

    def op_name(fn):
        return ops.setdefault(id(fn), f"{type(fn).__name__}#{len(ops)}")

    def leaf_name(t):
        if id(t) not in leaves:
            if id(t) in given:
                leaves[id(t)] = f"{given[id(t)]} {tuple(t.shape)}"
            else:
                unnamed = sum(1 for k in leaves if k not in given)
                leaves[id(t)] = f"leaf {unnamed} {tuple(t.shape)}"
            found[id(t)] = t
        return leaves[id(t)]

    edges, seen, stack = [], set(), [tensor._fn]
    op_name(tensor._fn)
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        for t in fn.inputs:
            if t is None:  # an optional input left out (a conv without bias)
                continue
            if t._fn is None:
                edges.append((leaf_name(t), op_name(fn)))
            else:
                edges.append((op_name(t._fn), op_name(fn)))
                stack.append(t._fn)
    missing = [name for key, name in given.items() if key not in found]
    if missing:
        raise ValueError(
            f"{who}: names {', '.join(map(repr, missing))} are not leaves of the graph behind "
            f"this tensor (its leaves: {', '.join(leaves.values())})"
        )
    return edges, set(leaves.values())


def _check_names(who, names):
    """{id(tensor): name} of ``names``, a dict of name -> Tensor, each tensor named once."""
    if names is None:
        return {}
    if not isinstance(names, dict):
        raise TypeError(f"{who}: names is a dict of name -> Tensor, got {type(names).__name__}")
    given = {}
    for name, t in names.items():
        if not isinstance(name, str) or not isinstance(t, Tensor):
            raise TypeError(
                f"{who}: names maps a str to a Tensor, got {type(name).__name__} -> {type(t).__name__}"
            )
        if id(t) in given:
            raise ValueError(f"{who}: names {given[id(t)]!r} and {name!r} are one tensor")
        given[id(t)] = name
    return given


def _rows(edges, leaves):
    """Each node's row: an op one below its lowest input op (row 1 if it reads leaves only),
    a leaf one above the highest op that reads it."""
    ops = list(dict.fromkeys(n for edge in edges for n in edge if n not in leaves))
    row = dict.fromkeys(ops, 1)
    for _ in ops:  # longest path from the leaves: one pass per op is enough
        for a, b in edges:
            if a not in leaves:
                row[b] = max(row[b], row[a] + 1)
    for leaf in dict.fromkeys(a for a, _ in edges if a in leaves):
        row[leaf] = min(row[b] for a, b in edges if a == leaf) - 1
    return row


def _layout(edges, leaves):
    """Where everything goes: ({node: (x, y, width)}, [(parent, child, [(x, y), ...])]).

    Each edge's points run from a port on its parent's bottom edge, through the rows it
    crosses (two points each, one above the other, at that row's passage), to a port on
    its child's top edge. Rows are ROW_GAP apart, the first at y = 0, going down.
    """
    row = _rows(edges, leaves)
    width = {n: CHAR_W * len(_label(n, leaves)) + 2 * PAD for n in row}
    # items of each row: the nodes, and ("pass", k, r) where edge k crosses row r
    items, chain = {}, []
    for n in row:
        items.setdefault(row[n], []).append(n)
    for k, (a, b) in enumerate(edges):
        passes = [("pass", k, r) for r in range(row[a] + 1, row[b])]
        for p in passes:
            items.setdefault(p[2], []).append(p)
            width[p] = PASS_W
        chain.append([a, *passes, b])
    above, below = {}, {}  # an item's neighbours in the rows next to its own
    for path in chain:
        for u, v in zip(path, path[1:]):
            below.setdefault(u, []).append(v)
            above.setdefault(v, []).append(u)
    x = {}
    for r in sorted(items):
        _place(items[r], {i: 0.0 for i in items[r]}, width, x)
    levels = sorted(items)
    for _ in range(4):  # barycentre sweeps: down, then up
        for r in levels[1:]:
            _place(items[r], _wanted(items[r], above, x), width, x)
        for r in levels[-2::-1]:
            _place(items[r], _wanted(items[r], below, x), width, x)
    for r in levels[1:]:
        _place(items[r], _wanted(items[r], above, x), width, x)
    y = {i: -ROW_GAP * r for r in items for i in items[r]}
    ports = _ports(chain, x, width)
    lines = []
    for k, path in enumerate(chain):
        points = [(ports[k, "out"], y[path[0]] - BOX_H / 2)]
        for p in path[1:-1]:
            points += [(x[p], y[p] + BOX_H / 2), (x[p], y[p] - BOX_H / 2)]
        points.append((ports[k, "in"], y[path[-1]] + BOX_H / 2))
        lines.append((path[0], path[-1], points))
    return {n: (x[n], y[n], width[n]) for n in row}, lines


def _wanted(row_items, neighbours, x):
    """Where each item of a row would like to be: the mean x of its neighbours in the row
    swept from, or where it is when it has none there."""
    return {
        i: float(np.mean([x[j] for j in neighbours[i]])) if neighbours.get(i) else x[i] for i in row_items
    }


def _place(row_items, wanted, width, x):
    """Order a row by where its items want to be, then set them apart by their widths and
    GAP, as close to those places as the order allows (the row shifted as a whole)."""
    row_items.sort(key=lambda i: wanted[i])
    placed = []
    for i in row_items:
        least = placed[-1][1] + (width[placed[-1][0]] + width[i]) / 2 + GAP if placed else -np.inf
        placed.append((i, max(wanted[i], least)))
    shift = float(np.mean([wanted[i] - at for i, at in placed]))
    for i, at in placed:
        x[i] = at + shift


def _ports(chain, x, width):
    """{(edge, "out" or "in"): x}: a node's edges leave its bottom edge and enter its top
    edge spread over its width, in the order of where they go or come from."""
    ends = {}
    for k, path in enumerate(chain):
        ends.setdefault((path[0], "out"), []).append((x[path[1]], k))
        ends.setdefault((path[-1], "in"), []).append((x[path[-2]], k))
    ports = {}
    for (node, side), found in ends.items():
        found.sort()
        for m, (_, k) in enumerate(found):
            ports[k, side] = x[node] - width[node] / 2 + width[node] * (m + 1) / (len(found) + 1)
    return ports


def _label(node, leaves):
    return node if node in leaves else node.split("#")[0]


def _curve(points, steps=16):
    """The path through ``points``: straight down through a row's passage, and between two
    rows a cubic Bezier that leaves and arrives vertically (so it stays between them)."""
    out = [points[0]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        if x0 == x1:
            out.append((x1, y1))
            continue
        t = np.linspace(0, 1, steps)[1:, None]
        mid = (y0 + y1) / 2
        controls = np.array([(x0, y0), (x0, mid), (x1, mid), (x1, y1)])
        weights = np.hstack([(1 - t) ** 3, 3 * (1 - t) ** 2 * t, 3 * (1 - t) * t**2, t**3])
        out += [tuple(p) for p in weights @ controls]
    return np.array(out)


def plot_graph(tensor, names=None):
    """The autograd graph of a small expression, top to bottom: the leaves in the first
    row, each op one row below its lowest input, the output last. Arrows run from an
    input to the op that reads it, one per use (a tensor used twice has two).

    Args:
        tensor: the result whose graph is drawn (before ``backward()`` frees it).
        names: a dict of name -> leaf Tensor, to label those leaves by name
            (``{"a": a, "b": b}``); the others are ``leaf k``, as in ``graph_edges``.

    Each box is an artist with the node's name (``graph_edges``') as its gid, each edge's
    line has the gid ``"parent -> child"``.
    """
    from . import _plt

    plt = _plt()
    edges, leaves = _graph("plot_graph", tensor, names)
    if not edges:
        raise ValueError(
            f"plot_graph: the tensor of shape {tuple(tensor.shape)} has no graph "
            "behind it (a leaf, made under no_grad, or freed by backward(); "
            "plot before backward or pass retain_graph=True)"
        )
    from matplotlib.patches import FancyBboxPatch

    boxes, lines = _layout(edges, leaves)
    left = min(x - w / 2 for x, _, w in boxes.values()) - 0.2
    right = max(x + w / 2 for x, _, w in boxes.values()) + 0.2
    top, bottom = BOX_H / 2 + 0.2, min(y for _, y, _ in boxes.values()) - BOX_H / 2 - 0.2
    for _, _, points in lines:
        xs = [p[0] for p in points]
        left, right = min(left, min(xs) - 0.2), max(right, max(xs) + 0.2)
    fig = plt.figure(figsize=(right - left, top - bottom))
    ax = fig.add_axes((0, 0, 1, 1))
    for parent, child, points in lines:
        path = _curve(points)
        ax.plot(path[:, 0], path[:, 1], color="gray", lw=1, zorder=1, gid=f"{parent} -> {child}")
        ax.annotate(
            "",
            xy=points[-1],
            xytext=(points[-1][0], points[-1][1] + 0.12),
            arrowprops=dict(arrowstyle="-|>", color="gray", lw=1, shrinkA=0, shrinkB=0),
            zorder=2,
        )
    for node, (x, y, w) in boxes.items():
        leaf = node in leaves
        box = FancyBboxPatch(
            (x - w / 2, y - BOX_H / 2),
            w,
            BOX_H,
            boxstyle="round,pad=0,rounding_size=0.06",
            fc="lightyellow" if leaf else "lightblue",
            ec="black",
            lw=0.8,
            zorder=3,
            gid=node,
        )
        ax.add_patch(box)
        ax.text(
            x, y, _label(node, leaves), ha="center", va="center", family="monospace", size=FONT_PT, zorder=4
        )
    ax.set_xlim(left, right)
    ax.set_ylim(bottom, top)
    ax.axis("off")
    return fig
