"""Write resources/models/bracket-counter.npz: a character LSTM whose weights are set by hand, not trained.

Run: python scripts/make_handwired_models.py   (deterministic; no randomness, no torch)

Each of its three units has one job that a reader can check by eye:
  unit 0 "depth":   input and forget gates held open, candidate +1 at "(" and -1 at ")"  -> c counts open brackets
  unit 1 "bracket": forget gate shut, input gate open -> c is 1 right after a bracket, 0 otherwise
  unit 2 "run":     forget gate open on letters and shut at brackets -> c grows along a run of plain characters
The head reads unit 0's hidden state: P(inside brackets) jumps to ~1 after "(" and back after the matching ")".
"""

from __future__ import annotations

import string
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gatescope.engine import DirectionWeights, RecurrentLayer  # noqa: E402
from gatescope.model.model import Head, Model  # noqa: E402
from gatescope.model.tokenize import CharTokenizer, Vocabulary  # noqa: E402

OPEN, CLOSE, OTHER, BIAS = 0, 1, 2, 3  # embedding features
SATURATE = 10.0  # sigmoid(10) = 0.99995: a gate this far from zero is fully open or shut
WRITE = 3.0  # tanh(3) = 0.995: the candidate writes ~±1


def build() -> Model:
    characters = list(string.ascii_lowercase + string.digits + " .,;:!?'-[]{}<>") + ["(", ")"]
    vocabulary = Vocabulary(["<unk>", *characters])
    embedding = np.zeros((len(vocabulary), 4), np.float32)
    embedding[:, BIAS] = 1.0
    embedding[:, OTHER] = 1.0
    for character, feature in (("(", OPEN), (")", CLOSE)):
        row = vocabulary.id(character)
        embedding[row, OTHER] = 0.0
        embedding[row, feature] = 1.0

    H = 3
    # PyTorch layout: blocks input, forget, candidate, output; each row reads [open, close, other, bias].
    weight_ih = np.zeros((4 * H, 4), np.float32)

    def block(gate: int, unit: int) -> int:
        return gate * H + unit

    I, F, G, O = range(4)
    for unit in range(H):
        weight_ih[block(I, unit), BIAS] = SATURATE  # every unit writes what its candidate offers
        weight_ih[block(O, unit), BIAS] = SATURATE  # and shows its whole cell
    # unit 0: keep everything, write +1 / -1 at brackets
    weight_ih[block(F, 0), BIAS] = SATURATE
    weight_ih[block(G, 0), OPEN] = WRITE
    weight_ih[block(G, 0), CLOSE] = -WRITE
    # unit 1: forget everything, write 1 at any bracket
    weight_ih[block(F, 1), BIAS] = -SATURATE
    weight_ih[block(G, 1), OPEN] = WRITE
    weight_ih[block(G, 1), CLOSE] = WRITE
    # unit 2: keep along plain characters, forget at brackets; write a little for each plain character
    weight_ih[block(F, 2), OTHER] = 2 * SATURATE
    weight_ih[block(F, 2), BIAS] = -SATURATE
    weight_ih[block(G, 2), OTHER] = 0.3
    weight_hh = np.zeros((4 * H, H), np.float32)
    zeros = np.zeros(4 * H, np.float32)
    layer = RecurrentLayer("lstm", 4, H, (DirectionWeights(weight_ih, weight_hh, zeros, zeros.copy()),))

    # P(inside) = softmax([outside, inside]); the logit gap is 10 * h0 - 3.8, h0 = tanh(c0) ~ 0 outside, 0.76 inside.
    head_weight = np.array([[0, 0, 0], [10.0, 0, 0]], np.float32)
    head_bias = np.array([0.0, -3.8], np.float32)
    head = Head(head_weight, head_bias, activation="softmax", labels=["outside brackets", "inside brackets"])
    return Model(
        layers=[layer],
        tokenizer=CharTokenizer(lowercase=True),
        vocabulary=vocabulary,
        embedding=embedding,
        head=head,
        name="bracket-counter",
        description="Hand-wired 3-unit character LSTM (weights set by hand, not trained): unit 0's cell state "
        "counts open brackets; the head says whether the current character is inside brackets.",
        provenance={"made_by": "scripts/make_handwired_models.py", "trained": False},
    )


def main() -> None:
    target = ROOT / "resources" / "models" / "bracket-counter.npz"
    model = build()
    model.save(target)
    trace = model.run("(a(b)c) d")
    print(f"wrote {target.relative_to(ROOT)}")
    print("depth (c, unit 0):", np.round(trace.layers[0].c[:, 0], 2).tolist())
    print("P(inside):", np.round(trace.outputs[:, 1], 2).tolist())


if __name__ == "__main__":
    main()
