"""The review corpus: reproducible, balanced, varied, and each test subset shows its phenomenon."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from gatescope.model.tokenize import WordTokenizer
from gatescope.train.reviews import (
    DOMAINS,
    LABELS,
    PHENOMENA,
    Review,
    count_tokens,
    data_hash,
    dev_reviews,
    generate_reviews,
    handwritten_reviews,
    make_annotated_splits,
    make_splits,
    real_reviews,
    sentiment_lexicon,
    written_reviews,
)
from gatescope.train.reviews.phrases import all_texts, phrases
from gatescope.train.reviews.records import stable_seed

TOKENIZER = WordTokenizer()
ALLOWED_KEY = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*|[.,;!?]")
EVALUATION = ("validation", "test", "negation", "contrast", "long_range", "unknown_words")
SUBSETS = ("negation", "contrast", "long_range", "unknown_words")
ROOT = Path(__file__).resolve().parents[2]


def keys(text: str) -> list[str]:
    return [token.key for token in TOKENIZER.tokenize(text)]


def word_keys(text: str) -> set[str]:
    return {key for key in keys(text) if key[0].isalnum()}


def position_after(haystack: str, needle: str) -> int:
    """Index just past the first occurrence of needle in haystack (case-insensitive), or -1."""
    at = haystack.lower().find(needle.lower())
    return -1 if at < 0 else at + len(needle)


@pytest.fixture(scope="module")
def annotated_splits():
    return make_annotated_splits(seed=0)


@pytest.fixture(scope="module")
def splits(annotated_splits):
    return {name: [a.review for a in reviews] for name, reviews in annotated_splits.items()}


@pytest.fixture(scope="module")
def train_vocabulary(splits):
    vocabulary: set[str] = set()
    for review in splits["train"]:
        vocabulary |= word_keys(review.text)
    return vocabulary


# ---- API and determinism -------------------------------------------------------------------


def test_labels_and_review_fields():
    assert LABELS == ["negative", "positive"]
    reviews = generate_reviews(200, seed=3)
    assert len(reviews) == 200
    for review in reviews:
        assert isinstance(review, Review)
        assert review.label in (0, 1)
        assert review.domain in DOMAINS
        assert isinstance(review.phenomena, tuple) and review.phenomena
        assert set(review.phenomena) <= set(PHENOMENA)
    assert {r.domain for r in reviews} == set(DOMAINS)


def test_same_seed_gives_identical_reviews_and_other_seeds_differ():
    first = generate_reviews(500, seed=11)
    again = generate_reviews(500, seed=11)
    other = generate_reviews(500, seed=12)
    assert first == again
    assert data_hash(first) == data_hash(again)
    assert data_hash(first) != data_hash(other)
    assert len({r.text for r in first} & {r.text for r in other}) < 50


def test_output_does_not_depend_on_hash_randomisation():
    probe = (
        "from gatescope.train.reviews import generate_reviews, data_hash\n"
        "print(data_hash(generate_reviews(300, seed=5)), data_hash(generate_reviews(100, 5, 'unknown_words')))\n"
    )
    outputs = set()
    for hash_seed in ("1", "2"):
        environment = dict(os.environ, PYTHONHASHSEED=hash_seed)
        result = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120
        )
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout.strip())
    assert len(outputs) == 1


def test_make_splits_is_deterministic_and_seeded():
    small = dict(train=600, validation=100, test=100, subset=60)
    assert make_splits(seed=1, **small) == make_splits(seed=1, **small)
    assert make_splits(seed=1, **small)["train"] != make_splits(seed=2, **small)["train"]


def test_data_hash_covers_text_and_label():
    reviews = generate_reviews(20, seed=0)
    flipped = [Review(r.text, 1 - r.label, r.domain, r.phenomena) if i == 7 else r for i, r in enumerate(reviews)]
    edited = [Review(r.text + "!", r.label, r.domain, r.phenomena) if i == 7 else r for i, r in enumerate(reviews)]
    assert len(data_hash(reviews)) == 64
    assert data_hash(reviews) != data_hash(flipped)
    assert data_hash(reviews) != data_hash(edited)
    assert data_hash(reviews) != data_hash(reviews[::-1])


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match=r"^unknown phenomenon 'sarcasm'; expected None or one of \('plain', "):
        generate_reviews(10, seed=0, phenomenon="sarcasm")
    with pytest.raises(ValueError, match=r"^vocabulary must be 'train' or 'heldout', got 'everything'$"):
        generate_reviews(10, seed=0, vocabulary="everything")
    with pytest.raises(ValueError, match=r"^n must be a non-negative integer, got -1$"):
        generate_reviews(-1, seed=0)


def test_ten_thousand_reviews_are_all_distinct_and_balanced():
    reviews = generate_reviews(10000, seed=99)
    assert len({review.text.lower() for review in reviews}) == 10000
    assert sum(review.label for review in reviews) == 5000


# ---- sizes, balance, overlap ---------------------------------------------------------------


def test_split_sizes(splits):
    assert list(splits) == ["train", "validation", "test", "negation", "contrast", "long_range", "unknown_words"]
    assert len(splits["train"]) == 40000
    assert len(splits["validation"]) == 4000
    assert len(splits["test"]) == 4000
    for name in SUBSETS:
        assert len(splits[name]) == 1000, name


def test_every_split_is_balanced(splits):
    for name, reviews in splits.items():
        share = sum(r.label for r in reviews) / len(reviews)
        assert abs(share - 0.5) <= 0.02, (name, share)
    share = sum(r.label for r in generate_reviews(501, seed=4)) / 501
    assert abs(share - 0.5) <= 0.01


def test_no_evaluation_text_appears_in_training(splits):
    train_texts = {r.text.lower() for r in splits["train"]}
    assert len(train_texts) == len(splits["train"])  # no duplicates inside train either
    seen: set[str] = set()
    for name in EVALUATION:
        texts = {r.text.lower() for r in splits[name]}
        assert not texts & train_texts, name
        assert not texts & seen, name  # evaluation splits are disjoint from each other too
        seen |= texts


def test_every_domain_is_well_represented(splits):
    counts = Counter(r.domain for r in splits["train"])
    assert set(counts) == set(DOMAINS)
    assert min(counts.values()) > 0.15 * len(splits["train"])


# ---- text quality --------------------------------------------------------------------------


def test_training_vocabulary_has_at_least_3000_words(train_vocabulary):
    assert len(train_vocabulary) >= 3000


def test_generated_text_tokenizes_cleanly(splits):
    sample = [r for name in splits for r in splits[name][:1500]]
    for review in sample:
        assert re.fullmatch(r"[A-Za-z0-9' .,;!?-]+", review.text), review.text
        assert "  " not in review.text and review.text == review.text.strip(), review.text
        tokens = keys(review.text)
        assert tokens, review.text
        for key in tokens:
            assert ALLOWED_KEY.fullmatch(key), (key, review.text)
        assert count_tokens(review.text) == len(tokens)


def test_training_mix_covers_every_phenomenon(splits):
    counts = Counter(tag for r in splits["train"] for tag in r.phenomena)
    total = len(splits["train"])
    for tag in ("plain", "intensifier", "negation", "contrast", "long_range", "filler"):
        assert counts[tag] > 0.05 * total, (tag, counts)
    assert counts["unknown_words"] == 0


def test_review_lengths_vary(splits):
    lengths = [count_tokens(r.text) for r in splits["train"]]
    assert min(lengths) <= 4
    assert max(lengths) >= 40
    assert sum(1 for n in lengths if n >= 20) > 0.15 * len(lengths)


def test_intensifiers_and_diminishers_both_appear(splits):
    text = " ".join(r.text.lower() for r in splits["train"][:8000])
    for word in ("very", "really", "absolutely", "so", "extremely", "a bit", "somewhat", "slightly", "fairly"):
        assert re.search(rf"\b{word}\b", text), word


def test_common_review_phrases_appear(splits):
    text = " ".join(r.text.lower() for r in splits["train"])
    for phrase in (
        "would not recommend",
        "waste of money",
        "highly recommend",
        "worth every penny",
        "never again",
        "five stars",
        "fell apart after a week",
        "not bad at all",
        "never disappoints",
        "no complaints",
        "hardly worth",
        "couldn't be happier",
        "nothing good to say",
    ):
        assert phrase in text, phrase


def test_filler_clauses_carry_no_sentiment_words(annotated_splits):
    lexicon = sentiment_lexicon()
    checked = 0
    for annotated in annotated_splits["train"][:10000]:
        for clause in annotated.clauses:
            if clause.role == "filler":
                checked += 1
                assert not word_keys(clause.text) & lexicon, clause.text
    assert checked > 1000


def test_clauses_are_in_the_text_and_agree_with_the_label(annotated_splits):
    for annotated in annotated_splits["train"]:
        review = annotated.review
        label = 1 if review.label else -1
        assert annotated.decisive.polarity == label, review
        for clause in annotated.clauses:
            assert position_after(review.text, clause.text) > 0, (clause.text, review.text)
            if clause.role in ("decisive", "support"):
                assert clause.polarity == label
            elif clause.role == "conceded":
                assert clause.polarity == -label
            else:
                assert clause.role == "filler" and clause.polarity == 0
            if clause.negated:
                assert clause.base_polarity == -clause.polarity


# ---- phenomenon subsets --------------------------------------------------------------------


def test_negation_subset_is_decided_by_a_negated_clause(annotated_splits):
    cues = set(phrases().words["negation_cues"])
    flips = Counter()
    for annotated in annotated_splits["negation"]:
        review = annotated.review
        assert "negation" in review.phenomena
        sentiment = [c for c in annotated.clauses if c.role != "filler"]
        assert len(sentiment) == 1, review.text  # nothing else gives the label away
        decisive = sentiment[0]
        assert decisive.negated
        assert decisive.polarity == (1 if review.label else -1)
        assert decisive.base_polarity == -decisive.polarity
        clause_keys = keys(decisive.text)
        assert any(k in cues or k.endswith("n't") for k in clause_keys), decisive.text
        flips[decisive.base_polarity] += 1
    # negated praise ("wasn't great") and negated criticism ("not bad at all") both appear
    assert min(flips.values()) > 300, flips


def test_contrast_subset_is_decided_by_the_later_clause(annotated_splits):
    markers = Counter()
    for annotated in annotated_splits["contrast"]:
        review = annotated.review
        label = 1 if review.label else -1
        assert "contrast" in review.phenomena
        assert annotated.structure in ("contrast-mid", "contrast-lead")
        conceded = [c for c in annotated.clauses if c.role == "conceded"]
        assert len(conceded) == 1
        decisive = annotated.decisive
        assert decisive.polarity == label
        assert conceded[0].polarity == -label
        marker = decisive.marker
        assert marker in phrases().contrast["mid"].items + phrases().contrast["lead"].items
        assert re.search(rf"(^|[^a-z']){re.escape(marker)}([^a-z']|$)", review.text.lower()), review.text
        conceded_end = position_after(review.text, conceded[0].text)
        decisive_end = position_after(review.text, decisive.text)
        assert 0 < conceded_end < decisive_end, review.text
        marker_at = review.text.lower().find(marker, 0)
        assert marker_at < decisive_end - len(decisive.text), review.text
        markers[marker] += 1
    for marker in ("but", "however", "although", "yet", "despite", "even though", "still"):
        assert markers[marker] >= 10, markers


def test_long_range_subset_decides_early_and_is_20_to_40_tokens(annotated_splits):
    distances = []
    for annotated in annotated_splits["long_range"]:
        review = annotated.review
        assert "long_range" in review.phenomena
        total = len(keys(review.text))
        assert 20 <= total <= 40, (total, review.text)
        judgements = [c for c in annotated.clauses if c.role in ("decisive", "support")]
        last_end = max(position_after(review.text, c.text) for c in judgements)
        after = len(keys(review.text[last_end:]))
        assert after >= 12, review.text
        assert all(c.role in ("decisive", "support", "filler") for c in annotated.clauses)
        distances.append(after)
    assert max(distances) >= 25


def test_unknown_words_subset_uses_words_never_seen_in_training(splits, annotated_splits, train_vocabulary):
    kinds = Counter()
    for annotated in annotated_splits["unknown_words"]:
        review = annotated.review
        unknown = word_keys(review.text) - train_vocabulary
        assert unknown, review.text
        assert "unknown_words" in review.phenomena
        # the verdict never rests on an unknown word alone
        known = [
            c
            for c in annotated.clauses
            if c.role in ("decisive", "support") and not word_keys(c.text) - train_vocabulary
        ]
        unknown_judgements = [
            c for c in annotated.clauses if c.role in ("decisive", "support") and word_keys(c.text) - train_vocabulary
        ]
        if unknown_judgements and not known:
            # an unknown aspect is fine: the judging words themselves are known
            for clause in unknown_judgements:
                lexicon_words = word_keys(clause.text) & sentiment_lexicon()
                assert not lexicon_words - train_vocabulary, clause.text
        kinds["judgement" if unknown_judgements else "filler"] += 1
    assert kinds["judgement"] > 500 and kinds["filler"] > 50, kinds


def test_training_vocabulary_never_contains_held_out_words(train_vocabulary):
    from gatescope.train.reviews import heldout_words

    held = heldout_words()
    assert len(held) >= 50
    assert not held & train_vocabulary


def test_subsets_can_be_generated_directly():
    for phenomenon in SUBSETS:
        reviews = generate_reviews(40, seed=8, phenomenon=phenomenon)
        assert len(reviews) == 40
        assert all(phenomenon in r.phenomena for r in reviews), phenomenon


# ---- the hand-written set ------------------------------------------------------------------


def test_handwritten_set_is_large_balanced_and_unseen(splits):
    reviews = handwritten_reviews()
    assert len(reviews) >= 60
    positives = sum(r.label for r in reviews)
    assert abs(positives - (len(reviews) - positives)) <= 2
    assert {r.domain for r in reviews} == set(DOMAINS)
    assert len({r.text for r in reviews}) == len(reviews)
    generated = {r.text.lower() for name in splits for r in splits[name]}
    assert not {r.text.lower() for r in reviews} & generated
    for review in reviews:
        assert review.label in (0, 1) and review.text.strip() == review.text
        assert set(review.phenomena) <= set(PHENOMENA)


def test_dev_set_is_large_balanced_and_separate(splits):
    reviews = dev_reviews()
    assert len(reviews) >= 100
    positives = sum(r.label for r in reviews)
    assert abs(positives - (len(reviews) - positives)) <= 2
    assert {r.domain for r in reviews} == set(DOMAINS)
    texts = {r.text.lower() for r in reviews}
    assert len(texts) == len(reviews)
    assert not texts & {r.text.lower() for r in handwritten_reviews()}
    assert not texts & {r.text.lower() for name in splits for r in splits[name]}


@pytest.mark.parametrize(
    "name, count",
    [
        ("handwritten.tsv", lambda: len(handwritten_reviews())),
        ("dev_reviews.tsv", lambda: len(dev_reviews())),
        ("real_sentences.tsv, real_snippets.tsv", lambda: sum(len(group) for group in real_reviews().values())),
        ("written_reviews.tsv", lambda: sum(len(group) for group in written_reviews().values())),
    ],
)
def test_review_file_format(name, count):
    lines = [
        line
        for file in name.split(", ")
        for line in (ROOT / "gatescope" / "train" / "data" / file).read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    assert len(lines) == count()
    for line in lines:
        label, tab, text = line.partition("\t")
        assert tab and label in ("positive", "negative") and "\t" not in text


def test_templates_use_only_known_slots_and_weekdays_stay_weekdays():
    known = {
        "a",
        "item",
        "aspect",
        "name",
        "surname",
        "city",
        "relative",
        "day",
        "month",
        "season",
        "number",
        "ordinal",
        "decade",
        "year",
        "time",
        "duration",
        "hours",
        "day_span",
        "occasion",
        "activity",
        "color",
        "genre",
        "landmark",
        "food",
        "animal",
        "plant",
        "person",
        "object",
        "place",
        "consumed",
        "best",
        "the",
        "be",
        "good",
    }
    used = set()
    for text in [*all_texts(phrases()), *all_texts(phrases(), heldout=True)]:
        used |= set(re.findall(r"\{(\w+)\}", text))
    assert used <= known, used - known
    assert set(phrases().slots["day"]) == {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def test_no_doubled_or_misplaced_articles(splits):
    for review in splits["train"]:
        text = review.text.lower()
        assert not re.search(r"\b(a|an) (a|an|the)\b", text), review.text
        assert not re.search(r"\b(a|an) (two|three|four) (days|weeks|hours)\b", text), review.text
        assert not re.search(r"\b(a|an) (that|all that|exactly|even|remotely) ", text), review.text


def test_generated_splits_never_contain_a_hand_written_text(monkeypatch):
    from gatescope.train import reviews

    first = reviews.make_splits(seed=3, train=300, validation=40, test=40, subset=20)
    chosen = first["train"][17]
    kept = reviews.handwritten_reviews()
    monkeypatch.setattr(reviews.sources, "handwritten_reviews", lambda: [*kept, chosen])
    second = reviews.make_splits(seed=3, train=300, validation=40, test=40, subset=20)
    texts = {r.text.lower() for name in second for r in second[name]}
    assert chosen.text.lower() not in texts and len(second["train"]) == 300


# ---- the real reviews ----------------------------------------------------------------------


def test_real_reviews_are_many_balanced_and_split_without_overlap():
    real = real_reviews()
    train, test = real["real_train"], real["real_test"]
    assert len(train) >= 10000 and 500 <= len(test) <= 700  # one UCI sentence in five is held out
    for group in (train, test):
        assert 0.4 <= sum(review.label for review in group) / len(group) <= 0.6
        for review in group:
            assert review.label in (0, 1) and review.domain in DOMAINS
            assert review.text == review.text.strip() and "\t" not in review.text and keys(review.text)
    assert {review.domain for review in test} == {"products", "movies", "restaurants"}
    train_texts = {review.text.lower() for review in train}
    test_texts = {review.text.lower() for review in test}
    assert len(test_texts) == len(test) and not train_texts & test_texts


def test_real_test_split_is_chosen_by_the_text_alone():
    from gatescope.train.reviews import REAL_TEST_SHARE

    for review in real_reviews()["real_test"]:
        assert stable_seed("real-test", review.text) % REAL_TEST_SHARE == 0
    first = real_reviews()["real_test"][:5]
    real_reviews.cache_clear()
    assert real_reviews()["real_test"][:5] == first


def test_real_reviews_never_hold_a_hand_written_or_generated_text():
    real = {review.text.lower() for group in real_reviews().values() for review in group}
    assert not real & {review.text.lower() for review in handwritten_reviews() + dev_reviews()}
    mixed = make_splits(seed=0, train=4000, validation=400, test=400, subset=100, real=True)
    assert not real & {review.text.lower() for name in mixed for review in mixed[name]}


# ---- the written reviews -------------------------------------------------------------------


def _trigrams(text: str) -> set[tuple[str, ...]]:
    words = [key for key in keys(text) if key[0].isalnum()]
    return {tuple(words[k : k + 3]) for k in range(len(words) - 2)} or {tuple(words)}


def _close_pairs(texts: list[str], others: list[str], share: float) -> list[tuple[str, str]]:
    """Pairs sharing at least ``share`` of the shorter text's word trigrams (near-copies and close paraphrases)."""
    index: dict[tuple[str, ...], list[int]] = {}
    other_grams = [_trigrams(text) for text in others]
    for number, grams in enumerate(other_grams):
        for gram in grams:
            index.setdefault(gram, []).append(number)
    pairs = []
    for text in texts:
        grams = _trigrams(text)
        shared = Counter(number for gram in grams for number in index.get(gram, ()))
        pairs += [
            (text, others[n]) for n, count in shared.items() if count / min(len(grams), len(other_grams[n])) >= share
        ]
    return pairs


def test_written_reviews_are_many_balanced_per_domain_and_split_by_text():
    from gatescope.train.reviews import WRITTEN_VALIDATION_SHARE

    written = written_reviews()
    train, validation = written["written_train"], written["written_validation"]
    every = train + validation
    assert len(every) >= 2500 and 0.07 <= len(validation) / len(every) <= 0.13
    for domain in DOMAINS:
        labels = [review.label for review in every if review.domain == domain]
        assert len(labels) >= 400 and abs(sum(labels) - len(labels) / 2) <= 0.03 * len(labels), domain
    assert len({" ".join(keys(review.text)) for review in every}) == len(every)
    assert all(stable_seed("written-validation", r.text) % WRITTEN_VALIDATION_SHARE == 0 for r in validation)
    assert not any(stable_seed("written-validation", r.text) % WRITTEN_VALIDATION_SHARE == 0 for r in train)
    lengths = [len(keys(review.text)) for review in every]
    assert min(lengths) <= 4 and max(lengths) >= 60  # short verdicts and long reviews with the verdict early


def test_written_reviews_hold_no_copy_or_close_paraphrase_of_a_judging_review():
    written = [review.text for group in written_reviews().values() for review in group]
    assert not _close_pairs(written, [review.text for review in handwritten_reviews()], 0.34)
    assert not _close_pairs(written, [review.text for review in dev_reviews()], 0.5)
    real = {" ".join(keys(review.text)) for group in real_reviews().values() for review in group}
    assert not real & {" ".join(keys(text)) for text in written}


def test_close_pairs_finds_a_paraphrase_and_ignores_a_shared_phrase():
    hand = ["Booked a sea view and got a view of the bins. When we complained they just said the hotel was full."]
    assert _close_pairs(["Paid for a sea view and got a view of the bins behind the kitchen."], hand, 0.34)
    assert not _close_pairs(["The view of the bay from the terrace was worth the climb."], hand, 0.34)


def test_generated_splits_never_hold_a_written_text():
    written = {review.text.lower() for group in written_reviews().values() for review in group}
    mixed = make_splits(seed=0, train=4000, validation=400, test=400, subset=100, written=True)
    assert not written & {review.text.lower() for name in mixed for review in mixed[name]}
