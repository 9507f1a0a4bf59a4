"""The one output-size formula of convolution and pooling.

A window of k taps spaced d apart spans d(k-1)+1 input cells. Sliding it by s
over n cells with p cells of padding on each side fits

    out = floor((n + 2p - d(k-1) - 1) / s) + 1

times. Pooling's ``ceil_mode`` rounds up instead, so a last, partial window
covers the cells floor would drop, but PyTorch keeps that window only if it
starts inside the input or the left padding (never in the right padding alone).
Conv layers, pooling layers, error messages and the model summary all use this.

A transposed convolution goes the other way, from a convolution's n outputs back to
its input: the smallest input with n windows has (n-1)s - 2p + d(k-1) + 1 cells, and
``output_padding`` adds the cells a stride leaves open (inputs up to s-1 cells longer
have n windows too):

    out = (n - 1) s - 2p + d(k-1) + output_padding + 1
"""


def conv_out_size(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> int:
    """Number of window positions along one axis (may be <= 0 when the window does not fit)."""
    span = n + 2 * p - d * (k - 1) - 1
    if not ceil_mode:
        return span // s + 1
    out = -(-span // s) + 1  # ceil division
    if (out - 1) * s >= n + p:  # last window would start in the right padding
        out -= 1
    return out


def formula(n: int, k: int, s: int, p: int, d: int = 1, ceil_mode: bool = False) -> str:
    """The size formula with its numbers filled in, for error messages."""
    rounding = "ceil" if ceil_mode else "floor"
    return (
        f"{rounding}(({n} + 2*{p} - {d}*({k}-1) - 1) / {s}) + 1 = {conv_out_size(n, k, s, p, d, ceil_mode)}"
    )


def transposed_out_size(n: int, k: int, s: int, p: int, d: int = 1, output_padding: int = 0) -> int:
    """Size of a transposed convolution's output along one axis (may be <= 0 for a large padding)."""
    return (n - 1) * s - 2 * p + d * (k - 1) + output_padding + 1


def transposed_formula(n: int, k: int, s: int, p: int, d: int = 1, output_padding: int = 0) -> str:
    """The transposed size formula with its numbers filled in, for error messages."""
    size = transposed_out_size(n, k, s, p, d, output_padding)
    return f"({n} - 1)*{s} - 2*{p} + {d}*({k}-1) + {output_padding} + 1 = {size}"


def adaptive_windows(n: int, out: int) -> list[tuple[int, int]]:
    """PyTorch's adaptive windows along one axis: [floor(i n / out), ceil((i+1) n / out))."""
    return [(i * n // out, -(-(i + 1) * n // out)) for i in range(out)]
