"""Whether ops record the graph: on by default, off inside ``with mc.no_grad():``.

Evaluation and parameter updates need no backward; under ``no_grad`` an op neither records
its node nor keeps anything for a backward, which saves the memory of the activations.
``mc.inference_mode()`` records nothing either, and marks every tensor made inside as an
inference tensor (``t.is_inference()``), which a graph may never keep (inference.py).

As in PyTorch, the mode belongs to a thread: a thread inside ``no_grad`` (an evaluation or a
prefetch running beside training) leaves recording on in every other thread, and a new thread
starts with it on. Each of the three also decorates a function, bare (``@mc.no_grad``) or
called (``@mc.no_grad()``); a generator function keeps the mode each time it runs, and the
caller gets its own back at each ``yield``, as PyTorch's decorators do; so does
``inference_mode``.
"""

import functools
import inspect
import threading


class _Mode(threading.local):
    # (class defaults: each thread starts with recording on)
    grad = True  # the grad mode no_grad, enable_grad and set_grad_enabled set
    inference = False  # inside inference_mode
    enabled = True  # ops record: grad and not inference (what Function.apply reads)


_mode = _Mode()
inference_made = [False]  # whether inference_mode was ever entered, in any thread


def _set(grad, inference):
    _mode.grad, _mode.inference = grad, inference
    _mode.enabled = grad and not inference


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
        self.previous = _mode.grad, _mode.inference
        _set(self.enabled, _mode.inference)

    def __exit__(self, *exc):
        _set(*self.previous)
        return False

    def _context(self):
        """A new context of the same mode, for each call of a decorated function."""
        enabled = self.enabled
        return lambda: set_grad_enabled(enabled)

    def __call__(self, fn):
        context = self._context()

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with context():
                return fn(*args, **kwargs)

        @functools.wraps(fn)
        def wrapped_generator(*args, **kwargs):
            return _in_mode(context, fn(*args, **kwargs))

        return wrapped_generator if inspect.isgeneratorfunction(fn) else wrapped


def _in_mode(context, gen):
    """Run the generator ``gen`` inside a new ``context()`` each time it resumes, and hand
    the caller's mode back at each ``yield`` (what is sent or thrown in goes on to gen)."""
    try:
        with context():
            value = next(gen)
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                with context():
                    gen.close()
                raise
            except BaseException as error:  # (thrown in by the caller: gen may catch it)
                with context():
                    value = gen.throw(error)
            else:
                with context():
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
        self.enabled, self.previous = mode, (_mode.grad, _mode.inference)
        _set(mode, _mode.inference)

    def __enter__(self):
        _set(self.enabled, _mode.inference)  # (set at the call too: this is for a second ``with``)

    def __call__(self, fn):
        _set(*self.previous)  # as a decorator it acts at each call, not now
        return super().__call__(fn)


class inference_mode(_GradMode):
    """Context (and decorator) for inference, as PyTorch's: no op records the graph, and every
    tensor made inside is an *inference tensor* (``t.is_inference()``, also a view of one made
    later). Such a tensor may be read by any op afterwards, but an op recorded for backward
    refuses to keep it for the gradient (``w * x`` keeps x for w's gradient; ``w + x`` keeps
    nothing and is taken), and it cannot be changed in place or made to require grad outside
    the mode. ``x.clone()`` is a normal copy; ``mc.no_grad()`` makes normal tensors.
    ``inference_mode(False)`` turns inference mode off and the grad mode on, as PyTorch's
    (also inside an outer ``inference_mode()`` or ``no_grad()``)."""

    def __new__(cls, mode=True):
        if isinstance(mode, bool):
            return object.__new__(cls)
        if not callable(mode):
            raise TypeError(
                f"inference_mode: mode must be True or False, or a function to decorate; got {mode!r}"
            )
        return cls()(mode)  # ``@mc.inference_mode`` without parentheses, as PyTorch allows

    def __init__(self, mode: bool = True):
        self.mode = mode

    def __enter__(self):
        self.previous = _mode.grad, _mode.inference
        if self.mode:
            inference_made[0] = True
        _set(not self.mode, self.mode)  # as PyTorch: grad mode is the opposite of inference mode

    def _context(self):
        mode = self.mode
        return lambda: inference_mode(mode)


def is_grad_enabled() -> bool:
    """Whether the grad mode is on (``no_grad`` and the like). Inside ``inference_mode`` it is
    off, and an ``enable_grad()`` there turns it on without recording, as in PyTorch."""
    return _mode.grad


def is_inference_mode_enabled() -> bool:
    """Whether this thread is inside ``mc.inference_mode()``."""
    return _mode.inference
