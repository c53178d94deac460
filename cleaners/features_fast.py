"""A line's own features (:func:`cleaners.features._own`), the same floats, several times faster.

``features._own`` stays the definition; this is its drop-in for the hot path, compared against it by
``tests/test_feature_matrix.py``. What changes is only how the answers are found:

- feature patterns and the vocabulary first meet cheap necessary conditions: the literals every match
  contains (derived from the patterns by :func:`cleaners.prefilter.required_literals` and
  :func:`cleaners.regex_split.adjacent_literals`, so no hand-kept lists) and the vocabulary's words as
  tokens, all looked for in one :class:`cleaners.literal_scan.LiteralScan` pass per line;
- character counts of ASCII text run as byte deletions in C;
- a token's vocabulary stems are looked up once per distinct token (bounded memory);
- length bins and vocabulary flags are looked up in tables of the same float values.
"""

from __future__ import annotations

import math
import re
import struct
import sys
from re._casefix import _EXTRA_CASES

import numpy as np

from . import features as F
from .char_counts import Counts
from .literal_scan import LiteralScan, literal, prefix, word
from .prefilter import _NEEDS_REP, _TO_REP, first_char_filter, fold, required_literals
from .re2_exact import CODE_POINT_PIECE, code_points
from .regex_split import BranchSearch

_BINS = [tuple(1.0 if w <= b else 0.0 for b in F._LEN_BINS) for w in range(F._LEN_BINS[-1] + 2)]
_KW = [tuple(float(bits >> g & 1) for g in range(len(F._KW_GROUPS))) for bits in range(1 << len(F._KW_GROUPS))]
_UPPER = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ"
_LETTERS = _UPPER + b"abcdefghijklmnopqrstuvwxyz"
_DIGITS = b"0123456789"


_URL, _EMAIL, _SEPARATORS = F._URL, F._EMAIL_HANDLE, F._SEPARATORS
_BYLINE, _QUOTE, _DIGIT = F._BYLINE, F._QUOTE, F._DIGIT
# one branch at a time behind literal/first-digit conditions (measured: _DATE_TIME 14 -> 3 us per line)
_DATE_TIME, _COUNTER = BranchSearch(F._DATE_TIME), BranchSearch(F._COUNTER)
_CREDIT = BranchSearch(F._CREDIT)
# runs on every line: its third branch (`^\S+( \S+){0,3} (says|...)`) costs ~2 µs on a long line
_MARK = BranchSearch(F._COMMENT_MARK)
_URL_BRANCHES = BranchSearch(F._URL)
_CREDIT_HINTS = F._CREDIT_HINTS

_MAX_TOKEN_MEMO = 100_000
_PHRASE_LAST = 1 << 30
"""A flag beside the group bits: the token ends some multi-word phrase."""
_token_bits: dict[str, int] = {}
"""Remembered tokens -> their word and stem group bits, and ``_PHRASE_LAST``."""
_token_hits: set[str] = set()
"""The remembered tokens whose value is not zero."""


def _stem_of(tok: str) -> int:
    bits = 0
    for stem, b in F._VOCAB.stems.get(tok[:3], ()):
        if tok.startswith(stem):
            bits |= b
    return bits


def _token_value(tok: str) -> int:
    vocab = F._VOCAB
    return vocab.words.get(tok, 0) | _stem_of(tok) | (_PHRASE_LAST if tok in vocab.phrases else 0)


def _renew_token_memo() -> tuple[dict[str, int], set[str]]:
    """Start the token memory afresh (new objects: a call in another thread keeps its old ones)."""
    global _token_bits, _token_hits
    _token_bits, _token_hits = {}, set()
    return _token_bits, _token_hits


def vocabulary_bits(line: str, lower: str) -> int:
    """``features.vocabulary_bits(line)``; ``lower`` is ``line.lower()``. Each token's word, stem and
    phrase-end facts are remembered together, so a line costs two set operations in C."""
    prefix = F._KW_PREFIX
    limit = F._MAX_KW_TOKENS
    toks = F._WORD.findall(lower[:prefix]) if len(lower) > prefix else []
    toks = toks[:limit] if len(toks) > limit else F._WORD.findall(lower)[:limit]
    vocab = F._VOCAB
    distinct = set(toks)
    memo, memo_hits = _token_bits, _token_hits  # this call's view, even if another thread renews them
    unknown = distinct.difference(memo)
    if unknown:
        if len(memo) + len(unknown) > _MAX_TOKEN_MEMO:
            memo, memo_hits = _renew_token_memo()
            unknown = distinct
        for tok in unknown:
            if value := _token_value(tok):
                memo_hits.add(tok)
            memo[tok] = value
    bits = 0
    hits = distinct & memo_hits
    for tok in hits:
        bits |= memo[tok]
    if bits & _PHRASE_LAST:
        # a phrase (tokens joined by single spaces) ends at some token exactly where " phrase " occurs in the
        # tokens joined and padded by spaces (no token holds a space); only phrases that would add a bit are
        # looked for (a common last word, "us", "more", ends phrases on most lines that reach here)
        bits ^= _PHRASE_LAST
        joined = ""
        for tok in hits:
            for phrase, _, b in vocab.phrases.get(tok, ()):
                if b & ~bits:
                    joined = joined or f" {' '.join(toks)} "
                    if f" {phrase} " in joined:
                        bits |= b
    if not line.isascii() and F._CJK.search(line):
        for m in vocab.cjk.finditer(line):
            bits |= vocab.cjk_groups[m.group()]
    return bits


_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _letters_digits(sample: str) -> tuple[int, int]:
    """Counts of ``str.isalpha`` and ``str.isdigit`` characters: ASCII ones by byte deletion in C, only
    the non-ASCII characters one by one (for ASCII characters both tests are exactly these byte sets)."""
    raw = sample.encode("ascii", "ignore")
    n = len(raw)
    if 2 * n < len(sample):  # mostly non-ASCII (Cyrillic, Greek, CJK): one pass over all
        return sum(map(str.isalpha, sample)), sum(map(str.isdigit, sample))
    letters, digits = n - len(raw.translate(None, _LETTERS)), n - len(raw.translate(None, _DIGITS))
    if n < len(sample):
        rest = "".join(_NON_ASCII.findall(sample))
        letters += sum(map(str.isalpha, rest))
        digits += sum(map(str.isdigit, rest))
    return letters, digits


def _vocabulary_patterns() -> list[bytes]:
    """A necessary condition for ``vocabulary_bits(line) != 0``, looked for in ``line.lower()``: a
    vocabulary word or phrase standing as tokens, a stem starting a token, or a CJK entry anywhere
    (see :func:`cleaners.literal_scan.word` for why the token bounds are safe)."""
    vocab = F._VOCAB
    out = [word(w) for w in vocab.words]
    out += [word(*phrase.split(" ")) for group in vocab.phrases.values() for phrase, _, _ in group]
    out += [prefix(stem) for group in vocab.stems.values() for stem, _ in group]
    for entry in vocab.cjk_groups:
        if entry.lower() != entry:  # found in line.lower() exactly where found in the line
            raise ValueError(f"a CJK vocabulary entry with cased characters: {entry!r}")
        out.append(literal(entry))
    return out


_DIGIT_BYTES = rb"(?:[0-9]|[\x80-\xff]{2,4})"
"""One ``\\d`` character in UTF-8 (or more: a necessary condition): an ASCII digit or a non-ASCII character."""
_DATE_GATE_OF = {  # a _DATE_TIME branch -> bytes every match has in the lower case (re.I: H is h there)
    r"\b\d{1,2}[:.h]\d{2}\b": _DIGIT_BYTES + rb"[:.h]" + _DIGIT_BYTES * 2,
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b":
        _DIGIT_BYTES + rb"[./\-]" + _DIGIT_BYTES + rb"{1,2}[./\-]" + _DIGIT_BYTES * 2,
    r"\b(19|20)\d{2}\b.{0,12}\b\d{1,2}\b": rb"(?:19|20)" + _DIGIT_BYTES * 2,
}
"""Necessary conditions of the first ``_DATE_TIME`` branches as byte patterns: their literals (none, ``.-/``,
``19``/``20``) occur in most lines with digits, their digit sequences do not. Keyed by the branch's pattern: a
changed branch loses its gate (is always searched); tests/test_literal_scan.py checks them as the other conditions."""
_DATE_GATES = tuple(_DATE_GATE_OF[b.pattern] for b, _, _ in _DATE_TIME.branches[:3] if b.pattern in _DATE_GATE_OF)
if len(_DATE_GATES) < 3:  # pragma: no cover - a changed _DATE_TIME
    _DATE_GATES = ()
_SPACE_CHARS = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
"""What ``\\s`` matches in a str pattern (``str.isspace``; none from U+3001 up: tests check every code point)."""


def _one_of(chars: str) -> bytes:
    return b"(?:" + b"|".join(map(literal, chars)) + b")"


_SPACE = _one_of(_SPACE_CHARS)


def _one_of_strings(texts: list[str]) -> bytes:
    return b"(?:" + b"|".join(literal(fold(t)) for t in texts) + b")"


_SEP_CONDITION_OF = {
    r"\s[|»›•·/>]\s|\s[|•·]|^[|•·»›>-]\s":
        [_SPACE + _one_of("|»›•·/>") + _SPACE, _SPACE + _one_of("|•·"), b"^" + _one_of("|•·»›>-") + _SPACE],
}
"""``_SEPARATORS`` as byte patterns over the lower case, in place of its literals (``-`` and ``/`` alone occur in
most lines, a separator between spaces seldom): its characters are uncased and no other character lowers to one
of them, so a match of the line is a match of these in its lower case (tests: every code point). Keyed by the
pattern: a changed ``_SEPARATORS`` falls back to its literals."""


def _first_character_condition(regex: re.Pattern[str]) -> list[bytes] | None:
    """For a ``^``-anchored pattern whose matches start with one of a few characters
    (:func:`cleaners.prefilter.first_char_filter`): the lower case of the line starts with the lower case of one
    of them or of a character the engine's case folding makes equal (``re._casefix``); None otherwise. A line's
    lower case starts with the simple lower case of its first character (tests: every code point)."""
    first = first_char_filter(regex)
    alternatives = first.pattern[3:-1].split("|") if first is not None and first.pattern.startswith("(?:") else []
    if not alternatives or any(len(a) != 1 or not a.isalpha() for a in alternatives):
        return None
    chars = {a.lower() for a in alternatives}
    chars |= {chr(c).lower() for a in list(chars) for c in _EXTRA_CASES.get(ord(a), ())}
    return [b"^" + _one_of("".join(sorted(chars)))]


_LINE_START = b"(?:^|\n)"
"""Where a ``^``-anchored match can start in the scanned bytes: the lower case, or the fold after it."""
_BRANCH_CONDITION_OF = {  # a _CREDIT branch -> byte patterns over the lower case (and fold), in place of its literals
    r"^(photo|image|foto|bild|picture|crédit|credit|source|quelle|fuente|fonte|bron|источник)s?\s*:":
        [_LINE_START + _one_of_strings(["photo", "image", "foto", "bild", "picture", "crédit", "credit", "source",
                                        "quelle", "fuente", "fonte", "bron", "источник"])],
    r"/ ?(ap|afp|epa|reuters)\b": [b"/\\x20?" + _one_of_strings(["ap", "afp", "epa", "reuters"])],
    r"^\(\w+ ?/ ?\w+\)$": [_LINE_START + b"\\x28[^\\x0a\\x2f]*\\x2f"],
    r"^\d+ ?of ?\d+\b": [_LINE_START + b"[0-9\\x80-\\xff]+\\x20?of\\x20?" + _DIGIT_BYTES],
}
"""Conditions of ``_CREDIT`` branches whose literals (``ap``, ``(``, ``of``, ``source`` anywhere) occur in most lines:
the branch's anchors and neighbours around them, in the folded line as the scan reads it (uncased characters and
digits fold to themselves, the words are folded already). Keyed by the branch's pattern: a changed branch falls
back to its literals; tests/test_literal_scan.py checks them as the other conditions."""
_SCAN_SKIP = {"date": {1}}
"""Branches left out of the scan (always searched): one of their literals (``.``, ``-``) occurs in most
lines, so the scan's report would cost more than it saves. Tuning, not meaning."""


def _changed_by_lower() -> str:
    """The non-ASCII characters that ``str.lower`` changes (~1,400), found a piece of code points at a time."""
    out: list[str] = []
    for start in range(0x80, sys.maxunicode + 1, CODE_POINT_PIECE):
        piece = code_points(start)  # surrogates included: lower() leaves them alone
        lowered = piece.lower()
        if lowered == piece:
            continue
        if len(lowered) == len(piece):  # each character lowered to one (final sigma's choice is a change too)
            changed = np.flatnonzero(_utf32(lowered) != _utf32(piece))
            out += [piece[k] for k in changed.tolist()]
        else:  # a character lowered to several (İ): one by one
            out += [c for c in piece if c.lower() != c]
    return "".join(out)


def _utf32(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype="<u4")


class _Scan:
    """Bits of one :class:`LiteralScan` over a line's lower case and fold (see :func:`line_entry`)."""

    def __init__(self, available: bool = True) -> None:
        conditions: list[list[bytes] | None] = [_vocabulary_patterns()]
        names: dict[str, int] = {}
        for name, regex in (("quote", F._QUOTE), ("sep", F._SEPARATORS)):
            names[name] = 1 << len(conditions)
            found = required_literals(regex, 1)  # None: nothing every match contains, always look
            exact = _SEP_CONDITION_OF.get(regex.pattern) if name == "sep" else None
            conditions.append(exact or (None if found is None else [literal(x) for x in found]))
        self.byline = 1 << len(conditions)
        conditions.append(_first_character_condition(F._BYLINE))  # None: always look
        self.shift: dict[str, int] = {}
        for name, search in (("url", _URL_BRANCHES), ("date", _DATE_TIME), ("counter", _COUNTER),
                             ("credit", _CREDIT), ("mark", _MARK)):
            self.shift[name] = len(conditions)
            skip = _SCAN_SKIP.get(name, set())
            with_literals = [(branch.pattern, lits) for branch, lits, _ in search.branches if lits is not None]
            conditions += [None if k in skip else _BRANCH_CONDITION_OF.get(pattern) or [literal(x) for x in lits]
                           for k, (pattern, lits) in enumerate(with_literals)]
        self.vocab, self.quote, self.sep = 1, names["quote"], names["sep"]
        self.url, self.date, self.counter, self.credit, self.mark = (
            self.shift["url"], self.shift["date"], self.shift["counter"], self.shift["credit"], self.shift["mark"])
        self.credit_any = ((1 << len(_CREDIT.conditions)) - 1) << self.credit
        self.needs_lower = self.vocab | self.credit_any
        """Where :func:`line_entry` reads the lower case beyond the scan."""
        self.mark_any = ((1 << len(_MARK.conditions)) - 1) << self.mark  # every branch has literals
        if len(_MARK.conditions) != len(_MARK.branches):
            raise ValueError("a comment-mark branch without literals: mark_any would skip it")
        # last: a character of prefilter._NEEDS_REP in the lower case (UTF-8 is self-synchronising: its bytes
        # occur exactly where the character does, a lone surrogate's bytes cannot start one)
        self.rep = 1 << len(conditions)
        conditions.append([literal(c) for c in sorted(_TO_REP)])
        self.cased = 1 << len(conditions)  # a character that lower() changes, in a line's own bytes (see line_scan)
        conditions.append([_one_of(_changed_by_lower())])
        self.date_gate = len(conditions)
        conditions += [[gate] for gate in _DATE_GATES]
        self.date_gates = (1 << len(_DATE_GATES)) - 1
        self.date_open = (1 << len(_DATE_TIME.branches)) - 1 - self.date_gates  # the branches without a gate
        self.scan = LiteralScan(conditions, available=available)


_SCAN = _Scan()
_SEP_LITERALS = required_literals(F._SEPARATORS, 1) or ("",)


def folded_of(line: str, lower: str) -> str:
    """``prefilter.fold(line)``, given ``lower = line.lower()``: usually the lower case itself."""
    if line.isascii() or ("\u0130" not in line and _NEEDS_REP.search(lower) is None):
        return lower
    return fold(line)


def scan_bytes(line: str, lower: str) -> bytes:
    """What the line's scan reads, given ``lower = line.lower()``: the lower case, and the fold when it
    differs, as UTF-8 (a lone surrogate becomes bytes outside the ASCII word class, as any non-ASCII
    character does, so the scan's conditions stay necessary)."""
    folded = folded_of(line, lower)
    data = lower if folded is lower else lower + "\n" + folded
    return data.encode("utf-8", "surrogatepass")


def line_mask(line: str, lower: str) -> int:
    """``_SCAN.scan.scan(scan_bytes(line, lower))`` with the RE2 scan active: the lower case is scanned
    first, its ``rep`` bit says whether ``folded_of`` would look further (the Python class search of
    ``_NEEDS_REP`` cost ~1.2 µs per non-ASCII line); only then is the line scanned with its fold."""
    scan = _SCAN
    mask = scan.scan.scan(lower.encode("utf-8", "surrogatepass"))
    if mask & scan.rep or "\u0130" in line:
        return scan.scan.scan(scan_bytes(line, lower))
    return mask


def line_scan(line: str) -> tuple[int, str]:
    """``line_mask(line, line.lower())`` and ``line.lower()`` (or ``""`` where neither the vocabulary nor the credit
    bits are set: not needed), with the RE2 scan active, for a non-ASCII line. The line's own UTF-8 with its ASCII
    letters lowered is the lower case's UTF-8 unless the line has a character ``lower()`` changes (the ``cased`` bit
    of the same scan; ~8% of non-ASCII dev lines): then the lower case is made and scanned. ``str.lower`` of a long
    non-ASCII line cost ~1 µs, ``bytes.lower`` ~0.1 µs. The ``cased`` bit of the mask means nothing here."""
    scan = _SCAN
    data = line.encode("utf-8", "surrogatepass").lower()
    mask = scan.scan.scan(data)
    if mask & scan.cased:
        lower = line.lower()
        return line_mask(line, lower), lower
    if mask & scan.rep:  # the fold may differ (İ is cased: not here); its scan may set any bit
        lower = data.decode("utf-8", "surrogatepass")
        return scan.scan.scan(scan_bytes(line, lower)), lower
    return mask, data.decode("utf-8", "surrogatepass") if mask & scan.needs_lower else ""


_N_HEAD, _N_KW = len(F._LEN_BINS) + 1, len(F._KW_GROUPS)
_pack = struct.Struct(f"={len(F.OWN_NAMES) - _N_HEAD - _N_KW}d").pack
"""A row as native doubles: a document's rows become one array by ``b"".join`` (converting a list of
float tuples to an array cost ~60 µs per document). A row is three pieces: the length bins and
``log1p(words)`` (a function of the word count), the middle columns packed here, the vocabulary flags (a
function of the bits); the first and last come packed from tables (0.57 -> 0.24 µs per row)."""
_pack_head = struct.Struct(f"={_N_HEAD}d").pack
_HEAD = [_pack_head(*_BINS[min(w, len(_BINS) - 1)], math.log1p(w)) for w in range(1024)]
_KW_PACKED = [struct.pack(f"={_N_KW}d", *flags) for flags in _KW]
_new_info = tuple.__new__
"""``LineInfo(a, b, c)`` without the named tuple's Python-level ``__new__`` (the same tuple, ~2x cheaper)."""


def _counts(line: str, sample: str) -> Counts:
    """:data:`cleaners.char_counts.Counts` of one line (``sample`` is ``line[:160]``), counted in Python."""
    toks = line.split()
    initials = "".join([t[0] for t in toks[:40]])
    if initials.isascii():
        raw = initials.encode("ascii")
        n_alpha = len(raw) - len(raw.translate(None, _LETTERS))
        upper = len(raw) - len(raw.translate(None, _UPPER))
    else:
        n_alpha = sum(map(str.isalpha, initials))
        upper = sum(map(str.isupper, initials)) if n_alpha else 0
    letters, digits = _letters_digits(sample)
    cjk = len(F._CJK.findall(line)) if not line.isascii() and F._CJK.search(line) else 0
    return len(toks), n_alpha, upper, letters, digits, sample.count(" "), int(sample.upper() != sample), cjk


_EAGER_KEY_WORDS = 8
"""Non-ASCII lines up to this many words get their casefold at once (short lines repeat within documents
and are remembered); longer ones only when another line of their document has as many words."""


def line_entry(line: str, counts: Counts | None = None) -> tuple[bytes, int, F.LineInfo, bool, str | None]:
    """For a stripped, non-blank line: ``features._own(line, words)`` packed as native doubles, its
    vocabulary bits, ``features.line_info(line)``, whether it is a comment-section mark
    (``features._COMMENT_MARK``) and ``line.casefold()`` (None for a non-ASCII line of more than
    :data:`_EAGER_KEY_WORDS` words: made later where needed).

    One :class:`~cleaners.literal_scan.LiteralScan` of the lower-cased and folded line says which
    patterns cannot match (none of the literals each match contains occurs) and whether a vocabulary
    word can be there; the Python patterns and :func:`vocabulary_bits` give every answer.

    ``counts``: the line's :func:`cleaners.char_counts.char_counts`, else they are counted here."""
    sample = line[:160]
    if counts is None:
        counts = _counts(line, sample)
    words, n_alpha, upper, letters, digits, blanks, changed, cjk = counts
    if cjk:  # features.word_count
        words += cjk // 2
    sentence = F.ends_sentence(line)
    info: F.LineInfo = _new_info(F.LineInfo, (line, words, words >= 12 and sentence))
    caps = upper / n_alpha if n_alpha else 0.0
    nonspace = len(sample) - blanks or 1
    ends = line[-1:]
    scan = _SCAN
    short = words <= F._SHORT
    if scan.scan.active:
        if line.isascii():
            lower = line.lower()
            mask = line_mask(line, lower)
        else:
            mask, lower = line_scan(line)
        check = None
    else:  # without RE2 every bit is set and the branches' literals are looked for in Python
        lower = line.lower()
        mask = scan.scan.all
        check = folded_of(line, lower) if short else lower
    if short:
        has_digit = digits > 0 or (len(line) > len(sample) and _DIGIT.search(line) is not None)
        url = "." in line and (_URL_BRANCHES.search_mask(line, mask >> scan.url) if check is None
                               else _URL.search(line) is not None)  # whole: cheaper than branch literal tests
        email = ("@" in line or "#" in line) and _EMAIL.search(line) is not None
        sep = bool(mask & scan.sep) and (check is None or any(map(check.__contains__, _SEP_LITERALS))) and (
            _SEPARATORS.search(line) is not None)
        date = has_digit and _DATE_TIME.search_mask(
            line, mask >> scan.date, check, scan.date_open | (mask >> scan.date_gate & scan.date_gates))
        counter = has_digit and _COUNTER.search_mask(line, mask >> scan.counter, check)
        credit = (
            bool(mask & scan.credit_any) and any(map(lower.__contains__, _CREDIT_HINTS))
            and _CREDIT.search_mask(line, mask >> scan.credit, check)
        )
        byline = bool(mask & scan.byline) and _BYLINE.search(line) is not None
    else:
        url = email = sep = date = counter = credit = byline = False
    bits = vocabulary_bits(line, lower) if mask & scan.vocab else 0
    mark = (bool(mask & scan.mark_any) and _MARK.search_mask(line, mask >> scan.mark) if check is None
            else F._COMMENT_MARK.search(line) is not None)
    quote = bool(mask & scan.quote) and _QUOTE.search(line) is not None
    head = _HEAD[words] if words < len(_HEAD) else _pack_head(*_BINS[min(words, len(_BINS) - 1)], math.log1p(words))
    row = head + _pack(
        1.0 if sentence else 0.0,
        1.0 if ends == ":" else 0.0,
        1.0 if ends.isalnum() else 0.0,
        1.0 if line[:1].islower() else 0.0,
        caps,
        1.0 if letters >= 2 and not changed else 0.0,
        digits / nonspace,
        letters / nonspace,
        1.0 if url else 0.0,
        1.0 if email else 0.0,
        1.0 if sep else 0.0,
        min(line.count(",") / (words or 1), 1.0),
        1.0 if date else 0.0,
        1.0 if counter else 0.0,
        1.0 if credit else 0.0,
        1.0 if byline else 0.0,
        1.0 if quote else 0.0,
    ) + _KW_PACKED[bits]
    # casefold is lower for ASCII; a longer non-ASCII line's is made only if needed (context_columns)
    return row, bits, info, mark, lower if line.isascii() else line.casefold() if words <= _EAGER_KEY_WORDS else None
