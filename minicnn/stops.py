"""Why ``fit`` stops before its last epoch: a run that diverged, or Ctrl-C.

Each carries ``kept``, the number of epochs in the checkpoint left on disk, so that the
command line can say what a user may resume from.
"""


class NonFiniteError(FloatingPointError):
    """Training diverged: a loss, weight or gradient became NaN or infinite. Raised by ``fit``,
    ``kept`` is the number of epochs in the checkpoint left on disk (0 when there is none)."""

    kept = 0


class NonFiniteLossError(NonFiniteError):
    """The loss became NaN or infinite."""


class NonFiniteParameterError(NonFiniteError):
    """A weight or its gradient became NaN or infinite after an optimizer step."""


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during ``fit``: ``epoch`` is the epoch that was running (1-based), ``kept`` the
    number of epochs in the checkpoint left on disk (0 when there is none). ``epoch`` is None
    when every epoch had finished (Ctrl-C came as the last one's line printed)."""

    def __init__(self, epoch, kept, unwritten=None):
        super().__init__(
            "interrupted after the last epoch" if epoch is None else f"interrupted in epoch {epoch}"
        )
        self.epoch, self.kept, self.unwritten = epoch, kept, unwritten  # unwritten: what to do next
