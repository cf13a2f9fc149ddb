"""Specifications for Model.run, the Trace it returns, the built-in catalogue and load_model by name."""

from __future__ import annotations

import random

import numpy as np
import pytest

import gatescope
from gatescope import GatescopeError, Model
from gatescope.engine import DirectionWeights, RecurrentLayer
from gatescope.model import Head
from gatescope.model.tokenize import Vocabulary, WordTokenizer
from tests.helpers import read_right_to_left

GATE_COUNT = {"lstm": 4, "gru": 3, "rnn": 1}


@pytest.fixture(scope="module")
def bracket_counter() -> Model:
    return gatescope.load_model("bracket-counter")


def inside_probability(model: Model, text: str) -> np.ndarray:
    trace = model.run(text)
    return trace.outputs[:, trace.output_labels.index("inside brackets")]


def random_model(
    kind: str,
    *,
    layers: int = 1,
    bidirectional: bool = False,
    peepholes: bool = False,
    gru_convention: str = "pytorch",
    input_size: int = 4,
    units: int = 5,
    scale: float = 3.0,
    seed: int = 0,
) -> Model:
    """An array-only model with large random weights, so gates reach deep into saturation."""
    rng = np.random.default_rng(seed)
    stack = []
    for _ in range(layers):
        rows = GATE_COUNT[kind] * units
        directions = tuple(
            DirectionWeights(
                rng.normal(0, scale, (rows, input_size)).astype(np.float32),
                rng.normal(0, scale, (rows, units)).astype(np.float32),
                rng.normal(0, scale, rows).astype(np.float32),
                rng.normal(0, scale, rows).astype(np.float32),
                rng.normal(0, scale, (3, units)).astype(np.float32) if peepholes else None,
            )
            for _ in range(2 if bidirectional else 1)
        )
        stack.append(RecurrentLayer(kind, input_size, units, directions, gru_convention=gru_convention))
        input_size = stack[-1].output_size
    return Model(layers=stack, name=f"random-{kind}")


def word_model() -> Model:
    """A 1-layer word-level GRU with a 2-label head."""
    rng = np.random.default_rng(1)
    vocabulary = Vocabulary(["<unk>", "good", "bad", "film", "!"])
    layer = RecurrentLayer(
        "gru",
        3,
        2,
        (
            DirectionWeights(
                rng.normal(size=(6, 3)).astype(np.float32),
                rng.normal(size=(6, 2)).astype(np.float32),
                np.zeros(6, np.float32),
                np.zeros(6, np.float32),
            ),
        ),
    )
    head = Head(rng.normal(size=(2, 2)).astype(np.float32), np.zeros(2, np.float32), labels=["neg", "pos"])
    return Model(
        layers=[layer],
        tokenizer=WordTokenizer(),
        vocabulary=vocabulary,
        embedding=rng.normal(size=(5, 3)).astype(np.float32),
        head=head,
        name="words",
    )


# --- the bracket counter ------------------------------------------------------------------------


def test_bracket_counter_unit_0_cell_state_tracks_nesting_depth(bracket_counter: Model) -> None:
    trace = bracket_counter.run("(a(b)c)")

    depth = trace.layers[0].c[:, 0]

    np.testing.assert_allclose(depth, [1, 1, 2, 2, 1, 1, 0], atol=0.02)


def test_bracket_counter_depth_returns_to_zero_after_deep_nesting(bracket_counter: Model) -> None:
    text = "((((x))))"

    depth = bracket_counter.run(text).layers[0].c[:, 0]

    np.testing.assert_allclose(depth, [1, 2, 3, 4, 4, 3, 2, 1, 0], atol=0.05)


def test_bracket_counter_says_inside_between_brackets_and_outside_elsewhere(bracket_counter: Model) -> None:
    text = "ab (c d) ef"
    inside = [False, False, False, True, True, True, True, False, False, False, False]

    probability = inside_probability(bracket_counter, text)

    assert np.all(probability[inside] > 0.9)
    assert np.all(probability[np.logical_not(inside)] < 0.1)


def test_bracket_counter_predicts_outside_after_the_last_closing_bracket(bracket_counter: Model) -> None:
    assert bracket_counter.run("(a(b)c)").prediction()[0] == "outside brackets"
    assert bracket_counter.run("(a(b)c").prediction()[0] == "inside brackets"


def test_bracket_counter_head_outputs_are_probabilities(bracket_counter: Model) -> None:
    trace = bracket_counter.run("x(y)z")

    assert trace.output_labels == ["outside brackets", "inside brackets"]
    assert trace.outputs.shape == (5, 2)
    np.testing.assert_allclose(trace.outputs.sum(axis=1), 1.0, atol=1e-6)
    assert np.all((trace.outputs >= 0) & (trace.outputs <= 1))


# --- tokens, unknown marks and spans ------------------------------------------------------------


def test_text_trace_records_tokens_spans_and_the_text(bracket_counter: Model) -> None:
    text = "(a(b)c)"

    trace = bracket_counter.run(text)

    assert trace.tokens == list(text)
    assert trace.spans == [(i, i + 1) for i in range(7)]
    assert trace.unknown == [False] * 7
    assert trace.text == text
    assert trace.steps == 7
    assert trace.layers[0].h.shape == (7, 3)


@pytest.mark.parametrize("character", ["é", "€", "ß", "字"])
def test_character_missing_from_the_vocabulary_is_marked_unknown(bracket_counter: Model, character: str) -> None:
    trace = bracket_counter.run(f"a{character}b")

    assert trace.tokens == ["a", character, "b"]
    assert trace.unknown == [False, True, False]


def test_upper_case_letters_are_known_to_a_lower_casing_model_but_shown_as_written(bracket_counter: Model) -> None:
    trace = bracket_counter.run("AbC")

    assert trace.tokens == ["A", "b", "C"]
    assert trace.unknown == [False, False, False]


def test_spans_index_the_original_text_when_control_characters_are_dropped(bracket_counter: Model) -> None:
    text = "a\x00b\tc\r\n(d)"

    trace = bracket_counter.run(text)

    assert trace.tokens == ["a", "b", "c", "(", "d", ")"]
    assert trace.spans == [(0, 1), (2, 3), (4, 5), (7, 8), (8, 9), (9, 10)]
    assert [text[start:end] for start, end in trace.spans] == trace.tokens


def test_spans_of_emoji_and_symbols_index_the_original_text(bracket_counter: Model) -> None:
    text = "(👍🏽 ok) 😀€\u200d!"

    trace = bracket_counter.run(text)

    assert [text[start:end] for start, end in trace.spans] == trace.tokens
    assert trace.unknown[trace.tokens.index("😀")] is True
    assert trace.unknown[trace.tokens.index("o")] is False


def test_word_model_spans_cover_whole_words() -> None:
    model = word_model()
    text = "Good  film, BAD!"

    trace = model.run(text)

    assert trace.tokens == ["Good", "film", ",", "BAD", "!"]
    assert trace.unknown == [False, False, True, False, False]
    assert [text[start:end] for start, end in trace.spans] == trace.tokens


def test_array_input_gives_step_numbers_as_tokens_and_no_spans(bracket_counter: Model) -> None:
    x = np.zeros((4, 4), np.float32)
    x[:, 3] = 1.0

    trace = bracket_counter.run(x)

    assert trace.tokens == ["0", "1", "2", "3"]
    assert trace.unknown == [False, False, False, False]
    assert trace.spans is None
    assert trace.text is None


def test_nested_list_input_runs_like_the_same_array(bracket_counter: Model) -> None:
    rows = [[1, 0, 0, 1], [0, 0, 1, 1], [0, 1, 0, 1]]

    from_list = bracket_counter.run(rows)
    from_array = bracket_counter.run(np.array(rows, np.float32))

    np.testing.assert_array_equal(from_list.layers[0].c, from_array.layers[0].c)


def test_embedded_text_and_the_same_rows_as_an_array_give_the_same_trace(bracket_counter: Model) -> None:
    text = "(ab)"
    rows = bracket_counter.embedding[[bracket_counter.vocabulary.id(character) for character in text]]

    np.testing.assert_array_equal(bracket_counter.run(text).layers[0].h, bracket_counter.run(rows).layers[0].h)


def test_initial_states_change_the_run(bracket_counter: Model) -> None:
    h0 = np.zeros((1, 3), np.float32)
    c0 = np.array([[2.0, 0.0, 0.0]], np.float32)

    trace = bracket_counter.run("a)", h0=h0, c0=c0)

    np.testing.assert_allclose(trace.layers[0].c[:, 0], [2, 1], atol=0.02)
    np.testing.assert_array_equal(trace.layers[0].c0, [2, 0, 0])


# --- value ranges and immutability --------------------------------------------------------------

RANGE_CASES = {
    "lstm": dict(kind="lstm"),
    "lstm_peepholes_bidirectional_two_layers": dict(kind="lstm", peepholes=True, bidirectional=True, layers=2),
    "gru_pytorch": dict(kind="gru"),
    "gru_cho_bidirectional_two_layers": dict(kind="gru", gru_convention="cho", bidirectional=True, layers=2),
    "rnn_tanh_two_layers": dict(kind="rnn", layers=2),
}


@pytest.mark.parametrize("options", RANGE_CASES.values(), ids=RANGE_CASES.keys())
def test_gates_lie_in_0_1_and_candidate_and_hidden_state_in_minus_1_1(options: dict) -> None:
    model = random_model(**options)
    x = np.random.default_rng(5).normal(0, 4, (40, model.input_size))

    trace = model.run(x)

    for layer in trace.layers:
        for name, gate in layer.gates.items():
            low, high = (-1.0, 1.0) if name == "candidate" else (0.0, 1.0)
            assert gate.min() >= low and gate.max() <= high, f"layer {layer.index} {name}"
        assert np.abs(layer.h).max() <= 1.0
    if options["kind"] != "rnn":
        gates = np.concatenate(
            [g.ravel() for layer in trace.layers for n, g in layer.gates.items() if n != "candidate"]
        )
        assert gates.min() < 0.01 and gates.max() > 0.99  # the check above really saw saturated gates


@pytest.mark.parametrize("options", RANGE_CASES.values(), ids=RANGE_CASES.keys())
def test_every_trace_array_is_read_only(options: dict) -> None:
    trace = random_model(**options).run(np.ones((3, 4)))

    for layer in trace.layers:
        arrays = {
            "h": layer.h,
            "h0": layer.h0,
            "c": layer.c,
            "c0": layer.c0,
            "hidden_preactivation": layer.hidden_preactivation,
            **layer.gates,
            **{f"pre {name}": value for name, value in layer.preactivations.items()},
        }
        for name, array in arrays.items():
            if array is None:
                continue
            with pytest.raises(ValueError):
                array[0] = 0.5
            assert not array.flags.writeable, name


def test_trace_gate_mapping_cannot_be_changed() -> None:
    trace = random_model("lstm").run(np.ones((2, 4)))

    with pytest.raises(TypeError):
        trace.layers[0].gates["forget"] = np.zeros((2, 5))  # type: ignore[index]


def test_trace_outputs_are_read_only(bracket_counter: Model) -> None:
    trace = bracket_counter.run("(a)")

    with pytest.raises(ValueError):
        trace.outputs[0, 0] = 1.0


def test_changing_the_caller_s_input_afterwards_does_not_change_the_trace(bracket_counter: Model) -> None:
    x = np.zeros((3, 4), np.float32)
    x[:, 0] = 1.0
    trace = bracket_counter.run(x)
    before = trace.layers[0].c.copy()

    x[:] = 0.0

    np.testing.assert_array_equal(trace.layers[0].c, before)


# --- refused input ------------------------------------------------------------------------------

REFUSED_INPUT = {
    "empty text": ("", "no tokens"),
    "only control whitespace": ("\n\t\r\n", "no tokens"),
    "bytes": (b"(a)", "decode"),
    "bytearray": (bytearray(b"(a)"), "decode"),
    "wrong feature size": (np.zeros((5, 3)), "expected (T, 4)"),
    "1-D array": (np.zeros(4), "expected (T, 4)"),
    "3-D array": (np.zeros((1, 5, 4)), "expected (T, 4)"),
    "NaN": (np.array([[0.0, np.nan, 0.0, 1.0]]), "NaN"),
    "inf": (np.array([[0.0, 0.0, -np.inf, 1.0]]), "infinite"),
    "object array": (np.array([[1, "a", 2.0, None]], dtype=object), "real numbers"),
    "str array": (np.array([["a", "b", "c", "d"]]), "real numbers"),
    "complex array": (np.zeros((2, 4), complex), "real numbers"),
    "T = 0": (np.zeros((0, 4)), "T = 0"),
    "list of words": (["(a)", "b"], "text (str) or a float array"),
    "None": (None, "text (str) or a float array"),
    "int": (7, "text (str) or a float array"),
}


@pytest.mark.parametrize(("source", "hint"), REFUSED_INPUT.values(), ids=REFUSED_INPUT.keys())
def test_unusable_input_raises_gatescope_error_with_an_actionable_message(
    bracket_counter: Model, source, hint: str
) -> None:
    with pytest.raises(GatescopeError) as caught:
        bracket_counter.run(source)

    assert hint in str(caught.value)


@pytest.mark.parametrize("shape", [(4,), (5, 3), (1, 5, 4)])
def test_wrong_array_shape_message_states_the_shape_found(bracket_counter: Model, shape: tuple) -> None:
    with pytest.raises(GatescopeError) as caught:
        bracket_counter.run(np.zeros(shape))

    assert str(shape) in str(caught.value)


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \u00a0\u2003"])
def test_whitespace_only_text_on_a_word_model_raises_gatescope_error(text: str) -> None:
    with pytest.raises(GatescopeError, match="no tokens"):
        word_model().run(text)


def test_spaces_are_tokens_for_a_character_model(bracket_counter: Model) -> None:
    # Character models read spaces (CharTokenizer keeps them), so a text of spaces is something to run on.
    trace = bracket_counter.run("   ")

    assert trace.tokens == [" ", " ", " "]


@pytest.mark.parametrize(
    ("h0", "c0", "hint"),
    [
        (np.zeros(3), None, "h0 has shape (3,); expected (1, 3)"),
        (np.zeros((2, 3)), None, "h0 has shape (2, 3); expected (1, 3)"),
        (np.zeros((1, 4)), None, "h0 has shape (1, 4); expected (1, 3)"),
        (None, np.zeros((1, 2)), "c0 has shape (1, 2); expected (1, 3)"),
        (None, np.zeros((3, 1)), "c0 has shape (3, 1); expected (1, 3)"),
        (np.full((1, 3), np.nan), None, "h0 must hold finite real numbers"),
        (None, np.array([[0.0, np.inf, 0.0]]), "c0 must hold finite real numbers"),
        (np.array([["a", "b", "c"]]), None, "h0 must hold finite real numbers"),
    ],
)
def test_wrong_initial_states_raise_gatescope_error_with_the_expected_shape(
    bracket_counter: Model, h0, c0, hint: str
) -> None:
    with pytest.raises(GatescopeError) as caught:
        bracket_counter.run("(a)", h0=h0, c0=c0)

    assert hint in str(caught.value)


def test_initial_state_shape_of_a_two_layer_bidirectional_model_counts_layers_times_directions() -> None:
    model = random_model("gru", layers=2, bidirectional=True)

    with pytest.raises(GatescopeError, match=r"expected \(4, 5\)"):
        model.run(np.ones((3, 4)), h0=np.zeros((2, 5)))
    trace = model.run(np.ones((3, 4)), h0=np.full((4, 5), 0.5))

    np.testing.assert_array_equal(trace.layers[1].h0, np.full(10, 0.5))


def test_text_on_an_array_only_model_says_it_cannot_read_text_and_what_to_pass() -> None:
    model = random_model("lstm")

    with pytest.raises(GatescopeError) as caught:
        model.run("hello")

    assert "cannot read text" in str(caught.value)
    assert "(T, 4)" in str(caught.value)


# --- long and unusual text ----------------------------------------------------------------------


def test_hundred_thousand_character_text_runs(bracket_counter: Model) -> None:
    text = "(ab)" * 25_000

    trace = bracket_counter.run(text)

    assert trace.steps == 100_000
    assert trace.spans[-1] == (99_999, 100_000)
    assert np.abs(trace.layers[0].c[:, 0]).max() < 1.1  # depth never builds up past one bracket
    assert trace.prediction()[0] == "outside brackets"


def test_hundred_thousand_characters_of_mixed_unicode_run(bracket_counter: Model) -> None:
    rng = random.Random(11)
    pool = "ab (c)\t\n\x00\x7f\x1b é€😀👍🏽\u200d🇫🇷\U000e0067\u0301\ufeff\ud800字"
    text = "".join(rng.choice(pool) for _ in range(100_000))

    trace = bracket_counter.run(text)

    assert 0 < trace.steps < 100_000
    assert [text[start:end] for start, end in trace.spans[:500]] == trace.tokens[:500]
    assert np.all(np.isfinite(trace.outputs))


@pytest.mark.parametrize(
    "text",
    ["😀", "👩\u200d👩\u200d👧", "🇯🇵(a)", "\x1b[31m(red)\x1b[0m", "a\ufeffb", "e\u0301", "\u202e(ab)", "\ud83d(x)"],
)
def test_emoji_and_control_characters_run_and_their_spans_index_the_text(bracket_counter: Model, text: str) -> None:
    trace = bracket_counter.run(text)

    assert trace.steps >= 1
    assert [text[start:end] for start, end in trace.spans] == trace.tokens
    assert np.all(np.isfinite(trace.layers[0].h))


# --- the catalogue, names and summaries ---------------------------------------------------------


def test_list_models_includes_the_bracket_counter_with_its_one_line_description() -> None:
    catalogue = dict(gatescope.list_models())

    assert "bracket-counter" in catalogue
    description = catalogue["bracket-counter"]
    assert "bracket" in description
    assert "\n" not in description
    assert description == gatescope.load_model("bracket-counter").description.splitlines()[0]


def test_list_models_is_sorted_by_name() -> None:
    names = [name for name, _ in gatescope.list_models()]

    assert names == sorted(names)


def test_loading_a_built_in_model_by_name_marks_its_name(bracket_counter: Model) -> None:
    assert bracket_counter.name == "bracket-counter"
    assert bracket_counter.reads_text
    assert bracket_counter.kind == "lstm"


def test_unknown_model_name_lists_the_built_in_names() -> None:
    with pytest.raises(GatescopeError) as caught:
        gatescope.load_model("bracket-countr")

    assert "bracket-countr" in str(caught.value)
    assert "bracket-counter" in str(caught.value)


def test_summary_mentions_kind_units_layers_and_what_the_model_reads(bracket_counter: Model) -> None:
    summary = bracket_counter.summary()

    assert "LSTM" in summary
    assert "3 units" in summary
    assert "1-layer" in summary
    assert "char-level text" in summary
    assert "inside brackets" in summary
    assert f"{bracket_counter.parameter_count():,} parameters" in summary


def test_summary_of_a_bidirectional_array_model_says_so() -> None:
    summary = random_model("gru", layers=2, bidirectional=True, units=6).summary()

    assert "2-layer bidirectional GRU" in summary
    assert "6 units" in summary
    assert "4 features a step" in summary


def test_summary_of_a_model_that_reads_right_to_left_says_so() -> None:
    reverse = read_right_to_left(random_model("lstm", layers=2, units=6))

    assert "2-layer reverse LSTM" in reverse.summary()
