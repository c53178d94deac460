"""An exact, faster ``ftfy.badness.is_bad``: run ftfy's mojibake regex only near characters it needs.

``is_bad`` searches one large alternation at every position of the text (~2.5 ms for a 6 kB article, most of
the cost of cleaning clean text). Every branch of that regex needs at least one non-ASCII character from a
fixed class, and no match is longer than a few characters. So we pick, per branch, the mandatory class with
the fewest characters common in clean text (anchors), keep only the text within one match length of an
anchor, join those pieces with newlines that no match can span, and search that. Same answer, ~10x faster
on clean text. If a future ftfy changes the regex so that the analysis does not hold, we fall back to
``is_bad`` itself. That scan is the fallback: ``looks_bad`` is one RE2 search of the regex translated exactly
(:mod:`cleaners.re2_exact`), or without that, RE2 searches for a relaxed form of the regex (a superset of its
matches, :mod:`cleaners.relax`) before the scan.

:func:`speed_up_ftfy` also lets ftfy skip its two ``str.translate`` fixers when no character of their table
occurs in the text (:func:`skip_when_absent`).
"""

from __future__ import annotations

import importlib
import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any

import ftfy
import ftfy.chardata
from ftfy.badness import BADNESS_RE, is_bad

from .multiscan import re2_prefilter
from .re2_exact import Unsupported, exact_re2, re2_search

# The regex parser's internals (public as sre_parse until Python 3.11 deprecated that name).
_sre_c: Any = importlib.import_module("re._constants")
_sre_parse: Any = importlib.import_module("re._parser")

# Characters frequent in clean Latin-script text: avoid them as anchors when a branch offers another choice.
_FREQUENT = {chr(c) for c in range(0xC0, 0x100)} | set("’‘“”–—…«»·\xa0")


def _class_chars(items: list[tuple[Any, Any]]) -> set[str] | None:
    """The characters of a plain character class; None for negated classes or categories (\\w, \\s)."""
    out: set[str] = set()
    for op, av in items:
        if op is _sre_c.LITERAL:
            out.add(chr(av))
        elif op is _sre_c.RANGE:
            out.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None
    return out


def _anchors(pattern: re.Pattern[str]) -> tuple[str, int] | None:
    """(anchor characters, longest match) if every branch has a mandatory all-non-ASCII element."""
    parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
    if len(parsed) != 1 or parsed[0][0] is not _sre_c.BRANCH:
        return None
    anchors: set[str] = set()
    longest = 0
    for branch in parsed[0][1][1]:
        _, hi = branch.getwidth()
        if hi > 64:
            return None
        longest = max(longest, hi)
        choices = []
        for op, av in branch:  # top-level elements of a branch are mandatory (repeats have their own op)
            chars = {chr(av)} if op is _sre_c.LITERAL else _class_chars(av) if op is _sre_c.IN else None
            if chars and all(ord(c) >= 128 for c in chars):
                choices.append(chars)
        if not choices:
            return None
        anchors |= min(choices, key=lambda s: (len(s & _FREQUENT), len(s)))
    return "".join(sorted(anchors)), longest


def _build() -> tuple[Callable[[str], bool], Callable[[str], list[tuple[int, int]]] | None]:
    """The exact test, and the function giving the text spans it searches (None: ``is_bad`` itself)."""
    found = _anchors(BADNESS_RE)
    if found is None:
        return is_bad, None
    chars, width = found
    anchor = "[" + "".join(re.escape(c) for c in chars) + "]"
    # A run of anchors each within 2*width-1 characters of the previous one: their windows
    # [p - width + 1, p + width) overlap into one span (greedy `.{0,k}` reaches the farthest anchor in
    # range, so a match ends at the last anchor of the run; tests/test_fast_path.py compares).
    run_re = re.compile(f"(?s){anchor}(?:.{{0,{2 * width - 2}}}{anchor})*")
    sep = "\n" * width  # '.' never matches a newline, and no match is longer than `width`
    search = BADNESS_RE.search

    def spans_of(text: str) -> list[tuple[int, int]]:
        return [(max(m.start() - width + 1, 0), m.end() - 1 + width) for m in run_re.finditer(text)]

    def is_bad_fast(text: str) -> bool:
        spans = spans_of(text)
        if not spans:
            return False
        reduced = sep.join([text[a:b] for a, b in spans])
        if spans[0][0] > 0:
            reduced = sep + reduced  # so '^' cannot match inside the text
        return search(reduced) is not None

    return is_bad_fast, spans_of


def _re2_prefilter() -> Callable[[str], bool] | None:
    """A test that is True wherever ``BADNESS_RE`` finds a match (and mostly False elsewhere): its relaxed
    form (:func:`cleaners.relax.relaxed`, a superset of its matches) searched once by RE2 (~10 µs for a 6 kB
    article instead of ~100 µs); None without RE2."""
    return re2_prefilter(BADNESS_RE, max_mem=32 << 20)


def _with_prefilter(exact: Callable[[str], bool]) -> Callable[[str], bool]:
    may_be_bad = _re2_prefilter()
    if may_be_bad is None:  # pragma: no cover
        return exact

    def looks_bad(text: str) -> bool:
        return may_be_bad(text) and exact(text)

    return looks_bad


def _re2_exact(fallback: Callable[[str], bool]) -> Callable[[str], bool] | None:
    """``is_bad`` as one RE2 search of ``BADNESS_RE`` translated exactly (:mod:`cleaners.re2_exact`; ~15 µs
    for a 6 kB article); ``fallback`` for text RE2 cannot take (lone surrogates). None without RE2."""
    try:
        search = re2_search(exact_re2(BADNESS_RE))
    except Unsupported:  # pragma: no cover - a future ftfy regex
        return None
    if search is None:  # pragma: no cover
        return None

    def is_bad_re2(text: str) -> bool:
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return fallback(text)
        return search(data)

    return is_bad_re2


def _remembering(test: Callable[[str], bool]) -> Callable[[str], bool]:
    """``test``, not run again on the string object it was last asked about (ftfy's repair asks about the same
    text twice in a row, and after ``needs_repair`` once more)."""
    last: list[tuple[str | None, bool]] = [(None, False)]

    def looks_bad(text: str) -> bool:
        seen, verdict = last[0]
        if seen is text:
            return verdict
        verdict = test(text)
        last[0] = (text, verdict)
        return verdict

    return looks_bad


_exact, anchor_spans = _build()
looks_bad: Callable[[str], bool] = _remembering(_re2_exact(_exact) or _with_prefilter(_exact))
"""Same as ``ftfy.badness.is_bad(text)``, faster."""


def skip_when_absent(fixer: Callable[[str], str], table: Mapping[int, Any]) -> Callable[[str], str]:
    """``fixer``, which is ``text.translate(table)``, skipped when no character of ``table`` occurs.

    ``str.translate`` with a dict looks up every character in Python (~0.7 ms for a 6 kB non-ASCII
    article, and ftfy runs two such fixers at every pass); a character-class search is ~50x faster.
    Without a key of ``table`` in the text the translation is the text itself, so the answer is the same.
    Where a key occurs, a table of strings and None (deletions) is applied by substituting the class's
    matches (one character each, left to right: what the translation does), ~2.5 ms → ~0.1 ms.
    """
    pattern = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(table)) + "]")
    present = pattern.search
    translate = fixer
    if all(v is None or isinstance(v, str) for v in table.values()):  # ftfy's tables: strings and None
        replacements = {chr(c): v or "" for c, v in table.items()}
        substitute = pattern.sub

        def translate(text: str) -> str:
            return substitute(lambda m: replacements[m.group()], text)

    def fast(text: str) -> str:
        return text if present(text) is None else translate(text)

    fast.__doc__ = fixer.__doc__
    fast.__wrapped__ = fixer  # type: ignore[attr-defined]
    return fast


_TABLE_FIXERS = {"fix_latin_ligatures": "LIGATURES", "remove_control_chars": "CONTROL_CHARS"}
"""ftfy fixers that are one ``str.translate`` of a table in ``ftfy.chardata`` (checked before replacing)."""


def speed_up_ftfy() -> None:
    """Let ftfy's own text fixer use ``looks_bad`` and :func:`skip_when_absent` versions of its table fixers.

    ftfy's encoding fixer calls ``is_bad`` on the whole text at every step (~45% of the time of repairing a
    mojibake article); the two table fixers were ~40% of the rest. Same answers, so ftfy's output does not
    change. Only the names ftfy's fixer looks up are replaced (``ftfy.is_bad``, entries of ``ftfy.FIXERS``):
    ``ftfy.badness.is_bad`` and the functions in ``ftfy.fixes`` stay as they are. A fixer whose source is
    not the plain translation this relies on is left alone.
    """
    if looks_bad is not is_bad and getattr(ftfy, "is_bad", None) is is_bad:
        ftfy.is_bad = looks_bad  # type: ignore[assignment]
    fixers = getattr(ftfy, "FIXERS", None)
    if not isinstance(fixers, dict):
        return
    for name, table_name in _TABLE_FIXERS.items():
        fixer = fixers.get(name)
        table = getattr(ftfy.chardata, table_name, None)
        if fixer is None or not isinstance(table, dict) or getattr(fixer, "__wrapped__", None) is not None:
            continue
        if _is_plain_translate(fixer, table_name):
            fixers[name] = skip_when_absent(fixer, table)


def _is_plain_translate(fixer: Callable[[str], str], table_name: str) -> bool:
    """Is ``fixer``'s body just ``return text.translate(<table_name>)`` (after its docstring)?"""
    try:
        source = inspect.getsource(fixer)
    except (OSError, TypeError):
        return False
    body = [ln.strip() for ln in source.split('"""')[-1].splitlines() if ln.strip()]
    return body == [f"return text.translate({table_name})"]
