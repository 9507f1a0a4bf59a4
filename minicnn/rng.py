"""The random number generator behind weight initialisation (and anything else seeded).

PyTorch keeps one default generator that ``torch.manual_seed`` resets; minicnn
keeps one NumPy ``Generator`` here that ``mc.manual_seed`` resets, so

    mc.manual_seed(0); a = Net()
    mc.manual_seed(0); b = Net()      # a and b start from the same weights

Draws are made on the CPU in float64 and then cast and copied to the tensor's
dtype and device, so a seed gives the same weights on NumPy and CuPy.
"""

import numpy as np

_default = [np.random.default_rng()]  # fresh entropy until someone seeds it


def seed_of(name, seed):
    """``seed`` as torch.manual_seed reads it, ``int(seed)`` (1.5 is 1, True is 1, "7" is 7),
    from [-2**63, 2**64) and taken modulo 2**64 (-1 is 2**64 - 1, as PyTorch's). What int()
    refuses is refused with int()'s error type, as PyTorch's: TypeError for None, ValueError for
    NaN or "1.5", OverflowError for inf; a seed outside that range is a ValueError."""
    try:
        n = int(seed)
    except (TypeError, ValueError, OverflowError) as e:
        raise type(e)(
            f"{name}: seed must be an int, or what int() takes as torch's seeds do; int({seed!r}) says: {e}"
        ) from None
    if not -(2**63) <= n < 2**64:
        raise ValueError(f"{name}: seed {n} is outside [-2**63, 2**64), the seeds PyTorch takes")
    return n % 2**64


def manual_seed(seed):
    """Reset the default generator to ``seed``, read as torch.manual_seed reads it (``seed_of``:
    ``int(seed)``, so 1.5 seeds as 1); returns the generator (as ``torch.manual_seed`` does)."""
    _default[0] = np.random.default_rng(seed_of("manual_seed", seed))
    return _default[0]


def default_generator():
    """The generator that draws happen from when none is given."""
    return _default[0]


def get_generator(generator=None):
    """None -> the default generator; an int -> a new generator seeded with it; a Generator as is."""
    if generator is None:
        return _default[0]
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
        return np.random.default_rng(int(generator))
    raise TypeError(
        f"generator must be None, an int seed or a numpy.random.Generator, got {type(generator).__name__}"
    )


def get_state():
    """The default generator's state (a dict), to save in a checkpoint."""
    return _default[0].bit_generator.state


def set_state(state):
    """Restore a state from ``get_state``, so a resumed run draws the same numbers."""
    generator = np.random.default_rng()
    generator.bit_generator.state = state
    _default[0] = generator
