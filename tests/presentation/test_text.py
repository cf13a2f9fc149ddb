"""How gatescope writes numbers, tokens, units and quantities: one way, everywhere."""

from __future__ import annotations

import pytest

from gatescope.presentation.text import (
    explained,
    number,
    percent,
    phase_title,
    quoted,
    scale_text,
    signed,
    step_text,
    term,
    title,
    token_text,
    unit_label,
    unit_name,
    where,
    wire_title,
)
from tests.helpers import SENTENCE, make_text_model, read_right_to_left


def test_numbers_use_a_true_minus_and_never_show_minus_zero():
    assert signed(-0.001) == "0.00" and signed(-0.5) == "−0.50" and signed(0.123456, 4) == "0.1235"
    assert term(-0.5) == "(−0.50)" and term(0.5) == "0.50"
    assert number(-1.0) == "−1" and number(0.5) == "0.5" and percent(0.084) == "8%"
    assert scale_text(0.0, 1.0) == "0..1" and scale_text(-1.0, 1.0) == "−1..1" and scale_text(-3.0, 1.0) == "−3..1"
    assert scale_text(-2.0, 2.0) == "±2" and scale_text(-1.5, 1.5) == "±1.5"


@pytest.mark.parametrize(
    "token, shown",
    [("but", "but"), (" ", "␣"), ("\n", "⏎"), ("\t", "⇥"), ("a b", "a␣b"), ("\x07", "\\x07"), ("", "∅")],
)
def test_tokens_show_their_whitespace_and_invisible_characters(token, shown):
    assert token_text(token) == shown
    assert quoted(token) == f"'{shown}'"


def test_long_tokens_are_cut_at_the_limit_with_an_ellipsis():
    assert token_text("extraordinarily", limit=9) == "extraord…" and len(token_text("x" * 40, limit=14)) == 14
    assert token_text("wonderful", limit=9) == "wonderful"


def test_positions_count_from_one():
    tokens = SENTENCE.split()
    assert step_text(4, 9) == "step 5 of 9"
    assert where(tokens, 4.0) == "at 'but' (step 5 of 9)"
    assert where(tokens, 3.5) == "between 'dull' and 'but'"
    assert where(tokens, 8.0) == "at 'wonderful' (step 9 of 9)"


def test_units_are_named_with_their_direction_on_bidirectional_layers():
    one_way = make_text_model("lstm", units=4).run(SENTENCE).layers[0]
    both = make_text_model("gru", units=4, bidirectional=True).run(SENTENCE).layers[0]
    assert unit_name(2, one_way) == "unit 2" and unit_name(2, one_way, always_direction=True) == "unit 2 (forward)"
    assert unit_name(2, both) == "unit 2 (forward)" and unit_name(5, both) == "unit 5 (reverse 1)"
    assert unit_label(2, one_way) == "2" and unit_label(2, both) == "fwd 2" and unit_label(5, both) == "rev 1"


def test_units_of_a_layer_that_reads_right_to_left_are_named_reverse():
    reverse = read_right_to_left(make_text_model("gru", units=4)).run(SENTENCE).layers[0]
    assert (
        unit_name(3, reverse) == "unit 3 (reverse)"
        and unit_name(3, reverse, always_direction=True) == "unit 3 (reverse)"
    )
    assert unit_label(3, reverse) == "rev 3"


def test_quantities_have_one_title_and_the_gru_candidate_is_n():
    assert title("forget") == "forget gate f" and title("candidate", "gru") == "candidate n"
    assert title("candidate", "lstm") == "candidate g" and title("cell_before") == "cell state c, before (t−1)"
    assert explained("forget", "lstm", (0.0, 1.0)) == "forget gate f (0..1): how much of the old cell state is kept"
    assert explained("cell_state", "lstm", None) == "cell state c: the LSTM's long-term memory"


def test_phases_and_wires_are_titled_for_their_cell():
    assert phase_title("input") == "Input gate and candidate" and phase_title("combine") == "Combine h(t−1) and x(t)"
    assert wire_title("kept", "lstm") == "f ⊙ c(t−1)" and wire_title("kept", "gru") == "z ⊙ h(t−1)"
    assert wire_title("candidate", "gru") == "n" and wire_title("x", "gru") == "x(t)"
