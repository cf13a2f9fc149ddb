"""Pure-NumPy recurrent engine: LSTM (optional peepholes), GRU (both reset conventions), RNN. Never imports Qt."""

from gatescope.engine.cells import GATE_NAMES, DirectionWeights, RecurrentLayer, layer_from_state_dict
from gatescope.engine.forward import run_layer, run_stack
from gatescope.engine.trace import LayerTrace, Trace

__all__ = [
    "GATE_NAMES",
    "DirectionWeights",
    "LayerTrace",
    "RecurrentLayer",
    "Trace",
    "layer_from_state_dict",
    "run_layer",
    "run_stack",
]
