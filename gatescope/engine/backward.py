"""Backpropagation through time for batches of equal-length sequences: exact gradients of every weight, input and state.

The forward pass has the same meaning as forward.py (PyTorch gate order and conventions, ONNX-style LSTM peepholes, both
GRU reset conventions, tanh/relu RNN) but runs a whole batch at once and keeps what the backward pass needs.

Layout and speed. Inside, arrays are time-major with the batch last: (T, features, B), so that every gate block of a
step is one contiguous (H, B) slab and each recurrent product is a single (G*H, H) @ (H, B) matmul. The (B, T, ...)
arrays handed out are transposed views of them, so a stack passes activations and gradients from layer to layer without
copying. Weights are laid out once per layer, the way cells.py does it: sigmoid gates first (LSTM output, input, forget,
candidate; GRU reset, update, candidate), their rows pre-scaled by 0.5 so that one ``tanh`` computes every gate
(sigmoid(x) = 0.5 + 0.5 * tanh(x / 2)). The backward pass works with gradients of these half-scaled pre-activations (the
sigmoid slope becomes 2 s (1 - s)); each weight gradient is scaled back by the same 0.5 and reordered into PyTorch's
layout once, after the time loop. Everything that does not depend on the incoming gradient (gate slopes and local
factors) is computed for all steps at once before the loop, which then needs a handful of NumPy calls and one matmul per
step and direction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from weakref import WeakKeyDictionary

import numpy as np

from gatescope.engine.cells import DirectionWeights, FloatArray, RecurrentLayer
from gatescope.errors import GatescopeError

#: Per kind, the PyTorch weight block held at each internal position (LSTM: o, i, f, g from PyTorch i, f, g, o).
_INTERNAL_BLOCKS: dict[str, tuple[int, ...]] = {"lstm": (3, 0, 1, 2), "gru": (0, 1, 2), "rnn": (0,)}
#: Per kind, how many leading internal blocks are sigmoid gates.
_SIGMOID_BLOCKS: dict[str, int] = {"lstm": 3, "gru": 2, "rnn": 0}
#: Per kind, the internal position of each PyTorch block (the inverse of _INTERNAL_BLOCKS).
_TORCH_ROWS: dict[str, list[int]] = {"lstm": [1, 2, 3, 0], "gru": [0, 1, 2], "rnn": [0]}
_WEIGHT_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "peephole")


@dataclass(frozen=True, eq=False)
class _DirectionLayout:
    """One direction's weights for the batched loop: internal gate order, sigmoid rows scaled by 0.5.

    Each matrix multiplies from the left a (features, B) block; ``*_back`` is its transpose, for the backward pass.
    """

    input: FloatArray  # (G*H, in)
    input_back: FloatArray  # (in, G*H)
    input_bias: FloatArray  # (G*H, 1): every bias added before the loop (GRU "pytorch": not b_hn)
    recurrent: FloatArray  # (G*H, H); GRU "cho": (2H, H), reset and update only
    recurrent_back: FloatArray  # (H, G*H) or (H, 2H)
    candidate: FloatArray | None  # GRU "cho": W_hn (H, H), applied to r * h
    candidate_back: FloatArray | None  # GRU "cho": W_hn.T
    candidate_bias: FloatArray | None  # GRU "pytorch": b_hn (H, 1), inside r * (W_hn h + b_hn)
    peephole_input_forget: FloatArray | None  # LSTM peepholes: (2, H, 1) input and forget rows, scaled by 0.5
    peephole_output: FloatArray | None  # (H, 1) output row, scaled by 0.5
    scale: FloatArray  # (G*H,): 0.5 on sigmoid rows, 1 elsewhere (internal order)


@dataclass(eq=False)
class DirectionCache:
    """What one direction's forward pass keeps for its backward pass; (T, features, B), original time order."""

    layout: _DirectionLayout
    reverse: bool
    states: FloatArray  # (T+1, H, B): forward h0, h_0..h_{T-1}; reverse h_0..h_{T-1}, h0
    gates: FloatArray | None  # (T, G*H, B) activations in internal order; None for RNN
    cells: FloatArray | None  # LSTM (T+1, H, B), stored like states
    squashed_cells: FloatArray | None  # LSTM (T, H, B): tanh(c_t)
    recurrent_candidate: FloatArray | None  # GRU "pytorch" (T, H, B): W_hn h_{t-1} + b_hn
    reset_hidden: FloatArray | None  # GRU "cho" (T, H, B): r_t * h_{t-1}

    def previous(self, stored: FloatArray | None = None) -> FloatArray:
        """(T, H, B) states (or cells) read at each step t: h_{t-1} in the direction's own time order."""
        stored = self.states if stored is None else stored
        return stored[1:] if self.reverse else stored[:-1]

    def current(self, stored: FloatArray | None = None) -> FloatArray:
        """(T, H, B) states (or cells) written at each step t."""
        stored = self.states if stored is None else stored
        return stored[:-1] if self.reverse else stored[1:]

    def final(self, stored: FloatArray | None = None) -> FloatArray:
        """(H, B) the state (or cell) after the last step of this direction."""
        stored = self.states if stored is None else stored
        return stored[0] if self.reverse else stored[-1]


@dataclass(eq=False)
class LayerCache:
    """Everything layer_backward needs from one layer_forward call: the layer, its input and each direction's run."""

    layer: RecurrentLayer
    x: FloatArray  # (T, input_size, B), the layer's dtype
    directions: tuple[DirectionCache, ...]

    @property
    def steps(self) -> int:
        """Sequence length T."""
        return self.x.shape[0]

    @property
    def batch(self) -> int:
        """Batch size B."""
        return self.x.shape[2]

    def h(self) -> FloatArray:
        """(B, T, D*H) hidden states, forward units then reverse units."""
        return np.concatenate([d.current() for d in self.directions], axis=1).transpose(2, 0, 1)

    def c(self) -> FloatArray | None:
        """(B, T, D*H) LSTM cell states like h; None for GRU and RNN."""
        if self.layer.kind != "lstm":
            return None
        return np.concatenate([d.current(d.cells) for d in self.directions], axis=1).transpose(2, 0, 1)

    def final_states(self) -> tuple[FloatArray, FloatArray | None]:
        """(h_n, c_n), each (D, B, H) like PyTorch's per-layer h_n (c_n None unless LSTM)."""
        h_n = np.stack([d.final().T for d in self.directions])
        if self.layer.kind != "lstm":
            return h_n, None
        return h_n, np.stack([d.final(d.cells).T for d in self.directions])


def _lay_out(layer: RecurrentLayer, weights: DirectionWeights) -> _DirectionLayout:
    """Lay out one direction's PyTorch-shaped weights for the batched loop."""
    kind, H, dtype = layer.kind, layer.hidden_size, layer.dtype
    blocks = list(_INTERNAL_BLOCKS[kind])
    G = len(blocks)
    scale = np.ones(G * H, dtype)
    scale[: _SIGMOID_BLOCKS[kind] * H] = 0.5
    input_rows = weights.weight_ih.reshape(G, H, -1)[blocks].reshape(G * H, -1) * scale[:, None]
    bias = weights.bias_ih + weights.bias_hh
    candidate_bias = None
    if kind == "gru" and layer.gru_convention == "pytorch":
        bias[2 * H :] = weights.bias_ih[2 * H :]
        candidate_bias = weights.bias_hh[2 * H :].reshape(H, 1).copy()
    recurrent = weights.weight_hh.reshape(G, H, H)[blocks].reshape(G * H, H) * scale[:, None]
    candidate = candidate_back = None
    if kind == "gru" and layer.gru_convention == "cho":
        recurrent = np.ascontiguousarray(recurrent[: 2 * H])
        candidate = np.ascontiguousarray(weights.weight_hh[2 * H :])
        candidate_back = np.ascontiguousarray(candidate.T)
    peephole_input_forget = peephole_output = None
    if weights.peephole is not None:
        peephole_input_forget = (weights.peephole[:2] * 0.5).reshape(2, H, 1)
        peephole_output = (weights.peephole[2] * 0.5).reshape(H, 1)
    return _DirectionLayout(
        input=input_rows,
        input_back=np.ascontiguousarray(input_rows.T),
        input_bias=(bias.reshape(G, H)[blocks].reshape(-1) * scale).reshape(-1, 1),
        recurrent=recurrent,
        recurrent_back=np.ascontiguousarray(recurrent.T),
        candidate=candidate,
        candidate_back=candidate_back,
        candidate_bias=candidate_bias,
        peephole_input_forget=peephole_input_forget,
        peephole_output=peephole_output,
        scale=scale,
    )


#: Layouts of layers whose weights are frozen (RecurrentLayer makes them read-only), built once per layer.
_LAYOUTS: WeakKeyDictionary[RecurrentLayer, tuple[_DirectionLayout, ...]] = WeakKeyDictionary()


def _layouts(layer: RecurrentLayer) -> tuple[_DirectionLayout, ...]:
    """Every direction's layout; cached per layer while its weight arrays are read-only (edits cannot go unseen)."""
    cached = _LAYOUTS.get(layer)
    if cached is not None:
        return cached
    layouts = tuple(_lay_out(layer, weights) for weights in layer.directions)
    arrays = [getattr(w, name) for w in layer.directions for name in _WEIGHT_NAMES]
    if not any(array.flags.writeable for array in arrays if array is not None):
        _LAYOUTS[layer] = layouts
    return layouts


def _batch_state(state: object, name: str, shape: tuple[int, int, int], dtype: np.dtype) -> FloatArray | None:
    """Validate a per-direction state or state gradient (D, B, H); None stays None."""
    if state is None:
        return None
    array = np.asarray(state, dtype=dtype)
    if array.shape != shape:
        raise GatescopeError(f"{name} has shape {array.shape}; expected {shape} (directions, batch, units)")
    return array


# ----------------------------------------------------------------------------------------------------------------
# forward
# ----------------------------------------------------------------------------------------------------------------


def layer_forward(
    layer: RecurrentLayer, x: np.ndarray, h0: np.ndarray | None = None, c0: np.ndarray | None = None
) -> tuple[FloatArray, LayerCache]:
    """x (B, T, input_size) -> h (B, T, D*H) (forward units then reverse units, reverse in original time order).

    h0, c0: optional initial states (D, B, H), zeros when None. h is a view of arrays the cache keeps: do not edit it.
    """
    x = np.asarray(x)
    if x.ndim != 3 or x.shape[2] != layer.input_size:
        raise GatescopeError(f"input has shape {x.shape}; expected (batch, steps, {layer.input_size})")
    B, T, _ = x.shape
    if B == 0 or T == 0:
        raise GatescopeError(f"input has shape {x.shape}; it needs at least one sequence and one step")
    dtype = layer.dtype
    H, D = layer.hidden_size, len(layer.directions)
    steps = np.ascontiguousarray(x.transpose(1, 2, 0), dtype=dtype)
    h0 = _batch_state(h0, "h0", (D, B, H), dtype)
    c0 = _batch_state(c0, "c0", (D, B, H), dtype) if layer.kind == "lstm" else None
    runs = tuple(
        _forward_direction(
            layer, layout, steps, d == 1, None if h0 is None else h0[d].T, None if c0 is None else c0[d].T
        )
        for d, layout in enumerate(_layouts(layer))
    )
    if D == 1:
        h = runs[0].current()
    else:
        h = np.empty((T, D * H, B), dtype)
        for d, run in enumerate(runs):
            h[:, d * H : (d + 1) * H] = run.current()
    return h.transpose(2, 0, 1), LayerCache(layer, steps, runs)


def _forward_direction(
    layer: RecurrentLayer,
    layout: _DirectionLayout,
    x: FloatArray,
    reverse: bool,
    h0: FloatArray | None,
    c0: FloatArray | None,
) -> DirectionCache:
    """Run one direction over x (T, in, B); a reverse direction walks t = T-1 .. 0. h0, c0: (H, B) or None."""
    T, _, B = x.shape
    H = layer.hidden_size
    dtype = x.dtype
    states = np.empty((T + 1, H, B), dtype)
    run = DirectionCache(layout, reverse, states, None, None, None, None, None)
    start = T if reverse else 0
    states[start] = 0 if h0 is None else h0
    if layer.kind == "rnn":
        current = run.current()
        np.matmul(layout.input, x, out=current)
        current += layout.input_bias
        _rnn_forward(layout, run, layer.nonlinearity == "relu")
        return run
    gates = np.empty((T, layout.input.shape[0], B), dtype)
    np.matmul(layout.input, x, out=gates)
    gates += layout.input_bias
    run.gates = gates
    if layer.kind == "lstm":
        run.cells = np.empty((T + 1, H, B), dtype)
        run.cells[start] = 0 if c0 is None else c0
        run.squashed_cells = np.empty((T, H, B), dtype)
        if layout.peephole_output is None:
            _lstm_forward(layout, run)
        else:
            _lstm_peephole_forward(layout, run)
    elif layer.gru_convention == "pytorch":
        run.recurrent_candidate = np.empty((T, H, B), dtype)
        _gru_reset_after_forward(layout, run)
    else:
        run.reset_hidden = np.empty((T, H, B), dtype)
        _gru_reset_before_forward(layout, run)
    return run


def _steps(run: DirectionCache) -> tuple[range, int, int]:
    """Processing order and the storage offsets of h_t and h_{t-1} relative to t."""
    T = run.states.shape[0] - 1
    if run.reverse:
        return range(T - 1, -1, -1), 0, 1
    return range(T), 1, 0


def _lstm_forward(layout: _DirectionLayout, run: DirectionCache) -> None:
    """LSTM steps; internal gate order output, input, forget, candidate."""
    gates, states, cells, squashed = run.gates, run.states, run.cells, run.squashed_cells
    assert gates is not None and cells is not None and squashed is not None
    order, now, before = _steps(run)
    H, B = states.shape[1], states.shape[2]
    recurrent = layout.recurrent
    product = np.empty((4 * H, B), gates.dtype)
    written = np.empty((H, B), gates.dtype)
    for t in order:
        a, c = gates[t], cells[t + now]
        np.matmul(recurrent, states[t + before], out=product)
        a += product
        np.tanh(a, out=a)
        sigmoid = a[: 3 * H]
        sigmoid *= 0.5
        sigmoid += 0.5
        np.multiply(a[2 * H : 3 * H], cells[t + before], out=c)
        np.multiply(a[H : 2 * H], a[3 * H :], out=written)
        c += written
        np.tanh(c, out=squashed[t])
        np.multiply(a[:H], squashed[t], out=states[t + now])


def _lstm_peephole_forward(layout: _DirectionLayout, run: DirectionCache) -> None:
    """LSTM with ONNX peepholes: input and forget gates read c_{t-1}, the output gate reads c_t."""
    gates, states, cells, squashed = run.gates, run.states, run.cells, run.squashed_cells
    assert gates is not None and cells is not None and squashed is not None
    peep_if, peep_o = layout.peephole_input_forget, layout.peephole_output
    order, now, before = _steps(run)
    T, H, B = squashed.shape
    gates4 = gates.reshape(T, 4, H, B)
    recurrent = layout.recurrent
    product = np.empty((4 * H, B), gates.dtype)
    look = np.empty((2, H, B), gates.dtype)
    written = np.empty((H, B), gates.dtype)
    for t in order:
        a, c, c_prev = gates[t], cells[t + now], cells[t + before]
        np.matmul(recurrent, states[t + before], out=product)
        a += product
        np.multiply(peep_if, c_prev, out=look)
        gates4[t, 1:3] += look
        rest = a[H:]
        np.tanh(rest, out=rest)
        sigmoid = a[H : 3 * H]
        sigmoid *= 0.5
        sigmoid += 0.5
        np.multiply(a[2 * H : 3 * H], c_prev, out=c)
        np.multiply(a[H : 2 * H], a[3 * H :], out=written)
        c += written
        output = a[:H]
        np.multiply(peep_o, c, out=written)
        output += written
        np.tanh(output, out=output)
        output *= 0.5
        output += 0.5
        np.tanh(c, out=squashed[t])
        np.multiply(output, squashed[t], out=states[t + now])


def _gru_reset_after_forward(layout: _DirectionLayout, run: DirectionCache) -> None:
    """GRU, PyTorch convention: n = tanh(W_in x + b_in + r * (W_hn h + b_hn)); h = n + z * (h_prev - n)."""
    gates, states, hn_all = run.gates, run.states, run.recurrent_candidate
    assert gates is not None and hn_all is not None
    order, now, before = _steps(run)
    H, B = states.shape[1], states.shape[2]
    recurrent, candidate_bias = layout.recurrent, layout.candidate_bias
    product = np.empty((3 * H, B), gates.dtype)
    written = np.empty((H, B), gates.dtype)
    for t in order:
        a, h, h_prev, hn = gates[t], states[t + now], states[t + before], hn_all[t]
        np.matmul(recurrent, h_prev, out=product)
        sigmoid = a[: 2 * H]
        sigmoid += product[: 2 * H]
        np.tanh(sigmoid, out=sigmoid)
        sigmoid *= 0.5
        sigmoid += 0.5
        np.add(product[2 * H :], candidate_bias, out=hn)
        np.multiply(a[:H], hn, out=written)
        n = a[2 * H :]
        n += written
        np.tanh(n, out=n)
        np.subtract(h_prev, n, out=h)
        h *= a[H : 2 * H]
        h += n


def _gru_reset_before_forward(layout: _DirectionLayout, run: DirectionCache) -> None:
    """GRU, Cho et al. convention: n = tanh(W_in x + b_in + W_hn (r * h) + b_hn); h = n + z * (h_prev - n)."""
    gates, states, rh_all = run.gates, run.states, run.reset_hidden
    assert gates is not None and rh_all is not None
    order, now, before = _steps(run)
    H, B = states.shape[1], states.shape[2]
    recurrent, candidate = layout.recurrent, layout.candidate
    product = np.empty((2 * H, B), gates.dtype)
    written = np.empty((H, B), gates.dtype)
    for t in order:
        a, h, h_prev, rh = gates[t], states[t + now], states[t + before], rh_all[t]
        np.matmul(recurrent, h_prev, out=product)
        sigmoid = a[: 2 * H]
        sigmoid += product
        np.tanh(sigmoid, out=sigmoid)
        sigmoid *= 0.5
        sigmoid += 0.5
        np.multiply(a[:H], h_prev, out=rh)
        np.matmul(candidate, rh, out=written)
        n = a[2 * H :]
        n += written
        np.tanh(n, out=n)
        np.subtract(h_prev, n, out=h)
        h *= a[H : 2 * H]
        h += n


def _rnn_forward(layout: _DirectionLayout, run: DirectionCache, relu: bool) -> None:
    """Elman RNN steps: h_t = tanh|relu(W_ih x + b_ih + W_hh h_{t-1} + b_hh), written over the projected input."""
    states = run.states
    order, now, before = _steps(run)
    product = np.empty(states.shape[1:], states.dtype)
    recurrent = layout.recurrent
    for t in order:
        h = states[t + now]
        np.matmul(recurrent, states[t + before], out=product)
        h += product
        if relu:
            np.maximum(h, 0, out=h)
        else:
            np.tanh(h, out=h)


# ----------------------------------------------------------------------------------------------------------------
# backward
# ----------------------------------------------------------------------------------------------------------------


def layer_backward(
    layer: RecurrentLayer,
    cache: LayerCache,
    grad_h: np.ndarray,
    grad_h_n: np.ndarray | None = None,
    grad_c_n: np.ndarray | None = None,
) -> tuple[FloatArray, list[dict[str, FloatArray]], dict[str, FloatArray]]:
    """grad_h (B, T, D*H) -> (grad_x (B, T, in), per-direction weight grads, {"h0", "c0", "h", "c"} state grads).

    Weight grads use PyTorch's names, layout and shapes ("weight_ih", "weight_hh", "bias_ih", "bias_hh" and, with
    peepholes, "peephole" (3, H)); bias grads are reported even for a layer built without biases. grad_h_n and
    grad_c_n (D, B, H) are optional gradients on the final states. The state dict holds "h0" (and LSTM "c0"),
    (D, B, H), and "h" (B, T, D*H): the total gradient reaching each h_t, from above and back through time (LSTM
    also "c" for c_t, including the path through h_t). grad_x, "h" and "c" are transposed views.
    """
    if cache.layer is not layer:
        raise GatescopeError("this cache was made by layer_forward for a different layer")
    T, B = cache.steps, cache.batch
    H, D = layer.hidden_size, len(layer.directions)
    dtype = layer.dtype
    grad_h = np.asarray(grad_h)
    if grad_h.shape != (B, T, D * H):
        raise GatescopeError(f"grad_h has shape {grad_h.shape}; expected {(B, T, D * H)} like the layer's output")
    grad_h_n = _batch_state(grad_h_n, "grad_h_n", (D, B, H), dtype)
    grad_c_n = _batch_state(grad_c_n, "grad_c_n", (D, B, H), dtype) if layer.kind == "lstm" else None
    upstream = grad_h.transpose(1, 2, 0)
    grad_x = np.empty((T, layer.input_size, B), dtype)
    weight_grads: list[dict[str, FloatArray]] = []
    h_grads, c_grads, h0_grads, c0_grads = [], [], [], []
    for d, run in enumerate(cache.directions):
        grad_states = np.array(upstream[:, d * H : (d + 1) * H], dtype=dtype, order="C")  # (T, H, B), owned
        grad_h_rec = np.zeros((H, B), dtype) if grad_h_n is None else np.array(grad_h_n[d].T, order="C")
        if layer.kind == "lstm":
            grad_c_rec = np.zeros((H, B), dtype) if grad_c_n is None else np.array(grad_c_n[d].T, order="C")
            grad_cells = np.empty((T, H, B), dtype)
            gate_grads = recurrent_grads = _lstm_backward(run, grad_states, grad_cells, grad_h_rec, grad_c_rec)
            c_grads.append(grad_cells)
            c0_grads.append(grad_c_rec.T)
        elif layer.kind == "gru" and layer.gru_convention == "pytorch":
            gate_grads, recurrent_grads = _gru_reset_after_backward(run, grad_states, grad_h_rec)
        elif layer.kind == "gru":
            gate_grads = recurrent_grads = _gru_reset_before_backward(run, grad_states, grad_h_rec)
        else:
            gate_grads = recurrent_grads = _rnn_backward(run, grad_states, grad_h_rec, layer.nonlinearity == "relu")
        h_grads.append(grad_states)
        h0_grads.append(grad_h_rec.T)
        if d == 0:
            np.matmul(run.layout.input_back, gate_grads, out=grad_x)
        else:
            grad_x += np.matmul(run.layout.input_back, gate_grads)
        weight_grads.append(_weight_grads(layer, run, cache.x, gate_grads, recurrent_grads))
    states: dict[str, FloatArray] = {"h0": np.stack(h0_grads), "h": _join(h_grads).transpose(2, 0, 1)}
    if layer.kind == "lstm":
        states["c0"] = np.stack(c0_grads)
        states["c"] = _join(c_grads).transpose(2, 0, 1)
    return grad_x.transpose(2, 0, 1), weight_grads, states


def _join(parts: list[FloatArray]) -> FloatArray:
    """Concatenate per-direction (T, H, B) arrays along units (no copy for one direction)."""
    return parts[0] if len(parts) == 1 else np.concatenate(parts, axis=1)


def _outer_sum(left: FloatArray, right: FloatArray) -> FloatArray:
    """sum over t and b of left[t, :, b] outer right[t, :, b]: (T, M, B), (T, N, B) -> (M, N)."""
    return np.matmul(left, right.transpose(0, 2, 1)).sum(axis=0)


def _to_torch_rows(matrix: FloatArray, kind: str, scale: FloatArray) -> FloatArray:
    """Rows in internal order, of half-scaled pre-activations -> PyTorch order and true pre-activations."""
    scaled = matrix * (scale if matrix.ndim == 1 else scale[:, None])
    if kind != "lstm":
        return scaled
    return scaled.reshape(4, -1, *matrix.shape[1:])[_TORCH_ROWS[kind]].reshape(matrix.shape)


def _weight_grads(
    layer: RecurrentLayer, run: DirectionCache, x: FloatArray, gate_grads: FloatArray, recurrent_grads: FloatArray
) -> dict[str, FloatArray]:
    """Weight grads of one direction from the per-step grads of the gates' input side and recurrent side."""
    kind, H = layer.kind, layer.hidden_size
    scale = run.layout.scale
    previous = run.previous()
    grads = {
        "weight_ih": _to_torch_rows(_outer_sum(gate_grads, x), kind, scale),
        "bias_ih": _to_torch_rows(gate_grads.sum(axis=(0, 2)), kind, scale),
        "bias_hh": _to_torch_rows(recurrent_grads.sum(axis=(0, 2)), kind, scale),
    }
    if kind == "gru" and layer.gru_convention == "cho":
        assert run.reset_hidden is not None
        weight_hh = np.empty((3 * H, H), layer.dtype)
        weight_hh[: 2 * H] = _outer_sum(gate_grads[:, : 2 * H], previous)
        weight_hh[: 2 * H] *= 0.5
        weight_hh[2 * H :] = _outer_sum(gate_grads[:, 2 * H :], run.reset_hidden)
        grads["weight_hh"] = weight_hh
    else:
        grads["weight_hh"] = _to_torch_rows(_outer_sum(recurrent_grads, previous), kind, scale)
    if run.layout.peephole_output is not None:
        assert run.cells is not None
        before, now = run.previous(run.cells), run.current(run.cells)
        g = gate_grads.reshape(gate_grads.shape[0], 4, H, -1)
        peephole = np.empty((3, H), layer.dtype)
        peephole[0] = np.einsum("thb,thb->h", g[:, 1], before)
        peephole[1] = np.einsum("thb,thb->h", g[:, 2], before)
        peephole[2] = np.einsum("thb,thb->h", g[:, 0], now)
        peephole *= 0.5
        grads["peephole"] = peephole
    return {name: grads[name] for name in _WEIGHT_NAMES if name in grads}


def _sigmoid_slope(gates: FloatArray, out: FloatArray) -> None:
    """out = d gate / d (half pre-activation) = 2 s (1 - s), for sigmoid activations s."""
    np.subtract(1, gates, out=out)
    out *= gates
    out *= 2


def _tanh_slope(values: FloatArray, out: FloatArray) -> None:
    """out = 1 - tanh^2, from tanh values."""
    np.multiply(values, values, out=out)
    np.subtract(1, out, out=out)


def _backward_steps(run: DirectionCache) -> range:
    """Time steps in the order the backward pass visits them (the reverse of the forward pass)."""
    T = run.states.shape[0] - 1
    return range(T) if run.reverse else range(T - 1, -1, -1)


def _lstm_backward(
    run: DirectionCache, grad_states: FloatArray, grad_cells: FloatArray, grad_h_rec: FloatArray, grad_c_rec: FloatArray
) -> FloatArray:
    """LSTM BPTT; returns grads of the half-scaled pre-activations (T, 4H, B), internal order o, i, f, g.

    grad_states holds the upstream grads and leaves with the totals (grad_cells likewise for c); grad_h_rec and
    grad_c_rec enter with the final-state grads and leave with those of h0 and c0.
    """
    gates, cells, squashed = run.gates, run.cells, run.squashed_cells
    assert gates is not None and cells is not None and squashed is not None
    T, H, B = squashed.shape
    peep_if, peep_o = run.layout.peephole_input_forget, run.layout.peephole_output
    # local factors for all steps at once; the loop multiplies them by the incoming dh or dc
    grads = np.empty_like(gates)
    _sigmoid_slope(gates[:, : 3 * H], grads[:, : 3 * H])
    _tanh_slope(gates[:, 3 * H :], grads[:, 3 * H :])
    grads[:, :H] *= squashed  # output: dh * tanh(c)
    grads[:, H : 2 * H] *= gates[:, 3 * H :]  # input: dc * g
    grads[:, 2 * H : 3 * H] *= run.previous(cells)  # forget: dc * c_{t-1}
    grads[:, 3 * H :] *= gates[:, H : 2 * H]  # candidate: dc * i
    through_h = np.empty((T, H, B), gates.dtype)  # dc_t / dh_t = o * (1 - tanh(c)^2)
    _tanh_slope(squashed, through_h)
    through_h *= gates[:, :H]
    grads4 = grads.reshape(T, 4, H, B)
    forget = gates[:, 2 * H : 3 * H]
    written = np.empty((H, B), gates.dtype)
    look = np.empty((2, H, B), gates.dtype)
    recurrent_back = run.layout.recurrent_back
    for t in _backward_steps(run):
        dh, dc, g = grad_states[t], grad_cells[t], grads[t]
        dh += grad_h_rec
        g[:H] *= dh
        np.multiply(dh, through_h[t], out=dc)
        dc += grad_c_rec
        if peep_o is not None:
            np.multiply(g[:H], peep_o, out=written)
            dc += written
        grads4[t, 1:] *= dc
        np.multiply(dc, forget[t], out=grad_c_rec)
        if peep_if is not None:
            np.multiply(grads4[t, 1:3], peep_if, out=look)
            grad_c_rec += look[0]
            grad_c_rec += look[1]
        np.matmul(recurrent_back, g, out=grad_h_rec)
    return grads


def _gru_reset_after_backward(
    run: DirectionCache, grad_states: FloatArray, grad_h_rec: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """GRU ("pytorch") BPTT; returns grads of the half-scaled pre-activations on the input side and on the recurrent
    product (the same for r, z; times r for the candidate), each (T, 3H, B)."""
    gates, hn = run.gates, run.recurrent_candidate
    assert gates is not None and hn is not None
    T, H, B = hn.shape
    grads = np.empty_like(gates)
    _sigmoid_slope(gates[:, : 2 * H], grads[:, : 2 * H])
    _tanh_slope(gates[:, 2 * H :], grads[:, 2 * H :])
    reset, update, candidate = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    grads[:, :H] *= hn  # reset: dn' * (W_hn h + b_hn)
    grads[:, H : 2 * H] *= run.previous() - candidate  # update: dh * (h_prev - n)
    grads[:, 2 * H :] *= 1 - update  # candidate: dh * (1 - z)
    grads3 = grads.reshape(T, 3, H, B)
    recurrent_grads = np.empty_like(gates)
    written = np.empty((H, B), gates.dtype)
    recurrent_back = run.layout.recurrent_back
    for t in _backward_steps(run):
        dh, g, r = grad_states[t], grads[t], recurrent_grads[t]
        dh += grad_h_rec
        grads3[t, 1:] *= dh
        g[:H] *= g[2 * H :]
        r[: 2 * H] = g[: 2 * H]
        np.multiply(g[2 * H :], reset[t], out=r[2 * H :])
        np.matmul(recurrent_back, r, out=grad_h_rec)
        np.multiply(dh, update[t], out=written)
        grad_h_rec += written
    return grads, recurrent_grads


def _gru_reset_before_backward(run: DirectionCache, grad_states: FloatArray, grad_h_rec: FloatArray) -> FloatArray:
    """GRU ("cho") BPTT; returns grads of the half-scaled pre-activations (T, 3H, B)."""
    gates = run.gates
    assert gates is not None
    T, G, B = gates.shape
    H = G // 3
    previous = run.previous()
    grads = np.empty_like(gates)
    _sigmoid_slope(gates[:, : 2 * H], grads[:, : 2 * H])
    _tanh_slope(gates[:, 2 * H :], grads[:, 2 * H :])
    reset, update, candidate = gates[:, :H], gates[:, H : 2 * H], gates[:, 2 * H :]
    grads[:, :H] *= previous  # reset: d(r h) * h_prev
    grads[:, H : 2 * H] *= previous - candidate  # update: dh * (h_prev - n)
    grads[:, 2 * H :] *= 1 - update  # candidate: dh * (1 - z)
    grads3 = grads.reshape(T, 3, H, B)
    reset_hidden_grad = np.empty((H, B), gates.dtype)
    written = np.empty((H, B), gates.dtype)
    recurrent_back, candidate_back = run.layout.recurrent_back, run.layout.candidate_back
    for t in _backward_steps(run):
        dh, g = grad_states[t], grads[t]
        dh += grad_h_rec
        grads3[t, 1:] *= dh
        np.matmul(candidate_back, g[2 * H :], out=reset_hidden_grad)
        g[:H] *= reset_hidden_grad
        np.matmul(recurrent_back, g[: 2 * H], out=grad_h_rec)
        np.multiply(reset_hidden_grad, reset[t], out=written)
        grad_h_rec += written
        np.multiply(dh, update[t], out=written)
        grad_h_rec += written
    return grads


def _rnn_backward(run: DirectionCache, grad_states: FloatArray, grad_h_rec: FloatArray, relu: bool) -> FloatArray:
    """Elman RNN BPTT; returns grads of the pre-activations (T, H, B)."""
    current = run.current()
    grads = np.empty_like(current)
    if relu:
        np.greater(current, 0, out=grads)
    else:
        _tanh_slope(current, grads)
    recurrent_back = run.layout.recurrent_back
    for t in _backward_steps(run):
        dh, g = grad_states[t], grads[t]
        dh += grad_h_rec
        g *= dh
        np.matmul(recurrent_back, g, out=grad_h_rec)
    return grads


# ----------------------------------------------------------------------------------------------------------------
# stacks
# ----------------------------------------------------------------------------------------------------------------


def stack_forward(layers: Sequence[RecurrentLayer], x: np.ndarray) -> tuple[FloatArray, list[LayerCache]]:
    """Run stacked layers over x (B, T, input_size) from zero states; returns the top h (B, T, D*H) and caches."""
    if not layers:
        raise GatescopeError("a recurrent stack needs at least one layer")
    caches = []
    for layer in layers:
        x, cache = layer_forward(layer, x)
        caches.append(cache)
    return x, caches


def stack_backward(
    layers: Sequence[RecurrentLayer], caches: Sequence[LayerCache], grad_top_h: np.ndarray
) -> tuple[FloatArray, list[list[dict[str, FloatArray]]]]:
    """Backpropagate grad_top_h (B, T, D*H) through a stack; returns grad_x and weight grads per layer per direction."""
    if len(layers) != len(caches):
        raise GatescopeError(f"{len(layers)} layers but {len(caches)} caches")
    grads: list[list[dict[str, FloatArray]]] = [[] for _ in layers]
    grad = np.asarray(grad_top_h)
    for k in range(len(layers) - 1, -1, -1):
        grad, grads[k], _ = layer_backward(layers[k], caches[k], grad)
    return grad, grads


def parameter_gradients_by_name(grads_per_layer: Sequence[Sequence[dict[str, FloatArray]]]) -> dict[str, FloatArray]:
    """Grads per layer and direction -> PyTorch state_dict names (``weight_ih_l0``, ``bias_hh_l1_reverse``, ...)."""
    named: dict[str, FloatArray] = {}
    for k, directions in enumerate(grads_per_layer):
        for d, grads in enumerate(directions):
            suffix = "_reverse" if d else ""
            for name, grad in grads.items():
                named[f"{name}_l{k}{suffix}"] = grad
    return named


def hidden_state_gradients(
    layers: Sequence[RecurrentLayer], x: np.ndarray, output_grad: np.ndarray
) -> list[FloatArray]:
    """For one sequence x (T, in) and a gradient on the top output (T, D*H): dLoss/dh_t per layer, each (T, D*H).

    Each is the total gradient reaching h_t: from the layer above (or output_grad) and back through time.
    """
    x = np.asarray(x)
    output_grad = np.asarray(output_grad)
    if x.ndim != 2 or output_grad.ndim != 2:
        raise GatescopeError(f"expected x (T, in) and output_grad (T, units), got {x.shape} and {output_grad.shape}")
    _, caches = stack_forward(layers, x[None])
    result: list[FloatArray] = [np.empty(0)] * len(layers)
    grad = output_grad[None]
    for k in range(len(layers) - 1, -1, -1):
        grad, _, states = layer_backward(layers[k], caches[k], grad)
        result[k] = np.ascontiguousarray(states["h"][0])
    return result
