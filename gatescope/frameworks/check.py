"""Run a model file in the framework that wrote it and compare every layer's h and c and the logits with gatescope's
(``gatescope check``, and the parity figure ``gatescope import`` writes into a model card). No Qt."""

from __future__ import annotations

import importlib
import importlib.metadata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gatescope.engine.trace import Trace
from gatescope.errors import GatescopeError
from gatescope.frameworks import FRAMEWORKS, PACKAGES, TITLES
from gatescope.model.formats import native
from gatescope.model.model import Model

#: Largest difference from the framework (any h, c or logit) still counted as the same numbers.
TOLERANCE = 1e-4
#: Steps of the input made up when none is given.
DEFAULT_STEPS = 6


@dataclass(frozen=True)
class CheckInput:
    """One input for both runs: what ``Model.run`` reads (text, ids or floats), the array the framework reads (ids
    (T,) int64 or floats (T, features) float32) and a description for people."""

    source: str | np.ndarray
    reference: np.ndarray
    description: str


@dataclass(frozen=True)
class Difference:
    """The largest |gatescope − framework| of one quantity; None when the framework does not give it, infinite when
    the two cannot be compared (``note`` says why)."""

    name: str
    largest: float | None
    note: str = ""

    @property
    def within(self) -> bool:
        return self.largest is not None and bool(self.largest <= TOLERANCE)


@dataclass(frozen=True)
class Comparison:
    """A finished check: the framework, its version, and one difference per quantity."""

    framework: str
    package: str
    version: str
    differences: list[Difference]

    @property
    def compared(self) -> list[Difference]:
        return [difference for difference in self.differences if difference.largest is not None]

    @property
    def passed(self) -> bool:
        return bool(self.compared) and all(difference.within for difference in self.compared)

    @property
    def worst(self) -> Difference:
        """The quantity that differs most (NaN counts as the most)."""
        return max(self.compared, key=_ordering)


def _ordering(difference: Difference) -> float:
    largest = difference.largest
    return np.inf if largest is None or np.isnan(largest) else largest


@dataclass(frozen=True)
class Unchecked:
    """Why no comparison could be made, and what would make one possible (a pip command, or "")."""

    reason: str
    remedy: str = ""


def written_by_gatescope(path: Path) -> bool:
    """True for gatescope's own model file, whatever provenance an imported model carried into it."""
    return native.sniff(path)


def framework_of(model: Model, path: Path | None = None) -> tuple[str, str, str] | None:
    """(format key, framework name, pip package) of the file ``model`` was read from; None for gatescope's own
    formats, which no framework wrote (an imported model saved as .npz keeps its provenance, not its framework)."""
    if path is not None and written_by_gatescope(path):
        return None
    key = model.provenance.get("format_key")
    if not isinstance(key, str) or key not in FRAMEWORKS:
        return None
    return key, TITLES.get(key, key), PACKAGES.get(key, key)


def compare_with_framework(path: Path, model: Model, given: CheckInput) -> Comparison | Unchecked:
    """Run ``path`` in its framework and ``model`` in gatescope on the same input and compare them."""
    found = framework_of(model, path)
    if found is None:
        form = (
            "a gatescope model" if written_by_gatescope(path) else model.provenance.get("format", "a gatescope model")
        )
        return Unchecked(f"{path.name} is {form}; no other framework wrote it, so there is nothing to compare with")
    key, title, package = found
    try:
        module = importlib.import_module(FRAMEWORKS[key])
    except ModuleNotFoundError as error:
        if error.name is not None and FRAMEWORKS[key].startswith(error.name):
            return Unchecked(f"this gatescope has no {title} reference run ({FRAMEWORKS[key]} is missing)")
        return _unavailable(title, package, error)
    package = str(getattr(module, "PACKAGE", package))
    try:
        reference = module.reference(path, model, given.reference)
    except ImportError as error:
        return _unavailable(title, package, error)
    except GatescopeError:
        raise
    except Exception as error:  # the framework's own failure, whatever its kind: one line, not a traceback
        raise GatescopeError(f"{path}: {title} could not run it: {type(error).__name__}: {error}") from None
    trace = model.run(given.source)
    return Comparison(title, package, _version(package), differences(trace, reference, title))


def _unavailable(title: str, package: str, error: ImportError) -> Unchecked:
    """Why the framework cannot run here: a package that is missing (and the pip command that installs it), or what
    the framework itself said (e.g. Keras asking for TensorFlow for a TextVectorization layer)."""
    missing = (error.name or "").split(".")[0]
    if missing:
        needs = "" if missing == package else f"{title} needs {missing}, which "
        return Unchecked(f"{needs or f'{title} ({missing}) '}is not installed here", f"pip install {missing}")
    return Unchecked(f"{title} cannot run it here: {' '.join(str(error).split())}")


def differences(trace: Trace, reference: dict[str, Any], framework: str) -> list[Difference]:
    """One Difference per quantity: every layer's h and c and the logits, then anything else the framework gave."""
    ours: dict[str, np.ndarray] = {}
    for k, layer in enumerate(trace.layers):
        ours[f"layer {k} h"] = layer.h
        if layer.c is not None:
            ours[f"layer {k} c"] = layer.c
    if trace.logits is not None:
        ours["logits"] = trace.logits
    found: list[Difference] = []
    for name in [*ours, *(name for name in reference if name not in ours)]:
        if name not in reference:
            found.append(Difference(name, None, f"not given by {framework}"))
        elif name not in ours:
            found.append(Difference(name, np.inf, f"{framework} gives it; gatescope's model has no such quantity"))
        else:
            theirs = np.asarray(reference[name])
            mine = ours[name]
            if name == "logits" and theirs.ndim == 2 and 0 < theirs.shape[0] < mine.shape[0]:
                mine = mine[-theirs.shape[0] :]  # a head the file applies after the last step only
            found.append(_difference(name, mine, theirs, framework))
    return found


def _difference(name: str, ours: np.ndarray, theirs: np.ndarray, framework: str) -> Difference:
    if ours.shape != theirs.shape:
        return Difference(name, np.inf, f"shape {ours.shape} in gatescope, {theirs.shape} in {framework}")
    if theirs.dtype.kind not in "fiu":
        return Difference(name, np.inf, f"{framework} gave {theirs.dtype} values")
    if np.isnan(ours).any() or np.isnan(theirs).any():
        return Difference(name, np.nan, "NaN among the values")
    return Difference(name, float(np.max(np.abs(ours.astype(np.float64) - theirs.astype(np.float64)), initial=0.0)))


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return ""


# --- inputs ------------------------------------------------------------------------------------------


def check_input(
    model: Model, text: str | None = None, ids: np.ndarray | None = None, array: np.ndarray | None = None
) -> CheckInput:
    """The input both runs read: the one given (at most one of ``text``, ``ids``, ``array``), else a default: a few
    of the vocabulary's own tokens for a text model, a few ids for an ids model, seeded random numbers otherwise."""
    if text is not None:
        if model.tokenizer is None or model.vocabulary is None:
            raise GatescopeError("this model does not read text: give --ids, --input, or a vocabulary with --vocab")
        keys = [token.key for token in model.tokenizer.tokenize(text)]
        if not keys:
            raise GatescopeError("the text has no tokens to read: type a word or a character")
        encoded = model.vocabulary.encode(keys)[0]
        return CheckInput(text, encoded, f"{len(keys)} tokens: {text}")
    if ids is not None:
        return CheckInput(ids, ids, f"{len(ids)} token ids: {' '.join(str(int(i)) for i in ids)}")
    if array is not None:
        return CheckInput(array, array.astype(np.float32), f"{array.shape[0]} steps × {array.shape[1]} features")
    return _default_input(model)


def _default_input(model: Model) -> CheckInput:
    rng = np.random.default_rng(0)
    if model.tokenizer is not None and model.vocabulary is not None:
        words = _plain_tokens(model)
        if words:
            joined = ("" if model.tokenizer.kind == "char" else " ").join(words)
            given = check_input(model, text=joined)
            return CheckInput(given.source, given.reference, f"{given.description} (from the vocabulary)")
    if model.embedding is not None:
        lowest = 1 if model.masked_id == 0 and model.embedding.shape[0] > 1 else 0  # padding is never run
        ids = rng.integers(lowest, model.embedding.shape[0], size=DEFAULT_STEPS).astype(np.int64)
        return CheckInput(ids, ids, f"{DEFAULT_STEPS} token ids (seeded random): {' '.join(str(i) for i in ids)}")
    array = rng.standard_normal((DEFAULT_STEPS, model.input_size)).astype(np.float32)
    return CheckInput(array, array, f"{DEFAULT_STEPS} steps × {model.input_size} features (seeded random numbers)")


def _plain_tokens(model: Model) -> list[str]:
    """Up to DEFAULT_STEPS tokens spread over the vocabulary, each one the tokenizer gives back as itself."""
    assert model.tokenizer is not None and model.vocabulary is not None
    tokens = model.vocabulary.tokens()
    special = {model.vocabulary.unknown, model.vocabulary.padding}
    chosen: list[str] = []
    for number in dict.fromkeys(np.linspace(0, len(tokens) - 1, num=min(len(tokens), 64)).astype(int).tolist()):
        token = tokens[number]
        pieces = model.tokenizer.tokenize(token)
        if token not in special and token.strip() and len(pieces) == 1 and pieces[0].key == token:
            chosen.append(token)
        if len(chosen) == DEFAULT_STEPS:
            break
    return chosen


def parity_sentence(result: Comparison | Unchecked, given: CheckInput) -> str:
    """One or two sentences on the comparison, for a model card."""
    if isinstance(result, Unchecked):
        if result.remedy:
            package = result.remedy.removeprefix("pip install ")
            return f"Not checked here (install {package} to check: `{result.remedy}`, then `gatescope check`)."
        return f"Not checked: {result.reason}."
    worst = result.worst
    against = f"{result.framework} ({result.package} {result.version})".replace(" )", ")")
    if result.passed:
        return (
            f"Largest difference from {against} on {given.description}: {worst.largest:.1e} ({worst.name}); every "
            f"layer's h and c and the logits are within {TOLERANCE:.0e}."
        )
    return (
        f"**Differs** from {against} on {given.description}: {worst.name} by {worst.largest:.1e}, more than "
        f"{TOLERANCE:.0e}{'; ' + worst.note if worst.note else ''}. gatescope does not reproduce this file."
    )
