"""Scores of a trained model measured the way the app runs it: gatescope's own engine, one text at a time."""

from __future__ import annotations

import numpy as np

from gatescope.model.model import Model
from gatescope.train.tasks import Example


def split_accuracy(model: Model, examples: list[Example], per_step: bool) -> float:
    """Accuracy on a split: the prediction after the last token, or after every token for per-step tasks."""
    correct = total = 0
    for example in examples:
        outputs = model.run(example.text).outputs
        assert outputs is not None
        if per_step:
            predicted = outputs.argmax(axis=1)
            correct += int(np.sum(predicted == np.asarray(example.target)))
            total += len(predicted)
        else:
            correct += int(outputs[-1].argmax() == example.target)
            total += 1
    return correct / max(1, total)


def cell_state_correlations(model: Model, examples: list[Example], layer: int = 0) -> np.ndarray:
    """Pearson correlation of each unit's cell state (or hidden state) with a per-step target, over all steps."""
    states, targets = [], []
    for example in examples:
        trace_layer = model.run(example.text).layers[layer]
        states.append(trace_layer.c if trace_layer.c is not None else trace_layer.h)
        targets.append(np.asarray(example.target, dtype=np.float64))
    values = np.concatenate(states).astype(np.float64)
    target = np.concatenate(targets)
    values -= values.mean(axis=0)
    target -= target.mean()
    denominator = np.sqrt((values**2).sum(axis=0) * (target**2).sum())
    return np.divide(values.T @ target, denominator, out=np.zeros(values.shape[1]), where=denominator > 0)
