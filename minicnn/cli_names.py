"""Names a user types (a model, a data set, a kernel tier, an exercise): where one is unknown,
the error names the closest known one, as a spelling checker would."""

import argparse
import difflib


def did_you_mean(name, choices):
    """' (did you mean lenet5?)' where ``name`` is close to one of ``choices``, else ''."""
    close = difflib.get_close_matches(str(name), list(choices), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def one_of(choices):
    """An argparse ``type``: the text where it is one of ``choices``, else an error that names the
    closest (argparse's own ``choices`` check says only what it may be)."""

    def check(text):
        if text not in choices:
            raise argparse.ArgumentTypeError(
                f"invalid choice: {text!r}{did_you_mean(text, choices)}; choose from {', '.join(choices)}"
            )
        return text

    return check
