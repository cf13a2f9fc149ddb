"""An animation export that no encoder takes or that cannot fit in memory is refused from its settings, with the
numbers, before a model is loaded or a frame drawn; what fits goes ahead."""

from __future__ import annotations

import pytest

from gatescope.cli import main
from gatescope.errors import GatescopeError
from gatescope.export import limits
from gatescope.export.limits import EXPORT_MEMORY_LIMIT, check_frames, estimate_memory, memory_budget
from gatescope.export.settings import AnimationSettings
from tests.helpers import SENTENCE, make_text_model

GB = 1_000_000_000


@pytest.fixture
def nothing_may_render(monkeypatch):
    """Starting Qt or rendering any frame fails the test at once."""
    import gatescope.export.animation
    import gatescope.ui.application

    def refuse(*args, **kwargs):
        raise AssertionError("the export started instead of being refused")

    monkeypatch.setattr(gatescope.ui.application, "headless_application", refuse)
    monkeypatch.setattr(gatescope.export.animation, "export_animation", refuse)


def test_export_of_8000x8000_at_scale_4_is_refused_with_the_numbers_before_qt_starts(
    capsys, tmp_path, nothing_may_render
) -> None:
    argv = ["export", "--model", "lstm-brackets", "--text", "(a)", "--format", "png", "--size", "8000x8000"]

    code = main([*argv, "--scale", "4", "--out", str(tmp_path / "frames")])

    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1
    assert "32,000×32,000 pixels" in err and "16,384 pixels a side" in err
    assert "each frame alone is 3.1 GB" in err and "37.4 GB of memory" in err
    assert not (tmp_path / "frames").exists()


def test_settings_refuse_frames_wider_than_video_encoders_take() -> None:
    settings = AnimationSettings(size=(8000, 6000), scale=3, format="gif")

    with pytest.raises(GatescopeError, match=r"frames of 24,000×18,000 pixels, more than the 16,384"):
        settings.checked(steps=3)


def test_mp4_frames_beyond_h264_level_6_2_are_refused_saying_players_would_refuse_them() -> None:
    settings = AnimationSettings(size=(8000, 8000), scale=1, format="mp4")

    with pytest.raises(GatescopeError, match=r"250,000 blocks of 16×16\), more than the 139,264"):
        settings.checked(steps=3)


def test_8k_mp4_within_h264_levels_is_accepted_when_the_memory_is_there() -> None:
    check_frames("mp4", (4096, 2160), 2.0, (8192, 4320), budget=EXPORT_MEMORY_LIMIT)


def test_export_needing_more_memory_than_it_may_use_is_refused_with_the_estimate() -> None:
    with pytest.raises(GatescopeError) as refusal:
        check_frames("png", (8000, 8000), 2.0, (16000, 16000), budget=EXPORT_MEMORY_LIMIT)

    message = str(refusal.value)
    assert "each frame alone is 768 MB as RGB and the export would need about 9.8 GB of memory" in message
    assert "more than the 8 GB an export may use" in message


def test_less_free_memory_means_a_smaller_budget(monkeypatch) -> None:
    monkeypatch.setattr(limits, "available_memory", lambda: 2 * GB)

    with pytest.raises(GatescopeError, match="more than the 1.5 GB an export may use"):
        AnimationSettings(size=(6000, 6000), scale=1, format="gif").checked(steps=3)

    assert memory_budget(available=2 * GB) == 1.5 * GB
    assert memory_budget(available=100 * GB) == EXPORT_MEMORY_LIMIT


def test_default_export_is_estimated_well_within_any_budget() -> None:
    estimate = estimate_memory("gif", (1280, 720), (1280, 720))

    assert estimate.frame_bytes == 1280 * 720 * 3
    assert estimate.peak_bytes < 0.5 * GB


def test_svg_frames_are_not_limited_by_their_pixel_scale() -> None:
    AnimationSettings(size=(8000, 8000), scale=4, format="svg").checked(steps=3)


def test_export_dialog_shows_the_refusal_and_disables_export(qtbot, qapp) -> None:
    from gatescope.ui.session import SessionModel
    from gatescope.ui.window.export_dialog import ExportAnimationDialog

    dialog = ExportAnimationDialog(SessionModel(make_text_model("lstm", units=8), SENTENCE), None)
    qtbot.addWidget(dialog)
    dialog.width_box.setValue(8000)
    dialog.height_box.setValue(8000)
    dialog.scale_box.setCurrentIndex(dialog.scale_box.findData(3.0))

    assert dialog.summary.text().startswith("⚠ --size 8000x8000 --scale 3 makes frames of 24,000×24,000 pixels")
    assert not dialog.export_button.isEnabled()
