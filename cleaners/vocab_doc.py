"""Which lines of a document can hold boilerplate vocabulary at all, decided once per document.

:func:`cleaners.features.vocabulary_bits` tokenises every line (``_WORD.findall``) and intersects the
tokens with the vocabulary; ~88% of lines have no hit, and the tokenising is most of the cost. Here the
document is tokenised once, cheaply, and turned into *hints*: strings one of which the lower-cased line
contains whenever its (non-CJK) vocabulary bits are not zero. A line containing no hint gets bits 0
without being tokenised; every other line is looked up exactly as before. So hints only ever skip work,
never change an answer (``tests/test_feature_matrix.py`` compares the results).

Why the hints are complete, for a line ``L`` of the document and ``lower = L.lower()``:

- every token of ``lower`` (``_WORD`` matches ``\\w+(?:'\\w+)?``) lies inside one whitespace-free chunk
  (no whitespace character is ``\\w`` or ``'``), and ``_WORD.findall(chunk)`` yields the tokens of that
  chunk; a chunk of only ``isalnum`` characters is one token. So :func:`_tokens` of the joined lines is a
  superset of every line's tokens;
- a word hit is a token in ``words``: that token is a hint, and a substring of ``lower``;
- a phrase hit needs all the phrase's words among the document's tokens; its longest word is then a hint
  (a substring of ``lower``, since the phrase's tokens are);
- a stem hit is a token starting with the stem, so the stem is a substring of ``lower`` and of the text.
"""

from __future__ import annotations

from collections.abc import Sequence

from . import features as F

_WORDS = frozenset(F._VOCAB.words)
_PHRASES: tuple[tuple[frozenset[str], str], ...] = tuple(
    (frozenset(phrase.split(" ")), max(phrase.split(" "), key=len))
    for entries in F._VOCAB.phrases.values()
    for phrase, _n, _bits in entries
)
"""Each multi-word phrase as (its words, its longest word)."""
_STEMS = tuple(stem for entries in F._VOCAB.stems.values() for stem, _bits in entries)


def _tokens(text: str) -> set[str]:
    """A superset of the ``_WORD`` tokens of every line of ``text`` (here: exactly their union)."""
    chunks = set(text.split())
    tokens = {c for c in chunks if c.isalnum()}
    rest = " ".join(c for c in chunks if c not in tokens)
    if rest:
        tokens.update(F._WORD.findall(rest))
    return tokens


def vocabulary_hints(lowers: Sequence[str]) -> tuple[str, ...]:
    """Hints for lines whose ``str.lower()`` texts are ``lowers`` (see the module docstring): a line
    whose lower-case text contains none of them has no word, phrase or stem of the vocabulary."""
    text = "\n".join(lowers)
    tokens = _tokens(text)
    hints = tokens & _WORDS
    for words, longest in _PHRASES:
        if words <= tokens:
            hints.add(longest)
    hints.update(stem for stem in _STEMS if stem in text)
    return tuple(hints)
