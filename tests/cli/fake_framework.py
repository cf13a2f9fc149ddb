"""A stand-in for a framework reference module (gatescope.frameworks.<key>), registered in FRAMEWORKS by the tests of
``gatescope check`` and ``gatescope import``: it "runs" the file by loading it with gatescope in float64, then
changes what the test asks for (an offset added to a quantity, a quantity dropped or reshaped, an exception)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

PACKAGE = "fake-framework"
#: Quantity name → offset added to its first value.
OFFSETS: dict[str, float] = {}
#: Quantity names left out of the result.
DROPPED: set[str] = set()
#: An exception to raise instead of running.
FAILURE: BaseException | None = None
#: The inputs of the last run.
RECEIVED: list[np.ndarray] = []


def reference(path: Path, model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    import gatescope

    RECEIVED.append(inputs)
    if FAILURE is not None:
        raise FAILURE
    trace = gatescope.load_model(path, dtype=np.float64).run(inputs)
    arrays: dict[str, np.ndarray] = {}
    for k, layer in enumerate(trace.layers):
        arrays[f"layer {k} h"] = layer.h.astype(np.float32)
        if layer.c is not None:
            arrays[f"layer {k} c"] = layer.c.astype(np.float32)
    if trace.logits is not None:
        arrays["logits"] = trace.logits.astype(np.float32)
    for name, offset in OFFSETS.items():
        arrays[name] = arrays[name].copy()
        arrays[name].flat[0] += offset
    return {name: array for name, array in arrays.items() if name not in DROPPED}
