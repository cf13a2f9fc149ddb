"""Where an imported model came from, in words: its file, the format it was read from, the architecture found in it,
and what gatescope had to assume because the file does not say (the head's activation, an RNN's nonlinearity).

Read from ``model.provenance`` as the format readers write it (``format``, ``file``, ``architecture``,
``head_assumed``, …); a model trained by gatescope has no ``format`` there and no origin to tell. The model card of an
imported model is :mod:`gatescope.model.card`'s; these are the model bar's words.
"""

from __future__ import annotations

from gatescope.model.model import Model

#: How a head activation is named to users ("none" for the raw logits, as load_model's ``head=`` takes it).
HEAD_NAMES = {"softmax": "softmax", "sigmoid": "sigmoid", "linear": "none"}


def is_imported(model: Model) -> bool:
    """True for a model read from another framework's file (a format reader recorded the format)."""
    return bool(model.provenance.get("format"))


def assumptions(model: Model) -> list[str]:
    """What was assumed because the file does not say, e.g. "head activation softmax (the file does not say)"."""
    provenance, found = model.provenance, []
    if provenance.get("head_assumed") and model.head is not None:
        found.append(f"head activation {HEAD_NAMES[model.head.activation]} (the file does not say)")
    nonlinearity = provenance.get("nonlinearity_assumed")
    if nonlinearity and model.kind == "rnn":
        value = nonlinearity if isinstance(nonlinearity, str) else getattr(model.layers[0], "nonlinearity", "tanh")
        found.append(f"RNN nonlinearity {value} (the file does not say)")
    for key, value in provenance.items():
        if key.endswith("_assumed") and key not in ("head_assumed", "nonlinearity_assumed") and value:
            what = key.removesuffix("_assumed").replace("_", " ")
            found.append(f"{what} {value}" if isinstance(value, str) else what)
    return found


def origin_rows(model: Model) -> list[tuple[str, str]]:
    """(what, value) rows for the model card: file, format, architecture, vocabulary, assumptions."""
    if not is_imported(model):
        return []
    provenance = model.provenance
    file = provenance.get("file") or (model.source.name if model.source is not None else "")
    rows = [("File", str(file)), ("Format", str(provenance["format"]))]
    if provenance.get("architecture"):
        rows.append(("Architecture", str(provenance["architecture"])))
    if provenance.get("vocabulary"):
        rows.append(("Vocabulary", str(provenance["vocabulary"])))
    elif model.reads_ids:
        rows.append(("Vocabulary", f"none: the model reads token ids 0 to {(model.id_count or 1) - 1}"))
    if model.head is not None:
        labels = ", ".join(model.head.labels) if model.head.labels else "not named"
        rows.append(("Head", f"{model.head.outputs} outputs, {HEAD_NAMES[model.head.activation]}; labels {labels}"))
    rows.extend(("Assumed", text) for text in assumptions(model))
    return rows


def origin_line(model: Model) -> str:
    """One line for the model bar: "from sentiment.pt (PyTorch state_dict (.pt)) · assumed: head softmax"; "" for
    a model that was not imported."""
    if not is_imported(model):
        return ""
    provenance = model.provenance
    file = provenance.get("file") or (model.source.name if model.source is not None else "")
    line = f"from {file} ({provenance['format']})"
    assumed = assumptions(model)
    if assumed:
        line += " · assumed: " + "; ".join(text.removesuffix(" (the file does not say)") for text in assumed)
    return line
