"""English surface rules the generator writes by: tokens, plurals, articles and capitals."""

from __future__ import annotations

import functools
import re

TOKEN = re.compile(r"[A-Za-z0-9]+(?:['-][A-Za-z0-9]+)*|[.,;!?]")
SLOT = re.compile(r"\{(\w+)\}")
PRONOUN_I = re.compile(r"(?<![\w'-])i(?=$|[\s,.;!?'])")
SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def count_tokens(text: str) -> int:
    """Tokens the WordTokenizer makes of generated text (which holds only letters, digits and .,;!?'-)."""
    return len(TOKEN.findall(text))


def words(text: str) -> set[str]:
    """The lower-case words of a text, punctuation left out."""
    return {token.lower() for token in TOKEN.findall(text) if token[0].isalnum()}


def plural(noun: str) -> str:
    if noun.endswith(("series", "s")):
        return noun if noun.endswith("series") else noun + "es"
    if noun.endswith(("x", "ch", "sh")):
        return noun + "es"
    if noun.endswith("y") and noun[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def article(word: str) -> str:
    w = word.lower()
    if w.startswith(("uni", "use", "usu", "eu", "one", "ur")) or re.match(r"u[bcdfghjklmnpqrstvwxyz][aeiou]", w):
        return "a"
    if w.startswith(("hour", "honest", "heir", "honour")) or w[:1] in "aeiou":
        return "an"
    return "a"


def fix_articles(text: str) -> str:
    """Replace each "{a}" with the article its next word takes."""
    return re.sub(r"\{a\} (\S+)", lambda m: f"{article(m.group(1))} {m.group(1)}", text)


@functools.cache
def calendar_words(days: tuple[str, ...], months: tuple[str, ...]) -> re.Pattern:
    """Day and month names to capitalise; never "may", which is also a verb."""
    names = [name for name in days + months if name != "may"]
    return re.compile(r"\b(?:" + "|".join(names) + r")\b")
