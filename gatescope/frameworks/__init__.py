"""Reference runs for ``gatescope check`` and ``gatescope import``: a model file run in the framework that wrote it.

One module per format key, ``gatescope.frameworks.<key>``, listed in FRAMEWORKS. Each has ``PACKAGE`` (the pip name
of its framework) and ``reference(path, model, inputs) -> dict[str, np.ndarray]``: it imports its framework inside
the function (an ImportError propagates: the framework is not installed), runs the FILE on ``inputs`` (token ids (T,)
int64 for a model with an embedding, else floats (T, features)) and returns arrays in gatescope's conventions keyed
``"layer {k} h"``, ``"layer {k} c"`` (LSTM) and ``"logits"`` (the head's raw output): (T, D*H), forward units then
reverse, a reverse direction's row t being its state at input position t.

The frameworks (torch, keras, onnxruntime) are never needed by gatescope; these modules are imported only by
:mod:`gatescope.frameworks.check`, and only when asked to check.
"""

from __future__ import annotations

#: Format key (a model's ``provenance["format_key"]``) → the module that runs such files in their framework.
FRAMEWORKS: dict[str, str] = {
    "pytorch": "gatescope.frameworks.pytorch",
    "safetensors": "gatescope.frameworks.safetensors",
    "keras": "gatescope.frameworks.keras",
    "onnx": "gatescope.frameworks.onnx",
}
#: Format key → the pip package whose presence lets gatescope check such files (each module's own PACKAGE wins).
PACKAGES: dict[str, str] = {"pytorch": "torch", "safetensors": "torch", "keras": "keras", "onnx": "onnxruntime"}
#: Format key → the framework's name as people say it.
TITLES: dict[str, str] = {"pytorch": "PyTorch", "safetensors": "PyTorch", "keras": "Keras", "onnx": "ONNX Runtime"}
