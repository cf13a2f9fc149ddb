"""Specifications for the word and character tokenizers and the vocabulary."""

from __future__ import annotations

import json
import random
import unicodedata

import numpy as np
import pytest

from gatescope.errors import GatescopeError
from gatescope.model.tokenize import (
    CharTokenizer,
    Token,
    Vocabulary,
    WordTokenizer,
    tokenizer_from_dict,
)

DROPPED_BY_WORD_TOKENIZER = {"Cc", "Cf", "Cs"}
DROPPED_BY_CHAR_TOKENIZER = {"Cc", "Cs"}
ENGLAND_FLAG = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"


def texts(tokens: list[Token]) -> list[str]:
    """The text of each token."""
    return [token.text for token in tokens]


def assert_tokens_are_ordered_spans_of(original: str, tokens: list[Token]) -> None:
    """Every token is a non-empty slice of original, in order and non-overlapping."""
    previous_end = 0
    for token in tokens:
        assert token.start < token.end
        assert original[token.start : token.end] == token.text
        assert token.start >= previous_end
        previous_end = token.end


def uncovered_characters(original: str, tokens: list[Token]) -> str:
    """The characters of original that no token covers."""
    covered = [False] * len(original)
    for token in tokens:
        covered[token.start : token.end] = [True] * (token.end - token.start)
    return "".join(char for char, is_covered in zip(original, covered) if not is_covered)


def random_unicode_text(rng: random.Random, length: int) -> str:
    """Random text mixing ASCII, marks, emoji parts, controls, surrogates and any code point."""
    pools = [
        (0x20, 0x7E),  # ASCII printable
        (0x00, 0x1F),  # C0 controls
        (0x80, 0x24F),  # C1 controls and Latin
        (0x300, 0x36F),  # combining marks
        (0x900, 0x97F),  # Devanagari
        (0x2000, 0x206F),  # spaces, ZWJ, punctuation, format characters
        (0xD800, 0xDFFF),  # lone surrogates
        (0xFE00, 0xFE0F),  # variation selectors
        (0x1F1E6, 0x1F1FF),  # regional indicators
        (0x1F300, 0x1FAFF),  # emoji and skin-tone modifiers
        (0xE0020, 0xE007F),  # emoji tags
        (0x0, 0x10FFFF),  # anything at all
    ]
    return "".join(chr(rng.randint(*rng.choice(pools))) for _ in range(length))


# --- word tokenizer -------------------------------------------------------------------------


def test_word_tokenizer_splits_punctuation_and_keeps_spans() -> None:
    tokens = WordTokenizer().tokenize("Great film, truly great!")

    assert tokens == [
        Token("Great", "great", 0, 5),
        Token("film", "film", 6, 10),
        Token(",", ",", 10, 11),
        Token("truly", "truly", 12, 17),
        Token("great", "great", 18, 23),
        Token("!", "!", 23, 24),
    ]


def test_word_tokenizer_makes_each_punctuation_character_its_own_token() -> None:
    tokens = WordTokenizer().tokenize("wait...what?!")

    assert texts(tokens) == ["wait", ".", ".", ".", "what", "?", "!"]


@pytest.mark.parametrize("word", ["don't", "don\u2019t", "rock'n'roll", "o'clock"])
def test_word_tokenizer_keeps_words_joined_by_internal_apostrophes(word: str) -> None:
    tokens = WordTokenizer().tokenize(f"I {word} know")

    assert texts(tokens) == ["I", word, "know"]


def test_word_tokenizer_splits_apostrophes_at_word_edges() -> None:
    tokens = WordTokenizer().tokenize("'quoted' dogs' \u2019tis")

    assert texts(tokens) == ["'", "quoted", "'", "dogs", "'", "\u2019", "tis"]


def test_word_tokenizer_keeps_hyphenated_words_and_splits_loose_hyphens() -> None:
    tokens = WordTokenizer().tokenize("a well-made, state-of-the-art film - not a--b or -x")

    assert texts(tokens) == [
        "a", "well-made", ",", "state-of-the-art", "film", "-", "not",
        "a", "-", "-", "b", "or", "-", "x",
    ]  # fmt: skip


def test_word_tokenizer_keeps_digits_and_underscores_inside_words() -> None:
    tokens = WordTokenizer().tokenize("top10 snake_case 3.14 covid-19")

    assert texts(tokens) == ["top10", "snake_case", "3", ".", "14", "covid-19"]


def test_word_tokenizer_lowercases_keys_but_keeps_original_text() -> None:
    tokens = WordTokenizer().tokenize("The FILM Was OK")

    assert texts(tokens) == ["The", "FILM", "Was", "OK"]
    assert [token.key for token in tokens] == ["the", "film", "was", "ok"]


def test_word_tokenizer_without_lowercase_keeps_keys_as_written() -> None:
    tokens = WordTokenizer(lowercase=False).tokenize("The FILM")

    assert [token.key for token in tokens] == ["The", "FILM"]


def test_word_tokenizer_spans_index_original_text_when_lowercasing_changes_length() -> None:
    original = "İİ İstanbul ok"

    tokens = WordTokenizer().tokenize(original)

    assert tokens[0] == Token("İİ", "i\u0307i\u0307", 0, 2)
    assert tokens[1] == Token("İstanbul", "i\u0307stanbul", 3, 11)
    assert tokens[2] == Token("ok", "ok", 12, 14)
    assert_tokens_are_ordered_spans_of(original, tokens)


def test_word_tokenizer_keeps_combining_marks_inside_words() -> None:
    decomposed_cafe = "cafe\u0301"
    hindi = "हिन्दी"

    tokens = WordTokenizer().tokenize(f"{decomposed_cafe} {hindi}!")

    assert texts(tokens) == [decomposed_cafe, hindi, "!"]


@pytest.mark.parametrize(
    "emoji",
    [
        pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467", id="zwj-family"),
        pytest.param("\U0001f44d\U0001f3fd", id="skin-tone"),
        pytest.param("\u2764\ufe0f", id="variation-selector"),
        pytest.param("\U0001f1fa\U0001f1f8", id="flag-pair"),
        pytest.param("#\ufe0f\u20e3", id="keycap"),
        pytest.param("\U0001f3f3\ufe0f\u200d\U0001f308", id="rainbow-flag"),
        pytest.param(ENGLAND_FLAG, id="tag-flag"),
        pytest.param("\U0001f469\U0001f3fe\u200d\U0001f4bb", id="skin-tone-zwj"),
        pytest.param("\u2605\u0301", id="combining-mark-after-symbol"),
    ],
)
def test_word_tokenizer_keeps_emoji_sequences_as_one_token(emoji: str) -> None:
    original = f"love{emoji}it {emoji}"

    tokens = WordTokenizer().tokenize(original)

    assert texts(tokens) == ["love", emoji, "it", emoji]
    assert_tokens_are_ordered_spans_of(original, tokens)


def test_word_tokenizer_pairs_adjacent_regional_indicators_into_flags() -> None:
    usa, britain, lone_f = "\U0001f1fa\U0001f1f8", "\U0001f1ec\U0001f1e7", "\U0001f1eb"

    tokens = WordTokenizer().tokenize(usa + britain + lone_f)

    assert texts(tokens) == [usa, britain, lone_f]


def test_word_tokenizer_splits_separate_emoji_without_joiner() -> None:
    tokens = WordTokenizer().tokenize("\U0001f600\U0001f600")

    assert texts(tokens) == ["\U0001f600", "\U0001f600"]


def test_word_tokenizer_drops_control_and_format_characters_as_separators() -> None:
    original = "a\x00b\x7fc\u200bd\ufeffe\u200df\u00adg\x1bh"

    tokens = WordTokenizer().tokenize(original)

    assert texts(tokens) == ["a", "b", "c", "d", "e", "f", "g", "h"]
    assert [token.start for token in tokens] == [0, 2, 4, 6, 8, 10, 12, 14]


def test_word_tokenizer_drops_whitespace_of_every_kind() -> None:
    tokens = WordTokenizer().tokenize(" a\tb\nc\r\nd\u00a0e\u2003f\u3000g\u2028h ")

    assert texts(tokens) == ["a", "b", "c", "d", "e", "f", "g", "h"]


def test_word_tokenizer_drops_lone_surrogates_without_crashing() -> None:
    original = "ok\ud800fine \udfff \ud83d\ude00"

    tokens = WordTokenizer().tokenize(original)

    assert texts(tokens) == ["ok", "fine"]
    assert tokens[1] == Token("fine", "fine", 3, 7)


@pytest.mark.parametrize("original", ["", " ", "\n\t \u00a0\u3000\r\n", "\x00\x01\x7f\u200b\ufeff"])
def test_word_tokenizer_returns_no_tokens_for_empty_blank_or_invisible_text(original: str) -> None:
    assert WordTokenizer().tokenize(original) == []


def test_word_tokenizer_handles_100_000_characters() -> None:
    original = "It's a well-made hit! \U0001f44d\U0001f3fd " * 4000

    tokens = WordTokenizer().tokenize(original)

    assert len(original) == 100_000
    assert texts(tokens[:6]) == ["It's", "a", "well-made", "hit", "!", "\U0001f44d\U0001f3fd"]
    assert len(tokens) == 4000 * 6
    assert_tokens_are_ordered_spans_of(original, tokens)


def test_word_tokenizer_spans_hold_for_random_unicode_text() -> None:
    rng = random.Random(20240611)
    tokenizers = [WordTokenizer(lowercase=True), WordTokenizer(lowercase=False)]

    for _ in range(300):
        original = random_unicode_text(rng, rng.randint(0, 60))
        for tokenizer in tokenizers:
            tokens = tokenizer.tokenize(original)

            assert_tokens_are_ordered_spans_of(original, tokens)
            assert all(
                char.isspace() or unicodedata.category(char) in DROPPED_BY_WORD_TOKENIZER
                for char in uncovered_characters(original, tokens)
            ), repr(original)
            assert all(unicodedata.category(token.text[0]) not in DROPPED_BY_WORD_TOKENIZER for token in tokens), repr(
                original
            )


# --- character tokenizer --------------------------------------------------------------------


def test_char_tokenizer_makes_one_token_per_character_including_spaces() -> None:
    tokens = CharTokenizer().tokenize("Hi, \U0001f600!")

    assert tokens == [
        Token("H", "H", 0, 1), Token("i", "i", 1, 2), Token(",", ",", 2, 3),
        Token(" ", " ", 3, 4), Token("\U0001F600", "\U0001F600", 4, 5), Token("!", "!", 5, 6),
    ]  # fmt: skip


def test_char_tokenizer_drops_control_characters_but_keeps_spans() -> None:
    tokens = CharTokenizer().tokenize("a\nb\tc\x00d")

    assert texts(tokens) == ["a", "b", "c", "d"]
    assert [token.start for token in tokens] == [0, 2, 4, 6]


def test_char_tokenizer_keeps_format_characters_and_marks_as_their_own_tokens() -> None:
    tokens = CharTokenizer().tokenize("e\u0301\u200d\u00a0")

    assert texts(tokens) == ["e", "\u0301", "\u200d", "\u00a0"]


@pytest.mark.parametrize("original", ["", "\n\t\r\n", "\x00\x01\x7f\x9f"])
def test_char_tokenizer_returns_no_tokens_for_empty_or_control_only_text(original: str) -> None:
    assert CharTokenizer().tokenize(original) == []


def test_char_tokenizer_drops_lone_surrogates_without_crashing() -> None:
    tokens = CharTokenizer().tokenize("a\ud800b")

    assert tokens == [Token("a", "a", 0, 1), Token("b", "b", 2, 3)]


def test_char_tokenizer_lowercases_keys_only_when_asked() -> None:
    assert [token.key for token in CharTokenizer().tokenize("AbC")] == ["A", "b", "C"]
    assert [token.key for token in CharTokenizer(lowercase=True).tokenize("AbC")] == ["a", "b", "c"]


def test_char_tokenizer_keeps_original_key_when_lowercasing_would_lengthen_it() -> None:
    tokens = CharTokenizer(lowercase=True).tokenize("İA")

    assert tokens == [Token("İ", "İ", 0, 1), Token("A", "a", 1, 2)]


def test_char_tokenizer_handles_100_000_characters() -> None:
    original = "ab c\n" * 20_000

    tokens = CharTokenizer().tokenize(original)

    assert len(tokens) == 80_000
    assert tokens[-1] == Token("c", "c", 99_998, 99_999)


def test_char_tokenizer_spans_hold_for_random_unicode_text() -> None:
    rng = random.Random(7)
    tokenizers = [CharTokenizer(lowercase=False), CharTokenizer(lowercase=True)]

    for _ in range(300):
        original = random_unicode_text(rng, rng.randint(0, 60))
        for tokenizer in tokenizers:
            tokens = tokenizer.tokenize(original)

            assert_tokens_are_ordered_spans_of(original, tokens)
            assert all(len(token.text) == 1 and len(token.key) == 1 for token in tokens)
            assert all(
                unicodedata.category(char) in DROPPED_BY_CHAR_TOKENIZER
                for char in uncovered_characters(original, tokens)
            ), repr(original)


# --- tokenizer configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    "tokenizer",
    [WordTokenizer(True), WordTokenizer(False), CharTokenizer(False), CharTokenizer(True)],
    ids=repr,
)
def test_tokenizer_from_dict_rebuilds_a_tokenizer_from_its_json_config(
    tokenizer: WordTokenizer | CharTokenizer,
) -> None:
    config = json.loads(json.dumps(tokenizer.to_dict()))

    rebuilt = tokenizer_from_dict(config)

    assert type(rebuilt) is type(tokenizer)
    assert rebuilt.to_dict() == tokenizer.to_dict()
    assert rebuilt.tokenize("Don't Stop") == tokenizer.tokenize("Don't Stop")


def test_tokenizer_configs_name_kind_and_lowercase() -> None:
    assert WordTokenizer().to_dict() == {"kind": "word", "lowercase": True}
    assert CharTokenizer().to_dict() == {"kind": "char", "lowercase": False}


def test_tokenizer_from_dict_uses_each_kinds_default_lowercase_when_missing() -> None:
    assert tokenizer_from_dict({"kind": "word"}).to_dict() == {"kind": "word", "lowercase": True}
    assert tokenizer_from_dict({"kind": "char"}).to_dict() == {"kind": "char", "lowercase": False}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"kind": "bpe"}, r"unknown tokenizer kind 'bpe'"),
        ({"kind": 3}, r"unknown tokenizer kind 3"),
        ({"lowercase": True}, r"no 'kind'"),
        ({"kind": "word", "lowercase": "yes"}, r"'lowercase' must be true or false, got 'yes'"),
        ({"kind": "char", "lowercase": 1}, r"'lowercase' must be true or false, got 1"),
        ({"kind": "word", "strip_accents": True}, r"does not take option\(s\) strip_accents"),
        (["word"], r"must be a mapping, got list"),
    ],
)
def test_tokenizer_from_dict_rejects_bad_configs_with_a_reason(config: object, message: str) -> None:
    with pytest.raises(GatescopeError, match=message):
        tokenizer_from_dict(config)  # type: ignore[arg-type]


def test_tokenizers_reject_a_non_bool_lowercase_option() -> None:
    with pytest.raises(GatescopeError, match="must be true or false"):
        WordTokenizer(lowercase="no")  # type: ignore[arg-type]


# --- vocabulary -----------------------------------------------------------------------------


def test_vocabulary_numbers_tokens_by_position_and_maps_missing_keys_to_unknown() -> None:
    vocabulary = Vocabulary(["<pad>", "<unk>", "good", "bad"])

    assert len(vocabulary) == 4
    assert vocabulary.unknown == "<unk>"
    assert vocabulary.unknown_id == 1
    assert vocabulary.id("good") == 2
    assert vocabulary.id("bad") == 3
    assert vocabulary.id("meh") == 1
    assert "good" in vocabulary
    assert "meh" not in vocabulary
    assert vocabulary.tokens() == ["<pad>", "<unk>", "good", "bad"]


def test_vocabulary_encodes_keys_to_int64_ids_with_an_unknown_mask() -> None:
    vocabulary = Vocabulary(["[UNK]", "the", "film", "!"], unknown="[UNK]")

    ids, is_unknown = vocabulary.encode(["the", "zany", "film", "!", "???"])

    assert ids.dtype == np.int64 and ids.shape == (5,)
    assert is_unknown.dtype == np.bool_ and is_unknown.shape == (5,)
    assert ids.tolist() == [1, 0, 2, 3, 0]
    assert is_unknown.tolist() == [False, True, False, False, True]


def test_vocabulary_encodes_no_keys_to_empty_arrays() -> None:
    ids, is_unknown = Vocabulary(["<unk>"]).encode([])

    assert ids.shape == (0,) and ids.dtype == np.int64
    assert is_unknown.shape == (0,) and is_unknown.dtype == np.bool_


def test_vocabulary_treats_the_unknown_token_itself_as_known() -> None:
    ids, is_unknown = Vocabulary(["<unk>", "a"]).encode(["<unk>", "b"])

    assert ids.tolist() == [0, 0]
    assert is_unknown.tolist() == [False, True]


def test_vocabulary_accepts_an_empty_string_entry_like_keras_padding() -> None:
    vocabulary = Vocabulary(["", "[UNK]", "great"], unknown="[UNK]")

    assert vocabulary.id("") == 0
    assert vocabulary.unknown_id == 1


def test_vocabulary_accepts_a_numpy_array_of_strings_as_loaded_from_npz() -> None:
    vocabulary = Vocabulary(np.array(["<unk>", "good", "bad"]))

    assert vocabulary.id("bad") == 2
    assert vocabulary.tokens() == ["<unk>", "good", "bad"]
    assert all(type(token) is str for token in vocabulary.tokens())


def test_vocabulary_tokens_returns_a_copy() -> None:
    vocabulary = Vocabulary(["<unk>", "a"])

    vocabulary.tokens().append("b")

    assert vocabulary.tokens() == ["<unk>", "a"]
    assert len(vocabulary) == 2


def test_vocabulary_encodes_word_tokenizer_keys_end_to_end() -> None:
    vocabulary = Vocabulary(["<unk>", "great", "film", "!", "don't"])
    tokens = WordTokenizer().tokenize("GREAT film, Don't!")

    ids, is_unknown = vocabulary.encode([token.key for token in tokens])

    assert ids.tolist() == [1, 2, 0, 4, 3]
    assert is_unknown.tolist() == [False, False, True, False, False]


@pytest.mark.parametrize(
    ("tokens", "unknown", "message"),
    [
        ([], "<unk>", r"vocabulary is empty"),
        (["<unk>", "a", "b", "a"], "<unk>", r"'a' appears twice, at ids 1 and 3"),
        (["a", "b"], "<unk>", r"no entry for its unknown token '<unk>'"),
        (["<unk>", "a", 7], "<unk>", r"entry 2 is int 7, not a string"),
        (["<unk>", None], "<unk>", r"entry 1 is NoneType None, not a string"),
        ("<unk>", "<unk>", r"must be a list of strings, got str"),
        ({"<unk>": 0}, "<unk>", r"must be a list of strings, got dict"),
        (["<unk>"], 3, r"unknown token must be a string or None, got 3"),
    ],
)
def test_vocabulary_rejects_bad_token_lists_with_a_reason(tokens: object, unknown: object, message: str) -> None:
    with pytest.raises(GatescopeError, match=message):
        Vocabulary(tokens, unknown=unknown)  # type: ignore[arg-type]


# --- tokenization a vocabulary file asks for ------------------------------------------------------------


@pytest.mark.parametrize(
    ("tokenizer", "text", "keys"),
    [
        (WordTokenizer(split="whitespace"), "Don't stop—now!", ["don", "'", "t", "stop", "—", "now", "!"]),
        (WordTokenizer(lowercase=False, split="whitespace_split"), "Don't  stop, now", ["Don't", "stop,", "now"]),
        (WordTokenizer(split="whitespace_split", separators=",!"), "a,b!c d", ["a", "b", "c", "d"]),
        (WordTokenizer(normalize=["nfd", "strip_accents"]), "Café naïve", ["cafe", "naive"]),
        (WordTokenizer(split="whitespace_split", normalize=["strip_punctuation"]), "don't ... go", ["dont", "go"]),
        (CharTokenizer(lowercase=True, normalize=["strip_punctuation"]), "A.b", ["a", "b"]),
        (CharTokenizer(normalize=["nfkc"]), "ﬁ", ["fi"]),
        (WordTokenizer(split="ascii_whitespace"), "a\u00a0b\x1cc\td\x0be\x0cf\rg", ["a\u00a0b\x1cc", *"defg"]),
        (WordTokenizer(lowercase=False, normalize=["lowercase_ascii"]), "ÉCOLE École", ["École", "École"]),
        (CharTokenizer(keep_controls=True), "a\tb\n\x00", ["a", "\t", "b", "\n", "\x00"]),
    ],
)
def test_tokenizer_options_cut_and_key_text_as_the_file_says(tokenizer, text: str, keys: list[str]) -> None:
    tokens = tokenizer.tokenize(text)

    assert [token.key for token in tokens] == keys
    assert all(text[token.start : token.end] == token.text for token in tokens)


def test_tokenizer_options_survive_their_json_config_and_defaults_stay_unwritten() -> None:
    tokenizer = WordTokenizer(split="whitespace_split", separators="!,", normalize=["nfd", "strip_accents"])

    config = json.loads(json.dumps(tokenizer.to_dict()))

    assert config == {
        "kind": "word",
        "lowercase": True,
        "split": "whitespace_split",
        "separators": "!,",
        "normalize": ["nfd", "strip_accents"],
    }
    assert tokenizer_from_dict(config).tokenize("Été, là!") == tokenizer.tokenize("Été, là!")
    assert CharTokenizer(normalize=["nfc"]).to_dict() == {"kind": "char", "lowercase": False, "normalize": ["nfc"]}
    keeping = CharTokenizer(normalize=["lowercase_ascii"], keep_controls=True)
    assert tokenizer_from_dict(json.loads(json.dumps(keeping.to_dict()))).tokenize("A\tÉ") == keeping.tokenize("A\tÉ")
    assert keeping.to_dict()["keep_controls"] is True and "keep_controls" not in CharTokenizer().to_dict()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"split": "bytes"}, "unknown split 'bytes'"),
        ({"separators": ","}, "only with whitespace_split"),
        ({"normalize": ["nfz"]}, "unknown normalize step 'nfz'"),
        ({"normalize": "nfc"}, "must be a list of steps"),
    ],
)
def test_bad_tokenizer_options_are_refused(options: dict, message: str) -> None:
    with pytest.raises(GatescopeError, match=message):
        WordTokenizer(**options)


def test_a_non_bool_keep_controls_is_refused() -> None:
    with pytest.raises(GatescopeError, match="'keep_controls' must be true or false"):
        CharTokenizer(keep_controls="yes")  # type: ignore[arg-type]
