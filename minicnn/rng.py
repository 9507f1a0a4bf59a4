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


def check_seed(name, seed):
    """Refuse a seed that is not an int (a bool, a float, a string), in one line naming ``name``."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"{name}: seed must be an int, got {type(seed).__name__}")


def manual_seed(seed):
    """Reset the default generator to ``seed``; returns it (as ``torch.manual_seed`` does)."""
    check_seed("manual_seed", seed)
    _default[0] = np.random.default_rng(int(seed))
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
