"""Reference runs of safetensors files in PyTorch, for ``gatescope check``: ``safetensors.torch.load_file`` reads the
tensors, then the same nn modules as for .pt files (:mod:`gatescope.frameworks.pytorch`) run them.

The safetensors package is always installed; what the check needs is torch, so ``PACKAGE`` names torch.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gatescope.frameworks.pytorch import run_state_dict, strip_prefix
from gatescope.model.model import Model

PACKAGE = "torch"


def reference(path: Path, model: Model, inputs: np.ndarray) -> dict[str, np.ndarray]:
    """Run ``path`` in PyTorch on ``inputs``; arrays keyed as :func:`gatescope.frameworks.pytorch.reference`'s."""
    from safetensors.torch import load_file  # imports torch: ImportError without it

    tensors = load_file(str(path), device="cpu")
    stripped = model.provenance.get("state_dict", {}).get("stripped_prefix", "")
    return run_state_dict(model, strip_prefix(tensors, stripped), inputs)
