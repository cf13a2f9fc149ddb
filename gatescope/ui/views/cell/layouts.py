"""Where the cell diagram's parts go, per cell kind: blocks, pointwise operations, wires, vector strips and fixed
labels in scene units (y grows downwards). Qt-free on purpose: geometry is data, tested without a display; the graphics
items in :mod:`gatescope.ui.views.cell.items` draw it.

A new diagram is one more layout function and one more ``LAYOUTS`` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

#: One vector strip's size, and one direction's whole diagram, in scene units.
STRIP_SIZE = (132.0, 16.0)
DIAGRAM_SIZE = (1160.0, 580.0)


# --- the parts ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BlockSpec:
    """A gate block (or the RNN's tanh): a box with its activation function and its name."""

    name: str
    label: str  # e.g. "forget gate"
    function: str  # "σ" | "tanh"
    centre: tuple[float, float]
    phase: int


@dataclass(frozen=True)
class OpSpec:
    """A pointwise operation in a circle."""

    name: str
    symbol: str  # "×" | "+" | "1−" | "tanh"
    centre: tuple[float, float]
    phase: int


@dataclass(frozen=True)
class WireSpec:
    """A polyline along which a vector travels during ``phase``."""

    points: tuple[tuple[float, float], ...]
    phase: int  # the phase during which values travel along it
    carries: str  # the wire (vector) whose colours travel along it
    arrow: bool = True


@dataclass(frozen=True)
class StripSpec:
    """Where a wire's vector is shown as a strip of colours (one cell per unit), by its top-left corner."""

    wire: str
    top_left: tuple[float, float]


@dataclass(frozen=True)
class Layout:
    """One direction's diagram of one cell kind."""

    blocks: tuple[BlockSpec, ...]
    ops: tuple[OpSpec, ...]
    wires: tuple[WireSpec, ...]
    strips: tuple[StripSpec, ...]
    labels: tuple[tuple[str, tuple[float, float]], ...]  # fixed texts: inputs, outputs, the combine node
    combine: tuple[float, float]


#: Rows: the gate blocks, the bus carrying [h(t−1), x(t)], the top line (the LSTM's cell state, the GRU's h).
BLOCK_Y, BUS_Y, TOP_Y = 340.0, 450.0, 110.0
#: A block's size and an operation circle's radius.
BLOCK_W, BLOCK_H, OP_R = 116.0, 48.0, 13.0


# --- one layout per cell kind ---------------------------------------------------------------------------------------


def _lstm_layout() -> Layout:
    f, i, g, o = 300.0, 470.0, 640.0, 850.0
    top, bus, block_top = TOP_Y, BUS_Y, BLOCK_Y - BLOCK_H / 2
    return Layout(
        blocks=(
            BlockSpec("forget", "forget gate", "σ", (f, BLOCK_Y), 1),
            BlockSpec("input", "input gate", "σ", (i, BLOCK_Y), 2),
            BlockSpec("candidate", "candidate", "tanh", (g, BLOCK_Y), 2),
            BlockSpec("output", "output gate", "σ", (o, BLOCK_Y), 4),
        ),
        ops=(
            OpSpec("kept", "×", (f, top), 3),
            OpSpec("cell", "+", (g, top), 3),
            OpSpec("written", "×", (g, 220.0), 3),
            OpSpec("cell_tanh", "tanh", (1000.0, 195.0), 5),
            OpSpec("hidden", "×", (1000.0, 300.0), 5),
        ),
        wires=(
            WireSpec(((20.0, top), (f - OP_R, top)), 3, "c_prev"),
            WireSpec(((f + OP_R, top), (g - OP_R, top)), 3, "kept"),
            WireSpec(((g + OP_R, top), (1140.0, top)), 3, "cell"),
            WireSpec(((20.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (f, bus), (f, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((f, bus), (i, bus), (i, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((i, bus), (g, bus), (g, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((g, bus), (o, bus), (o, block_top + BLOCK_H)), 4, "h_prev"),
            WireSpec(((f, block_top), (f, top + OP_R)), 3, "forget"),
            WireSpec(((i, block_top), (i, 220.0), (g - OP_R, 220.0)), 3, "input"),
            WireSpec(((g, block_top), (g, 220.0 + OP_R)), 3, "candidate"),
            WireSpec(((g, 220.0 - OP_R), (g, top + OP_R)), 3, "written"),
            WireSpec(((1000.0, top), (1000.0, 195.0 - OP_R - 4)), 5, "cell"),
            WireSpec(((1000.0, 195.0 + OP_R + 4), (1000.0, 300.0 - OP_R)), 5, "cell_tanh"),
            WireSpec(((o, block_top), (o, 300.0), (1000.0 - OP_R, 300.0)), 5, "output"),
            WireSpec(((1000.0 + OP_R, 300.0), (1140.0, 300.0)), 5, "hidden"),
        ),
        strips=(
            StripSpec("c_prev", (40.0, 78.0)),
            StripSpec("kept", (340.0, 78.0)),
            StripSpec("cell", (1008.0, 78.0)),
            StripSpec("h_prev", (40.0, 418.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("forget", (160.0, 215.0)),
            StripSpec("input", (330.0, 250.0)),
            StripSpec("candidate", (652.0, 262.0)),
            StripSpec("written", (652.0, 150.0)),
            StripSpec("output", (862.0, 262.0)),
            StripSpec("cell_tanh", (1012.0, 232.0)),
            StripSpec("hidden", (1012.0, 324.0)),
        ),
        labels=(
            ("c(t−1)", (20.0, 128.0)),
            ("h(t−1)", (20.0, 460.0)),
            ("x(t)", (150.0, 545.0)),
            ("c(t)", (1100.0, 128.0)),
            ("h(t)", (1100.0, 275.0)),
            ("cell state", (740.0, 84.0)),
        ),
        combine=(200.0, bus),
    )


def _gru_layout() -> Layout:
    r, z, n = 300.0, 470.0, 800.0
    top, bus, block_top = TOP_Y, BUS_Y, BLOCK_Y - BLOCK_H / 2
    product, mix = 262.0, 185.0  # rows of the reset product and of the (1 − z) ⊙ n mix
    return Layout(
        blocks=(
            BlockSpec("reset", "reset gate", "σ", (r, BLOCK_Y), 1),
            BlockSpec("update", "update gate", "σ", (z, BLOCK_Y), 2),
            BlockSpec("candidate", "candidate", "tanh", (n, BLOCK_Y), 3),
        ),
        ops=(
            OpSpec("reset_applied", "×", (640.0, product), 3),
            OpSpec("kept", "×", (560.0, top), 4),
            OpSpec("one_minus", "1−", (640.0, mix), 4),
            OpSpec("written", "×", (n + 30, mix), 4),
            OpSpec("hidden", "+", (n + 30, top), 4),
        ),
        wires=(
            WireSpec(((20.0, top), (120.0, top), (560.0 - OP_R, top)), 4, "h_prev"),
            WireSpec(((560.0 + OP_R, top), (n + 30 - OP_R, top)), 4, "kept"),
            WireSpec(((n + 30 + OP_R, top), (1140.0, top)), 4, "hidden"),
            WireSpec(((120.0, top), (120.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (r, bus), (r, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((r, bus), (z, bus), (z, block_top + BLOCK_H)), 2, "h_prev"),
            WireSpec(((z, bus), (n, bus), (n, block_top + BLOCK_H)), 3, "h_prev"),
            WireSpec(((640.0, bus), (640.0, product + OP_R)), 3, "h_prev"),
            WireSpec(((r, block_top), (r, product), (640.0 - OP_R, product)), 3, "reset"),
            WireSpec(((640.0 + OP_R, product), (n - 30, product), (n - 30, block_top)), 3, "reset_applied"),
            WireSpec(((z, block_top), (z, 150.0), (560.0, 150.0), (560.0, top + OP_R)), 4, "update"),
            WireSpec(((z, mix), (640.0 - OP_R - 2, mix)), 4, "update"),
            WireSpec(((640.0 + OP_R + 2, mix), (n + 30 - OP_R, mix)), 4, "update"),
            WireSpec(((n + 30, block_top), (n + 30, mix + OP_R)), 4, "candidate"),
            WireSpec(((n + 30, mix - OP_R), (n + 30, top + OP_R)), 4, "written"),
        ),
        strips=(
            StripSpec("h_prev", (40.0, 78.0)),
            StripSpec("kept", (600.0, 78.0)),
            StripSpec("hidden", (1000.0, 78.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("reset", (160.0, 222.0)),
            StripSpec("update", (330.0, 215.0)),
            StripSpec("reset_applied", (652.0, 226.0)),
            StripSpec("candidate", (842.0, 262.0)),
            StripSpec("written", (842.0, 140.0)),
        ),
        labels=(("h(t−1)", (20.0, 128.0)), ("x(t)", (150.0, 545.0)), ("h(t)", (1100.0, 128.0))),
        combine=(200.0, bus),
    )


def _rnn_layout() -> Layout:
    block_x, bus = 640.0, BUS_Y
    block_top = BLOCK_Y - BLOCK_H / 2
    return Layout(
        blocks=(BlockSpec("hidden_block", "W x + R h + b", "tanh", (block_x, BLOCK_Y), 1),),
        ops=(),
        wires=(
            WireSpec(((20.0, bus), (200.0 - 6, bus)), 0, "h_prev", arrow=False),
            WireSpec(((200.0, 560.0), (200.0, bus + 6)), 0, "x", arrow=False),
            WireSpec(((200.0 + 6, bus), (block_x, bus), (block_x, block_top + BLOCK_H)), 1, "h_prev"),
            WireSpec(((block_x, block_top), (block_x, 200.0), (1140.0, 200.0)), 1, "hidden"),
        ),
        strips=(
            StripSpec("h_prev", (40.0, 418.0)),
            StripSpec("x", (214.0, 512.0)),
            StripSpec("preactivation", (380.0, 418.0)),
            StripSpec("hidden", (860.0, 162.0)),
        ),
        labels=(("h(t−1)", (20.0, 460.0)), ("x(t)", (150.0, 545.0)), ("h(t)", (1100.0, 222.0))),
        combine=(200.0, bus),
    )


#: Cell kind -> its diagram.
LAYOUTS = {"lstm": _lstm_layout(), "gru": _gru_layout(), "rnn": _rnn_layout()}
