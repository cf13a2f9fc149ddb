"""gatescope: see how recurrent networks think, gate by gate, on your own words.

>>> import gatescope
>>> model = gatescope.load_model("bracket-counter")
>>> trace = model.run("(a(b)c)")
>>> trace.layers[0].gates["forget"].shape
(7, 3)
"""

from gatescope.engine.trace import LayerTrace, Trace
from gatescope.errors import GatescopeError
from gatescope.model import Model, list_models, load_model

__version__ = "0.1.0"

__all__ = ["GatescopeError", "LayerTrace", "Model", "Trace", "__version__", "list_models", "load_model"]
