"""Captions read a step aloud: each phase of the cell for one unit, a whole step, and the headings above them."""

from __future__ import annotations

import dataclasses

from gatescope.engine.phases import PHASES, trace_flows
from gatescope.presentation.captions import diagram_heading, phase_caption, step_caption, step_heading
from gatescope.presentation.text import signed, term
from tests.helpers import SENTENCE, make_text_model, read_right_to_left


def flows_for(kind: str, bidirectional: bool = False):
    model = make_text_model(kind, units=6, bidirectional=bidirectional)
    trace = model.run(SENTENCE)
    return trace, trace_flows(model.layers, trace, 0)


def test_captions_name_the_unit_and_read_its_values():
    trace, (flow,) = flows_for("lstm")
    step, unit = 4, 3
    v = {name: float(values[step, unit]) for name, values in flow.wires.items() if name != "x"}
    forget = phase_caption(flow, step, 1, unit, trace.tokens)
    assert forget.startswith("Forget gate, unit 3: ") and signed(v["forget"]) in forget
    assert f"{v['forget'] * 100:.0f}%" in forget and signed(v["c_prev"]) in forget
    cell = phase_caption(flow, step, 3, unit, trace.tokens)
    assert f"= {signed(v['cell'])}." in cell and term(v["candidate"]) in cell
    combine = phase_caption(flow, step, 0, unit, trace.tokens)
    assert "'but'" in combine and "after 'dull'" in combine and "8 numbers" in combine
    hidden = phase_caption(flow, step, 5, unit, trace.tokens, unit_label="unit 3 (forward)")
    assert "unit 3 (forward)" in hidden and signed(v["hidden"]) in hidden


def test_gru_and_rnn_captions_use_their_own_equations():
    trace, (flow,) = flows_for("gru")
    v = {name: float(values[2, 0]) for name, values in flow.wires.items() if name != "x"}
    text = phase_caption(flow, 2, 4, 0, trace.tokens)
    assert f"h = {term(1 - v['update'])} × {term(v['candidate'])}" in text
    assert "r × (W h(t−1) + b)" in phase_caption(flow, 2, 3, 0, trace.tokens)
    trace, (flow,) = flows_for("rnn")
    assert "tanh(" + signed(float(flow.wires["preactivation"][0, 1])) in phase_caption(flow, 0, 1, 1, trace.tokens)
    assert "before any token" in phase_caption(flow, 0, 0, 1, trace.tokens)


def test_step_caption_reads_an_lstm_step_for_one_unit():
    values = {"forget": 0.08, "input": 0.2, "candidate": -0.39, "cell_before": 0.71, "cell_state": -0.02,
              "output": 0.42, "hidden_state": -0.01, "hidden_before": 0.3}  # fmt: skip
    text = step_caption("lstm", values, "unit 12")
    assert text == (
        "unit 12: forget 0.08 keeps 8% of c = 0.71; input 0.20 writes 0.20 × g (−0.39); c → −0.02; "
        "output 0.42 → h = −0.01"
    )
    assert step_caption("lstm", values, "unit 20 (reverse 4)", reverse=True).endswith(
        "their “before” is the next token"
    )


def test_step_caption_of_gru_and_rnn_follow_their_equations():
    gru = step_caption("gru", {"update": 0.75, "reset": 0.5, "candidate": 0.2, "hidden_before": -0.4,
                               "hidden_state": -0.25}, "unit 1")  # fmt: skip
    assert gru == "unit 1: reset 0.50 lets 50% of h = −0.40 into n = 0.20; update 0.75: h = 0.25 × n + 0.75 × h → −0.25"
    rnn = step_caption("rnn", {"hidden_before": 0.1, "preactivation": -2.0, "hidden_state": 0.0}, "unit 0", "relu")
    assert rnn == "unit 0: h was 0.10; W x + R h + b = −2.00; h = relu(−2.00) = 0.00"


def test_headings_count_from_one_and_name_the_phase_and_layer():
    tokens = SENTENCE.split()
    assert step_heading(tokens, 4, 0, 1) == "step 5 of 9 · 'but'"
    assert step_heading(tokens, 3, 1, 2, phase=(2, "input", 6)) == (
        "step 4 of 9 · 'dull' · phase 3 of 6: Input gate and candidate · layer 2 of 2"
    )


def test_diagram_headings_name_the_cell_its_direction_and_what_sets_it_apart():
    _, (lstm,) = flows_for("lstm")
    _, (forward, reverse) = flows_for("gru", bidirectional=True)
    assert diagram_heading(lstm, bidirectional=False) == "LSTM cell"
    assert diagram_heading(forward, bidirectional=True) == "GRU cell — forward, reads left to right"
    assert diagram_heading(reverse, bidirectional=True) == "GRU cell — reverse, reads right to left"
    peephole = dataclasses.replace(lstm, peepholes=True)
    assert diagram_heading(peephole, False) == "LSTM cell with peepholes (i and f also read c(t−1), o reads c(t))"
    cho = dataclasses.replace(forward, gru_convention="cho")
    assert diagram_heading(cho, False) == "GRU cell (Cho 2014: the reset gate applies to h(t−1) before its weights)"


def test_a_layer_that_reads_right_to_left_is_headed_and_read_aloud_so():
    model = read_right_to_left(make_text_model("lstm", units=6))
    trace = model.run(SENTENCE)
    (flow,) = trace_flows(model.layers, trace, 0)
    assert flow.direction == "reverse"
    assert diagram_heading(flow, bidirectional=False) == "LSTM cell — reverse, reads right to left"
    assert "its state after 'dull'" in phase_caption(flow, 2, 0, 1, trace.tokens)  # step 3, 'was', read after 'dull'
    assert "before any token" in phase_caption(flow, 8, 0, 1, trace.tokens)


def test_diagram_headings_name_what_an_imported_layers_options_change():
    model = make_text_model("lstm", units=6)
    layer = dataclasses.replace(model.layers[0], clip=3.0, input_forget=True, gate_activation="hard_sigmoid_keras2")
    model = dataclasses.replace(model, layers=[layer])
    (flow,) = trace_flows(model.layers, model.run(SENTENCE), 0)
    assert diagram_heading(flow, bidirectional=False) == (
        "LSTM cell; hard sigmoid gates, clip(0.2 x + 0.5, 0, 1); forget gate f = 1 − i; "
        "every pre-activation clipped to ±3"
    )


def test_every_phase_of_every_kind_has_a_caption_that_names_the_unit():
    for kind in ("lstm", "gru", "rnn"):
        trace, (flow,) = flows_for(kind)
        for phase in range(len(PHASES[kind])):
            text = phase_caption(flow, 3, phase, 2, trace.tokens)
            assert "unit 2" in text.lower() and signed(float(flow.wires["h_prev"][3, 2])) in phase_caption(
                flow, 3, 0, 2, trace.tokens
            ), (kind, phase, text)
