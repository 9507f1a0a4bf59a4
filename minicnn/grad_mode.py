"""Whether ops record the graph: on by default, off inside ``with mc.no_grad():``.

Evaluation and parameter updates need no backward; under ``no_grad`` an op neither records
its node nor keeps anything for a backward, which saves the memory of the activations.
"""

_grad_enabled = [True]


class no_grad:
    """Context (and decorator) in which ops record no graph: for evaluation and updates."""

    def __enter__(self):
        self.previous = _grad_enabled[0]
        _grad_enabled[0] = False

    def __exit__(self, *exc):
        _grad_enabled[0] = self.previous
        return False

    def __call__(self, fn):
        def wrapped(*args, **kwargs):
            with no_grad():
                return fn(*args, **kwargs)

        wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
        return wrapped


def is_grad_enabled() -> bool:
    return _grad_enabled[0]
