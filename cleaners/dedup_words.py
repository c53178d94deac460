"""The words of ``dedup.normalise`` as UTF-8, found without the regex engine.

``dedup.keys`` needs the normalised words twice, both times as UTF-8: joined by single spaces (SHA-256:
exact duplicates) and one by one (CRC-32: shingle hashes). ``re.findall(r"\\w+")`` makes a ``str`` per
word at ~30 ns per character, and each is then encoded again. Here the text is encoded once and the
word characters are picked out with a lookup table:

- ASCII text: ``bytes.translate`` turns every non-word byte into a space, ``bytes.split`` gives the words;
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
    if not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    if folded.isascii():
        words = folded.encode("ascii").translate(_ASCII_GAPS).split()
        return words, b" ".join(words)
    joined = _joined(folded)
    return (joined.split(b" ") if joined else []), joined


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
