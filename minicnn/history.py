"""History: what ``fit`` returns, one row of metrics (a dict) per epoch.

    history = fit(model, train_loader, optimizer, epochs=3, val_loader=val_loader)
    history["val_acc"]      # [0.91, 0.95, 0.97]: one metric over the epochs
    history[-1]             # {"epoch": 3, "train_loss": 0.08, ..., "val_acc": 0.97}
    "val_acc" in history    # True: some epoch has that metric
    len(history)            # 3: the epochs
    for row in history:     # each epoch's row, as history.json holds them
        print(row["epoch"], row["val_acc"])

A table, then: a name picks a column (a list over the epochs), an int or a slice
picks rows, as a list of rows would.
"""

import difflib
import json
import operator

from . import io


class History:
    """Per-epoch metrics: ``history["val_acc"]`` is the list over epochs.

    Args:
        epochs: the rows, one dict per epoch (``history.json`` holds such a list).

    - ``history[name]``: that metric over the epochs, ``None`` in an epoch
      without it (a run resumed with a ``val_loader`` it first lacked). A name
      no epoch has raises KeyError, with the close name where there is one
      (``"val_accuracy"``, as metrics.json says: did you mean ``"val_acc"``?).
    - ``history[i]``: epoch ``i``'s row (counted from 0, negative from the end);
      ``history[a:b]``: a History of those epochs.
    - ``name in history``: whether some epoch has that metric; ``keys()``
      lists them all.
    - ``len(history)``, ``for row in history``: the epochs and their rows.

    Rows handed out are copies: changing one leaves the History as it was.
    """

    def __init__(self, epochs=None):
        self.epochs = [dict(_row(row, i)) for i, row in enumerate(epochs or [])]

    def append(self, row):
        self.epochs.append(dict(_row(row, len(self.epochs))))

    def keys(self):
        """The metrics' names, in the order the epochs first give them."""
        return list(dict.fromkeys(key for row in self.epochs for key in row))

    def __getitem__(self, key):
        if isinstance(key, str):
            if key not in self:
                raise KeyError(self._unknown(key))
            return [row.get(key) for row in self.epochs]
        if isinstance(key, slice):
            return History(self.epochs[key])
        try:
            i = operator.index(key)
        except TypeError:
            raise TypeError(
                f"History: expected a metric's name (str) or an epoch's index (int), got {type(key).__name__}"
            ) from None
        if not -len(self) <= i < len(self):
            raise IndexError(f"History: epoch index {i} is out of range for {len(self)} epochs")
        return dict(self.epochs[i])

    def __contains__(self, key):
        if not isinstance(key, str):
            raise TypeError(f"History: 'in' asks for a metric's name (str), got {type(key).__name__}")
        return any(key in row for row in self.epochs)

    def __iter__(self):
        return (dict(row) for row in self.epochs)

    def __len__(self):
        return len(self.epochs)

    def last(self):
        """The last epoch's row ({} before the first)."""
        return dict(self.epochs[-1]) if self.epochs else {}

    def to_json(self, path, overwrite=True):
        io.write_atomic(path, json.dumps(self.epochs, indent=1).encode(), overwrite=overwrite)

    def __repr__(self):
        return f"History({len(self)} epochs, last={self.last()})"

    def _unknown(self, key):
        known = self.keys()
        if not known:
            return f"History has no metric {key!r}: it holds no epochs yet"
        close = difflib.get_close_matches(key, known, n=1)
        guess = f"; did you mean {close[0]!r}? It has" if close else "; it has"
        return f"History has no metric {key!r}{guess}: {', '.join(known)}"


def _row(row, i):
    if not isinstance(row, dict):
        raise TypeError(f"History: epoch {i}'s row should be a dict of metrics, got {type(row).__name__}")
    return row
