"""Remember encoding repairs within one ``clean_documents`` call, which reads every text twice.

The first read builds the site statistics, the second cleans; both repair the text, and an ftfy repair
costs ~5 ms per mojibake article. Within ``remembering()`` a repair is computed once. Outside it
nothing is stored, so workers and long runs hold no extra memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Repair = tuple[str, list[str]]
_memo: ContextVar[dict[tuple[str, bool], tuple[str, tuple[str, ...]]] | None] = ContextVar(
    "presswash_repair_memo", default=None)
"""Repairs as tuples of strings: the garbage collector stops tracking those, so a memory of a whole
batch's repairs is not walked by every full collection (a list of fixes would keep its entry tracked)."""


@contextmanager
def remembering() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def recall(text: str, variant: bool) -> Repair | None:
    memo = _memo.get()
    found = memo.get((text, variant)) if memo is not None else None
    return (found[0], list(found[1])) if found is not None else None


def remember(text: str, variant: bool, repair: Repair) -> Repair:
    memo = _memo.get()
    if memo is not None:
        memo[(text, variant)] = (repair[0], tuple(repair[1]))
    return repair
