"""Whether ops record the graph: on by default, off inside ``with mc.no_grad():``.

Evaluation and parameter updates need no backward; under ``no_grad`` an op neither records
its node nor keeps anything for a backward, which saves the memory of the activations.

As in PyTorch, the mode belongs to a thread: a thread inside ``no_grad`` (an evaluation or a
prefetch running beside training) leaves recording on in every other thread, and a new thread
starts with it on. Each of the three also decorates a function, bare (``@mc.no_grad``) or
called (``@mc.no_grad()``); a generator function keeps the mode each time it runs, and the
caller gets its own back at each ``yield``, as PyTorch's decorators do.
"""

import functools
import inspect
import threading


class _Mode(threading.local):
    enabled = True  # (a class default: each thread starts with recording on)


_mode = _Mode()


class _GradMode:
    """Context (and decorator) in which recording is ``enabled``, restored at the exit."""

    enabled = False

    def __new__(cls, func=None):
        if func is None:
            return super().__new__(cls)
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments, or a function to decorate; got {func!r}")
        return cls()(func)  # ``@mc.no_grad`` without parentheses, as PyTorch allows

    def __enter__(self):
        self.previous = _mode.enabled
        _mode.enabled = self.enabled

    def __exit__(self, *exc):
        _mode.enabled = self.previous
        return False

    def __call__(self, fn):
        enabled = self.enabled

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with set_grad_enabled(enabled):
                return fn(*args, **kwargs)

        @functools.wraps(fn)
        def wrapped_generator(*args, **kwargs):
            return _in_mode(enabled, fn(*args, **kwargs))

        return wrapped_generator if inspect.isgeneratorfunction(fn) else wrapped


def _in_mode(enabled, gen):
    """Run the generator ``gen`` with recording ``enabled`` each time it resumes, and hand
    the caller's mode back at each ``yield`` (what is sent or thrown in goes on to gen)."""
    try:
        with set_grad_enabled(enabled):
            value = next(gen)
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                with set_grad_enabled(enabled):
                    gen.close()
                raise
            except BaseException as error:  # (thrown in by the caller: gen may catch it)
                with set_grad_enabled(enabled):
                    value = gen.throw(error)
            else:
                with set_grad_enabled(enabled):
                    value = gen.send(sent)
    except StopIteration as stop:
        return stop.value


class no_grad(_GradMode):
    """Context (and decorator) in which ops record no graph: for evaluation and updates."""

    enabled = False


class enable_grad(_GradMode):
    """Context (and decorator) in which ops record the graph, inside a ``no_grad`` block."""

    enabled = True


class set_grad_enabled(_GradMode):
    """Recording on or off by a flag: ``with mc.set_grad_enabled(training):``. As in PyTorch
    it takes effect when called, so a plain ``mc.set_grad_enabled(False)`` sets it for good;
    entering the block sets it again, and leaving it restores the mode of the call."""

    def __new__(cls, mode: bool):
        return object.__new__(cls)

    def __init__(self, mode: bool):
        if not isinstance(mode, bool):
            raise TypeError(f"set_grad_enabled: mode must be True or False, got {mode!r}")
        self.enabled, self.previous = mode, _mode.enabled
        _mode.enabled = mode

    def __enter__(self):
        _mode.enabled = self.enabled  # (set at the call too: this is for a second ``with``)

    def __call__(self, fn):
        _mode.enabled = self.previous  # as a decorator it acts at each call, not now
        return super().__call__(fn)


def is_grad_enabled() -> bool:
    return _mode.enabled
