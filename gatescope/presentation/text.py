"""How gatescope writes numbers and tokens: one way everywhere (views, captions, command-line tables, exports)."""

from __future__ import annotations

from gatescope.engine.trace import LayerTrace

MINUS = "\u2212"  # a true minus sign: "−0.5", never the hyphen of "-0.5"


def number(value: float) -> str:
    """The shortest form of a number (``%g``) with a true minus: "2", "0.5", "−1"."""
    return f"{value:g}".replace("-", MINUS)


def signed(value: float, digits: int = 2) -> str:
    """A number as captions show it: fixed digits, a true minus sign, never "−0.00"."""
    text = f"{value:.{digits}f}"
    if float(text) == 0.0:
        text = f"{0.0:.{digits}f}"
    return text.replace("-", MINUS)


def term(value: float, digits: int = 2) -> str:
    """A number inside a sum or product: negative ones in parentheses, "0.11 × (−0.10)"."""
    text = signed(value, digits)
    return f"({text})" if text.startswith(MINUS) else text


def percent(value: float) -> str:
    """A fraction 0..1 as a whole percentage: "8%"."""
    return f"{value * 100:.0f}%"


def unit_name(unit: int, layer: LayerTrace, always_direction: bool = False) -> str:
    """ "unit 12", or with its direction on a bidirectional layer: "unit 20 (reverse 4)"."""
    if unit >= layer.units:
        return f"unit {unit} (reverse {unit - layer.units})"
    return f"unit {unit} (forward)" if layer.bidirectional or always_direction else f"unit {unit}"
