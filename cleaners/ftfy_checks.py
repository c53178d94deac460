"""Cheap tests that tell when one of ftfy's steps cannot change a text (used by :mod:`cleaners.ftfy_fast`).

- :func:`fixer_chars`: the characters without which none of the per-pass fixers ftfy's config enables changes
  anything (each is a translation table, a substitution of single characters from a class, or a pattern that
  starts with one character), taken from ftfy's own tables and patterns.
- :func:`starting_search`: a search that finds a match of a pattern exactly where the pattern's own search
  does, but lets the regex engine skip to the characters a match can start with (the engine only does that
  for a pattern that begins with a character class; ftfy's alternations are tried at every position).
- :func:`may_be_lossy`: every branch of ftfy's ``LOSSY_UTF8_RE`` contains ``\\x1a``, or a ``?`` right after a
  byte from ``[\\x1a\\x80-\\xff]``, so without those its substitution changes nothing.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Callable
from typing import Any, AnyStr

from ftfy import TextFixerConfig, chardata, fixes

from .badness_scan import _class_chars

_sre_c: Any = importlib.import_module("re._constants")
_sre_parse: Any = importlib.import_module("re._parser")

FIXERS_IN_ORDER = ("fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes", "fix_line_breaks",
                   "fix_surrogates", "remove_terminal_escapes", "remove_control_chars")
"""The fixers ftfy runs in every pass of ``fix_and_explain``, in its order."""
_LINE_BREAKS = "\r\u2028\u2029\x85"
"""What ``fixes.fix_line_breaks`` replaces (``\\r\\n``, ``\\r``, U+2028, U+2029, U+0085)."""


def _class(codes: list[int]) -> str:
    def esc(c: int) -> str:
        return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" if c < 0x10000 else f"\\U{c:08x}"

    runs: list[list[int]] = []
    for c in codes:
        if runs and runs[-1][1] == c - 1:
            runs[-1][1] = c
        else:
            runs.append([c, c])
    return "[" + "".join(esc(a) if a == b else f"{esc(a)}-{esc(b)}" for a, b in runs) + "]"


def first_chars(pattern: re.Pattern[Any]) -> set[int] | None:
    """The code points (bytes) every match of ``pattern`` starts with; None if not found out."""
    if pattern.flags & re.IGNORECASE:
        return None
    return _first(list(_sre_parse.parse(pattern.pattern, pattern.flags)))


def _first(items: list[tuple[Any, Any]]) -> set[int] | None:
    for op, av in items:
        if op in (_sre_c.ASSERT, _sre_c.ASSERT_NOT):
            continue  # zero-width: the match starts with what follows
        if op is _sre_c.LITERAL:
            return {av}
        if op is _sre_c.IN:
            chars = _class_chars(av)
            return None if chars is None else {ord(c) for c in chars}
        if op is _sre_c.SUBPATTERN:
            return _first(list(av[3]))
        if op in (_sre_c.MAX_REPEAT, _sre_c.MIN_REPEAT) and av[0] >= 1:
            return _first(list(av[2]))
        if op is _sre_c.BRANCH:
            out: set[int] = set()
            for branch in av[1]:
                found = _first(list(branch))
                if found is None:
                    return None
                out |= found
            return out
        return None
    return None  # the pattern can match the empty string


def _pattern_chars(pattern: re.Pattern[str]) -> set[str]:
    found = first_chars(pattern)
    if found is None:  # pragma: no cover - a different ftfy (which ftfy_fast does not run)
        raise ValueError(pattern.pattern)
    return {chr(c) for c in found}


def _fixer_triggers() -> dict[str, set[str]] | None:
    try:
        return {
            "fix_c1_controls": _pattern_chars(chardata.C1_CONTROL_RE),
            "fix_latin_ligatures": {chr(c) for c in chardata.LIGATURES},
            "fix_character_width": {chr(c) for c in chardata.WIDTH_MAP},
            "uncurl_quotes": _pattern_chars(chardata.SINGLE_QUOTE_RE) | _pattern_chars(chardata.DOUBLE_QUOTE_RE),
            "fix_line_breaks": set(_LINE_BREAKS),
            "fix_surrogates": _pattern_chars(fixes.SURROGATE_RE),
            "remove_terminal_escapes": _pattern_chars(fixes.ANSI_RE),
            "remove_control_chars": {chr(c) for c in chardata.CONTROL_CHARS},
        }
    except (AttributeError, ValueError):  # pragma: no cover - a different ftfy: every fixer always runs
        return None


FIXER_TRIGGERS = _fixer_triggers() or {}
"""Per fixer of ftfy's pass, the characters it needs to find to change a text."""


@functools.lru_cache(maxsize=16)
def _fixer_chars(enabled: tuple[str, ...]) -> re.Pattern[str]:
    if not FIXER_TRIGGERS:  # pragma: no cover - a different ftfy
        return re.compile("(?s:.)")
    chars = set().union(*(FIXER_TRIGGERS[name] for name in enabled))
    return re.compile(_class(sorted(ord(c) for c in chars)) if chars else "(?!)")


def fixer_chars(config: TextFixerConfig) -> re.Pattern[str]:
    """A class of the characters some fixer enabled by ``config`` needs to change a text."""
    return _fixer_chars(tuple(name for name in FIXERS_IN_ORDER if getattr(config, name, False)))


def starting_search(pattern: re.Pattern[Any]) -> Callable[..., re.Match[Any] | None]:
    """``search(text, pos=0)`` whose match starts where ``pattern.search(text, pos)``'s does (its end does not).

    The pattern becomes ``[first](?<=(?=pattern).)``: the engine looks for a character of the class, steps
    back over it and runs the original pattern from there (its look-behinds see the same text as before).
    """
    starts = first_chars(pattern)
    if starts is None:  # pragma: no cover - a different ftfy
        return pattern.search
    is_bytes = isinstance(pattern.pattern, bytes)
    source = pattern.pattern.decode("latin-1") if is_bytes else pattern.pattern
    end = "\n" if pattern.flags & re.VERBOSE else ""  # a comment on the pattern's last line ends there
    wrapped = f"{_class(sorted(starts))}(?<=(?={source}{end})(?s:.))"
    flags = pattern.flags & ~re.UNICODE if is_bytes else pattern.flags
    try:
        return re.compile(wrapped.encode("latin-1") if is_bytes else wrapped, flags).search
    except re.error:  # pragma: no cover - e.g. inline flags in a future ftfy pattern
        return pattern.search


ALTERED_UTF8_SEARCH = starting_search(chardata.ALTERED_UTF8_RE)
UTF8_DETECTOR_SEARCH = starting_search(chardata.UTF8_DETECTOR_RE)

_LOSSY_QUESTION = re.compile(rb"\?(?<=[\x1a\x80-\xff]\?)").search


def may_be_lossy(data: bytes) -> bool:
    """False only where ``LOSSY_UTF8_RE`` finds nothing (see the module doc)."""
    return b"\x1a" in data or (b"?" in data and _LOSSY_QUESTION(data) is not None)


def starting_sub(pattern: re.Pattern[AnyStr], search: Callable[..., re.Match[AnyStr] | None],
                 fix: Callable[[AnyStr], AnyStr], text: AnyStr) -> AnyStr:
    """``pattern.sub(lambda m: fix(m.group(0)), text)`` for a pattern without empty matches, with ``search`` its
    :func:`starting_search`: the same matches (each is the pattern's match at the next start ``search`` finds
    at or after the end of the last), found from their starts."""
    out: list[AnyStr] = []
    pos = 0
    match = pattern.match
    while (start := search(text, pos)) is not None:
        found = match(text, start.start())
        assert found is not None and found.end() > found.start()  # the start search ran the very pattern there
        out.append(text[pos : found.start()])
        out.append(fix(found.group(0)))
        pos = found.end()
    if not out:
        return text
    out.append(text[pos:])
    return text[:0].join(out)


def utf8_detector_sub(fix: Callable[[str], str], text: str) -> str:
    """``UTF8_DETECTOR_RE.sub(lambda m: fix(m.group(0)), text)``."""
    return starting_sub(chardata.UTF8_DETECTOR_RE, UTF8_DETECTOR_SEARCH, fix, text)


_LOSSY_SEARCH = starting_search(chardata.LOSSY_UTF8_RE)
_REPLACEMENT = "\ufffd".encode()


def replace_lossy_sequences(data: bytes) -> bytes:
    """``ftfy.fixes.replace_lossy_sequences(data)``: ``LOSSY_UTF8_RE``'s matches become U+FFFD."""
    return starting_sub(chardata.LOSSY_UTF8_RE, _LOSSY_SEARCH, lambda _: _REPLACEMENT, data)
