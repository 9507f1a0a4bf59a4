"""What the interpolate tests share: the scale factors a case's source coordinates use."""


def source_scales(kwargs):
    """The scale_factor pair the source coordinates use, or None (reference_interpolate's ``scales``)."""
    factor = kwargs.get("scale_factor")
    if factor is None or kwargs.get("recompute_scale_factor"):
        return None
    return tuple(factor) if isinstance(factor, tuple) else (factor, factor)
