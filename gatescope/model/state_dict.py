"""PyTorch's names for a recurrent stack's weights — what state_dicts, gatescope's own files and the trainer share."""

from __future__ import annotations


def weight_names(num_layers: int, bidirectional: bool, bias: bool, peepholes: bool) -> list[str]:
    """Weight array names of a recurrent stack, layer by layer, forward direction before ``_reverse``."""
    names = []
    for k in range(num_layers):
        for suffix in ("", "_reverse") if bidirectional else ("",):
            names += [f"weight_ih_l{k}{suffix}", f"weight_hh_l{k}{suffix}"]
            if bias:
                names += [f"bias_ih_l{k}{suffix}", f"bias_hh_l{k}{suffix}"]
            if peepholes:
                names.append(f"peephole_l{k}{suffix}")
    return names
