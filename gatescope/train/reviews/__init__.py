"""Labelled English review sentences for training small word-level sentiment models.

generate_reviews() writes reviews of films, restaurants, products, hotels and books clause by clause:
each clause has a polarity, and the review's label is the polarity of its deciding clause. The
phenomena a recurrent model must learn are built in on purpose:

- plain praise and criticism, with intensifiers ("really", "absolutely") and diminishers ("a bit");
- negation that flips a clause ("wasn't great", "not bad at all", "never disappoints");
- contrast, where the later clause decides ("the plot was dull but the ending was wonderful");
- neutral filler ("we went there on a tuesday") mixed in anywhere;
- long reviews whose deciding words come first and are followed by 12+ tokens of filler;
- words held out of training (data/heldout.tsv and the held-out aspects of data/phrases/aspects.tsv), used
  only by the "unknown_words" test subset, where the label never rests on the unknown word alone.

Sentiment words come from the committed data/*.tsv files (scripts/make_lexicon.py derives them from
VADER, wordfreq and WordNet) and phrases from data/phrases/*.tsv; everything runs on the standard library,
and nothing is read before the first review is asked for. The same seed gives the same reviews on every
machine. generate_annotated_reviews() also returns each review's clauses, so tests (and curious users) can
check that a contrast review's label is its deciding clause's polarity.

Modules: records (the data types), phrases and lexicon (the word lists), picker, clauses, negation, contrast,
forms and generator (writing a review), splits (the data sets) and sources (reviews people wrote).
"""

from gatescope.train.reviews.english import count_tokens
from gatescope.train.reviews.generator import generate_annotated_reviews, generate_reviews
from gatescope.train.reviews.lexicon import heldout_words, sentiment_lexicon
from gatescope.train.reviews.records import (
    DOMAINS,
    EVALUATION_SPLITS,
    LABELS,
    PHENOMENA,
    SUBSET_PHENOMENA,
    AnnotatedReview,
    Clause,
    Review,
    data_hash,
)
from gatescope.train.reviews.sources import (
    REAL_TEST_SHARE,
    WRITTEN_VALIDATION_SHARE,
    dev_reviews,
    handwritten_reviews,
    real_reviews,
    written_reviews,
)
from gatescope.train.reviews.splits import make_annotated_splits, make_splits

__all__ = [
    "DOMAINS",
    "EVALUATION_SPLITS",
    "LABELS",
    "PHENOMENA",
    "REAL_TEST_SHARE",
    "SUBSET_PHENOMENA",
    "WRITTEN_VALIDATION_SHARE",
    "AnnotatedReview",
    "Clause",
    "Review",
    "count_tokens",
    "data_hash",
    "dev_reviews",
    "generate_annotated_reviews",
    "generate_reviews",
    "handwritten_reviews",
    "heldout_words",
    "make_annotated_splits",
    "make_splits",
    "real_reviews",
    "sentiment_lexicon",
    "written_reviews",
]
