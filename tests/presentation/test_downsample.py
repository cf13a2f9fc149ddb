"""Downsampling for display: each block of neighbouring units or tokens shows its value farthest from the middle of
the colour scale, so a single saturated unit among a thousand still shows."""

from __future__ import annotations

import gc
import weakref

import numpy as np
from numpy.testing import assert_array_equal

from gatescope.presentation import scales
from gatescope.presentation.downsample import block_starts, most_extreme
from tests.helpers import SENTENCE, make_text_model


def test_blocks_cover_every_row_once_in_nearly_equal_runs():
    starts = block_starts(1024, 90)

    sizes = np.diff([*starts, 1024])
    assert starts[0] == 0 and len(starts) == 90 and sizes.sum() == 1024
    assert set(sizes) <= {11, 12}
    assert_array_equal(block_starts(5, 9), [0, 1, 2, 3, 4])  # never more blocks than rows


def test_each_block_keeps_its_value_farthest_from_the_centre_with_its_sign():
    values = np.array([[0.1, -0.9, 0.2, 0.3], [0.5, 0.4, 0.45, 0.6]], dtype=np.float32).T  # rows × 2 columns

    diverging = most_extreme(values, 2, axis=0, centre=0.0)
    gates = most_extreme(values, 2, axis=0, centre=0.5)

    assert_array_equal(diverging, np.array([[-0.9, 0.3], [0.5, 0.6]], dtype=np.float32).T)
    assert_array_equal(gates, np.array([[-0.9, 0.2], [0.4, 0.6]], dtype=np.float32).T)
    assert diverging.dtype == np.float32 and diverging.flags.c_contiguous


def test_a_single_saturated_unit_among_many_shows():
    gates = np.full((1024, 3), 0.5, dtype=np.float32)
    gates[700, 1] = 1.0

    shown = most_extreme(gates, 64, axis=0, centre=0.5)

    assert shown.shape == (64, 3) and shown[:, 1].max() == 1.0 and np.count_nonzero(shown != 0.5) == 1


def test_nothing_changes_when_there_is_room_for_every_row():
    values = np.arange(12, dtype=np.float32).reshape(4, 3)

    assert most_extreme(values, 4, axis=0, centre=0.0) is values
    assert most_extreme(values, 300, axis=1, centre=0.0) is values


def test_the_cell_state_scale_does_not_keep_a_trace_alive():
    trace = make_text_model("lstm", units=8).run(SENTENCE)
    layer = trace.layers[0]
    assert scales.cell_state_limit(layer) == scales.cell_state_limit(layer) >= 1.0
    gone = weakref.ref(layer)

    del trace, layer
    gc.collect()

    assert gone() is None
