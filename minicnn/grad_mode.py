"""Whether ops record the graph: on by default, off inside ``with mc.no_grad():``.

Evaluation and parameter updates need no backward; under ``no_grad`` an op neither records
its node nor keeps anything for a backward, which saves the memory of the activations.
"""

_grad_enabled = [True]


class _GradMode:
    """Context (and decorator) in which recording is ``enabled``, restored at the exit."""

    enabled = False

    def __enter__(self):
        self.previous = _grad_enabled[0]
        _grad_enabled[0] = self.enabled

    def __exit__(self, *exc):
        _grad_enabled[0] = self.previous
        return False

    def __call__(self, fn):
        enabled = self.enabled

        def wrapped(*args, **kwargs):
            with set_grad_enabled(enabled):
                return fn(*args, **kwargs)

        wrapped.__name__, wrapped.__doc__ = fn.__name__, fn.__doc__
        return wrapped


class no_grad(_GradMode):
    """Context (and decorator) in which ops record no graph: for evaluation and updates."""

    enabled = False


class enable_grad(_GradMode):
    """Context (and decorator) in which ops record the graph, inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Recording on or off by a flag: ``with mc.set_grad_enabled(training):``. As in PyTorch
    it takes effect when called, so a plain ``mc.set_grad_enabled(False)`` sets it for good."""

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self.enabled, self.previous = mode, _grad_enabled[0]
        _grad_enabled[0] = mode

    def __enter__(self):
        pass  # set already, at the call

    def __call__(self, fn):
        _grad_enabled[0] = self.previous  # as a decorator it acts at each call, not now
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    return _grad_enabled[0]
