"""The words of ``dedup.normalise`` as UTF-8, found without the regex engine.

``dedup.keys`` needs the normalised words twice, both times as UTF-8: joined by single spaces (SHA-256:
exact duplicates) and one by one (CRC-32: shingle hashes). ``re.findall(r"\\w+")`` makes a ``str`` per
word at ~30 ns per character, and each is then encoded again. Here the text is encoded once and the
word characters are picked out with a lookup table:

- ASCII text: ``bytes.translate`` turns every non-word byte into a space, ``bytes.split`` gives the words;
- other text with few distinct non-ASCII characters (most news text: curly quotes, dashes, accented
  letters): each distinct one that case folding or the word class changes is replaced in the UTF-8 bytes by
  its folded form with its non-word characters as spaces (``_replacement``), then one ``bytes.translate``
  folds and gaps the ASCII bytes and keeps the others (~3x faster than ``casefold`` plus the NumPy path);
- other text: a table of every code point says which are word characters (built once per process, 40 ms;
  re's ``\\w`` is ``str.isalnum()`` or ``_``, tested for every code point); NumPy keeps the word bytes of the UTF-8
  encoding and the first byte of each gap after a word, as a space.

The result equals ``[w.encode("utf-8") for w in dedup.normalise(text)]`` (tests/test_dedup.py checks every
code point and generated texts against it).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import cache

import numpy as np

_WORD = re.compile(r"\w", re.UNICODE)
_ASCII_GAPS = bytes(b if chr(b).isascii() and _WORD.match(chr(b)) else 0x20 for b in range(256))
"""``bytes.translate`` table: ASCII word bytes unchanged, every other byte a space (ASCII text only)."""


@cache
def word_table() -> np.ndarray:
    """``table[c]``: whether code point ``c`` is a word character (``\\w``); one call per process."""
    everything = np.arange(sys.maxunicode + 1, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    table = np.fromiter(map(str.isalnum, everything), dtype=bool, count=len(everything))
    table[ord("_")] = True  # re's \w for str: str.isalnum() or "_" (tests: equal for every code point)
    return table


def normalised_words(text: str) -> tuple[list[bytes], bytes]:
    """``[w.encode("utf-8") for w in dedup.normalise(text)]`` (NFKC, case-folded, the runs of ``\\w``), and
    the same words joined by single spaces."""
    if text.isascii():
        words = text.encode("ascii").translate(_FOLD_ASCII).split()
        return words, b" ".join(words)
    data = text.encode("utf-8", "surrogatepass")
    # the non-ASCII characters' bytes (ASCII bytes are whole characters), distinct characters once each
    chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    if not all(map(_inert, chars)):  # else the text is in NFKC already (normalize would scan it to say so)
        text = unicodedata.normalize("NFKC", text)
        data = text.encode("utf-8", "surrogatepass")
        chars = set(data.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass"))
    changes = [(c, r) for c in chars if (r := _replacement(c)) is not None]
    if len(changes) > _MAX_REPLACEMENTS:  # e.g. CJK text with many punctuation marks: one NumPy pass
        joined = _joined(text.casefold())
        return (joined.split(b" ") if joined else []), joined
    for c, r in changes:  # a whole character's UTF-8 bytes match only where that character is
        data = data.replace(c.encode("utf-8", "surrogatepass"), r)
    words = data.translate(_FOLD_ASCII).split()
    return words, b" ".join(words)


def _inert(char: str) -> bool:
    """Whether NFKC leaves any text alone whose characters are ASCII or inert: ``char`` is its own NFKC
    (so its NFKC quick check is not No), has combining class 0 and is not a character that can compose
    with the one before it (quick check Maybe: ``starter_seconds``). A text of such characters passes the
    NFKC quick check with Yes, which means it is normalised. Remembered per character."""
    found = _inert_chars.get(char)
    if found is None:
        found = (unicodedata.combining(char) == 0 and char not in starter_seconds()
                 and unicodedata.normalize("NFKC", char) == char)
        if len(_inert_chars) >= _MEMO_LIMIT:
            _inert_chars.clear()
        _inert_chars[char] = found
    return found


@cache
def starter_seconds() -> frozenset[str]:
    """The characters of combining class 0 that can compose with the character before them: the second
    characters of two-character canonical decompositions (a superset: composition exclusions count too)
    and the Hangul vowel and trailing consonant jamo (composed by algorithm). ``_STARTER_SECONDS`` for the
    Unicode version it was made for (tests compare it with ``unicodedata``), else computed (~0.3 s)."""
    if unicodedata.unidata_version == _STARTER_SECONDS[0]:
        found = set(map(chr, _STARTER_SECONDS[1]))
    else:
        found = {chr(int(parts[1], 16)) for code in range(sys.maxunicode + 1)
                 if len(parts := unicodedata.decomposition(chr(code)).split()) == 2
                 and not parts[0].startswith("<") and unicodedata.combining(chr(int(parts[1], 16))) == 0}
    return frozenset(found | set(map(chr, range(0x1161, 0x1176))) | set(map(chr, range(0x11A8, 0x11C3))))


_STARTER_SECONDS = ("14.0.0", (
    0x9BE, 0x9D7, 0xB3E, 0xB56, 0xB57, 0xBBE, 0xBD7, 0xCC2, 0xCD5, 0xCD6, 0xD3E, 0xD57, 0xDCF, 0xDDF, 0xFB5, 0xFB7,
    0x102E, 0x1B35, 0x11127, 0x1133E, 0x11357, 0x114B0, 0x114BA, 0x114BD, 0x115AF, 0x11930))


_inert_chars: dict[str, bool] = {}
_MEMO_LIMIT = 65_536
"""Characters remembered by ``_inert`` and ``_replacement`` each, at most (the memo is emptied when full)."""


def _replacement(char: str) -> bytes | None:
    """What ``char`` (not ASCII) becomes in the words' bytes: its case folding with each non-word character
    as a space, in UTF-8 (a gap of spaces only as long as ``char``'s UTF-8: the words are the same, and
    ``bytes.replace`` of equal lengths skips a pass); None if that is ``char`` itself. ``casefold`` maps
    each character on its own (no context), and no character of a replacement is replaced again (tests
    check both for every code point), so replacing each distinct character of a text is ``casefold`` of
    the text with its gaps as spaces."""
    found = _replacements.get(char, _UNKNOWN)
    if found is _UNKNOWN:
        folded = "".join(c if c.isalnum() or c == "_" else " " for c in char.casefold())
        found = None if folded == char else folded.encode("utf-8", "surrogatepass")
        if found is not None and not folded.strip(" "):  # only a gap: as many spaces as ``char`` has bytes,
            found = b" " * len(char.encode("utf-8", "surrogatepass"))  # replaced in place (no counting pass)
        if len(_replacements) >= _MEMO_LIMIT:
            _replacements.clear()
        _replacements[char] = found
    return found  # type: ignore[return-value]


_replacements: dict[str, bytes | None] = {}
_UNKNOWN = object()
_MAX_REPLACEMENTS = 24
"""Beyond this many distinct characters to replace, the NumPy pass is faster (one ``bytes.replace`` each)."""
_ASCII_BYTES = bytes(range(128))
_FOLD_ASCII = bytes(range(128)).lower().translate(_ASCII_GAPS) + bytes(range(128, 256))
"""``bytes.translate`` table: ASCII letters lower-cased (their case folding), other ASCII word bytes unchanged,
ASCII non-word bytes to spaces; bytes from 0x80 (of non-ASCII characters) unchanged."""


def _joined(folded: str) -> bytes:
    """The words of ``folded`` (not ASCII) in UTF-8, each followed by one space but the last."""
    data = np.frombuffer(folded.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    points = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    # each byte takes the verdict of its character: the character's index is the count of lead bytes so far
    char_of = np.cumsum((data & 0xC0) != 0x80) - 1
    word_byte = word_table()[points][char_of]
    after_word = np.zeros(len(word_byte), dtype=bool)
    after_word[1:] = word_byte[:-1]
    keep = word_byte | after_word  # a word's bytes, and the first byte of the gap after it
    out = np.where(word_byte, data, np.uint8(0x20))[keep].tobytes()
    return out[:-1] if out.endswith(b" ") else out
