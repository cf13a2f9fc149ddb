"""The generator's data files: what they hold, and a clear error naming file, line and fix for every bad row."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from gatescope.errors import GatescopeError
from gatescope.train import datafiles
from gatescope.train.reviews import lexicon, sources
from gatescope.train.reviews.phrases import phrases

DATA = Path(__file__).resolve().parents[2] / "gatescope" / "train" / "data"


@pytest.fixture
def data_copy(tmp_path, monkeypatch) -> Path:
    """A copy of the data folder that the loaders read instead of the real one."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns("real_*", "written_*", "*.npz"))
    monkeypatch.setattr(datafiles, "data_folder", lambda: copy)
    return copy


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def line_of(path: Path, text: str) -> int:
    return path.read_text(encoding="utf-8").splitlines().index(text) + 1


# ---- what the files hold -------------------------------------------------------------------


def test_weights_stand_next_to_their_words():
    bank = phrases()
    intensifiers = dict(zip(bank.intensifiers.items, bank.intensifiers.cumulative, strict=True))
    assert list(intensifiers)[:4] == ["very", "really", "absolutely", "so"]
    assert intensifiers["very"] == 10 and intensifiers["really"] == 20  # running totals: 10, then 10 more
    assert bank.contrast["mid"].items[:3] == ["but", "yet", "however"]
    assert bank.contrast["mid"].cumulative[:3] == [40, 48, 62]
    assert bank.contrast["trailing"].items[-1] == "only"
    assert bank.contrast_cues == ("but", "yet", "however", "still", "that said", "even so", "nevertheless") + (
        "although",
        "though",
        "even though",
        "while",
        "despite",
        "in spite of",
        "whilst",
    )


def test_banks_are_keyed_as_the_generator_asks():
    bank = phrases()
    assert bank.product_kinds == ("electronics", "kitchen", "clothing", "home")
    assert bank.items["movies"][0] == ("film", False)
    assert bank.aspects["movies"][0] == ("plot", False, "story", "story")
    assert bank.heldout_aspects["movies"][0] == ("cinematography", False, "craft", "visuals")
    assert bank.adjectives("food", 1)[:3] == ("delicious", "tasty", "fresh")
    assert bank.adjectives("general", -1) == ()
    assert bank.verdicts("no_noun", "movies", 1)[:2] == ["complaints", "issues"]  # domain "any" first
    assert bank.in_domain("consumed", "restaurants") == ("eaten at",)
    assert bank.experiencers[4] == ("my {relative}", True)  # "my mum loves it"
    assert bank.words["aside_tails"].count("") == 3  # "(none)": an aside without a tail, three rows of it
    subjects, predicates, endings = bank.narratives[("movies", 1)][0]
    assert subjects[0] == "i" and predicates[0] == "was hooked" and "" in endings


# ---- bad rows ------------------------------------------------------------------------------


def test_a_missing_weight_is_an_error_not_a_shifted_list(data_copy):
    path = data_copy / "phrases" / "intensifiers.tsv"
    edit(path, "really\t10\n", "really\n")
    line = line_of(path, "really")
    message = f"gatescope/train/data/phrases/intensifiers.tsv:{line}: 1 values where the header has 2 (word<TAB>weight)"
    with pytest.raises(GatescopeError, match=message.replace("(", r"\(").replace(")", r"\)")):
        phrases.__wrapped__()


def test_a_weight_must_be_a_whole_number(data_copy):
    path = data_copy / "phrases" / "contrast_markers.tsv"
    edit(path, "mid\tyet\t8\tyes", "mid\tyet\teight\tyes")
    line = line_of(path, "mid\tyet\teight\tyes")
    with pytest.raises(GatescopeError, match=f"contrast_markers.tsv:{line}: weight is 'eight'; write a whole number"):
        phrases.__wrapped__()


def test_a_listed_word_may_carry_only_one_weight(data_copy):
    path = data_copy / "phrases" / "intensifiers.tsv"
    edit(path, "really\t10\n", "really\t10\nvery\t2\n")
    with pytest.raises(GatescopeError, match="'very' is listed twice; give it one row and add up the weights"):
        phrases.__wrapped__()


@pytest.mark.parametrize(
    "file, old, new, problem",
    [
        ("words.tsv", "chatter\t", "chattter\t", "list is 'chattter'; write one of: verb_intensifiers"),
        ("verdicts.tsv", "stock\tany\tpositive\t", "stock\tany\tgood\t", "polarity is 'good'; write one of: positive"),
        ("items.tsv", "movies\tfilm\tsingular", "movies\tfilm\tone", "number is 'one'; write one of: plural, singular"),
        ("aspects.tsv", "\tstory\tstory\tno", "\tstory\tplot\tno", "group 'plot' has no rows in aspect_adjectives"),
        ("domain_words.tsv", "filler\tany\t", "filler\tanywhere\t", "domain is 'anywhere'; write one of: movies"),
        ("experiencers.tsv", "i\tlove", "i\tloving", "verb is 'loving'; write one of: loves, love"),
    ],
)
def test_a_bad_value_names_its_file_line_and_the_allowed_values(data_copy, file, old, new, problem):
    path = data_copy / "phrases" / file
    edit(path, old, new)
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if new in text + "\n")
    with pytest.raises(GatescopeError, match=f"phrases/{file}:{line}: {problem}"):
        phrases.__wrapped__()


def test_a_renamed_column_is_caught_at_the_header(data_copy):
    edit(data_copy / "phrases" / "slots.tsv", "slot\ttext\n", "slot\tword\n")
    with pytest.raises(GatescopeError, match=r"slots.tsv:\d+: the header should be slot<TAB>text, found slot<TAB>word"):
        phrases.__wrapped__()


def test_a_phrase_with_an_unknown_slot_is_refused(data_copy):
    edit(data_copy / "phrases" / "domain_words.tsv", "{city}", "{town}")
    with pytest.raises(GatescopeError, match=r"has the unknown slot \{town\}; use one of"):
        phrases.__wrapped__()


def test_a_lexicon_row_with_an_unknown_band_is_an_error(data_copy, monkeypatch):
    edit(data_copy / "adjectives.tsv", "\tpositive\t3.10\tcommon\t", "\tpositive\t3.10\tusual\t")
    monkeypatch.setattr(lexicon, "heldout_words", lambda: frozenset())
    with pytest.raises(GatescopeError, match=r"adjectives.tsv:\d+: frequency is 'usual'; write one of: common, medium"):
        lexicon.lexicon.__wrapped__()


def test_a_review_without_a_tab_names_its_line(data_copy):
    path = data_copy / "handwritten.tsv"
    first = next(line for line in path.read_text(encoding="utf-8").splitlines() if line.startswith("positive\t"))
    edit(path, first, first.replace("\t", " ", 1))
    with pytest.raises(GatescopeError, match=rf"handwritten.tsv:{line_of(path, first.replace(chr(9), ' ', 1))}: "):
        sources.handwritten_reviews()


# ---- an install without the data -----------------------------------------------------------


def test_without_the_data_folder_the_error_says_how_to_train(tmp_path, monkeypatch):
    monkeypatch.setattr(datafiles, "data_folder", lambda: tmp_path / "data")
    with pytest.raises(GatescopeError) as caught:
        sources.dev_reviews()
    message = str(caught.value)
    assert message.startswith("training data not installed: gatescope/train/data/dev_reviews.tsv is not part of")
    assert "clone gatescope's source, run 'bash scripts/setup.sh' there" in message
    assert "\n" not in message


def test_one_missing_file_in_a_checkout_is_named_as_such(data_copy):
    (data_copy / "phrases" / "slots.tsv").unlink()
    with pytest.raises(GatescopeError, match=r"phrases/slots.tsv: no such training data file"):
        phrases.__wrapped__()
