"""Shortcuts in text assembly, the over-removal guard and the document judge give the reference answers.

The references below are the plain definitions the fast code replaced (word totals by summing
``len(line.split())``, ``len(text.split())`` for the judge, the blank-run regex on every text).
"""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Sequence

from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.classify import Verdict, is_prose
from cleaners.config import Config
from cleaners.features import line_info
from cleaners.model import Rejection
from cleaners.reject import judge
from cleaners.text import _apply_guard, assemble, split_lines

_BLANK_RUNS = re.compile(r"\n{3,}")


def _assemble_reference(lines: Sequence[str], keep: Sequence[bool]) -> str:
    text = "\n".join(line for line, k in zip(lines, keep, strict=True) if k)
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _guard_reference(lines: Sequence[str], verdicts: list[Verdict | None], config: Config) -> list[str]:
    risky = [i for i, v in enumerate(verdicts) if v is not None and v.risky]
    if not config.guard_enabled or not risky:
        return []
    evidence = sum(1 for v in verdicts if v is not None and not v.risky)
    if evidence < config.guard_min_evidence:
        keep, flag = risky, "clean-input-guard"
    else:
        total = sum(len(line.split()) for line in lines) or 1
        removed = sum(len(lines[i].split()) for i in risky)
        if removed / total <= config.guard_max_removed_share:
            return []
        strong = evidence >= config.guard_strong_evidence
        keep, flag = [i for i in risky if not strong or is_prose(lines[i])], "over-removal-guard"
    for i in keep:
        verdicts[i] = None
    return [flag]


def _judge_reference(text: str, config: Config) -> Rejection | None:
    from cleaners import reject

    words = len(text.split())
    if words == 0:
        return Rejection("empty", "no text left after cleaning")
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) >= config.listing_min_lines and not any(line_info(line.strip()).prose for line in lines):
        return Rejection("listing", f"{len(lines)} short lines and no paragraph of prose")
    if words > config.reject_max_words:
        return None
    for code, rx, what in (
        ("error-page", reject._ERROR_PAGE, "an error page"),
        ("archive-notice", reject._ARCHIVE, "a web archive or crawler notice"),
        ("wall", reject._WALL, "a paywall, login or cookie wall"),
    ):
        if m := rx.search(text):
            return Rejection(code, f"{what} ({m.group(0)!r}), {words} words")
    if words < config.min_words:
        return Rejection("too-short", f"{words} words left after cleaning (minimum {config.min_words})")
    return None


_CONFIGS = [
    Config(),
    Config(reject_max_words=0, listing_min_lines=0, guard_max_removed_share=0.0),
    Config(reject_max_words=-1, listing_min_lines=1, guard_max_removed_share=1.0),
    Config(reject_max_words=3, listing_min_lines=3, guard_max_removed_share=0.3, min_words=2),
]
_PIECES = ["word", "two words", "", " ", "  ", "\t", "\u00a0", "\u2028", "Page not found", "404",
           "A sentence of prose that goes on for a while, as articles do.", "\n", "x\ny"]


def _check(lines: list[str], keep: list[bool], risky: list[bool]) -> None:
    assert assemble(lines, keep) == _assemble_reference(lines, keep)
    text = _assemble_reference(lines, keep)
    for config in _CONFIGS:
        assert judge(text, config) == _judge_reference(text, config), (text, config)
        verdicts: list[Verdict | None] = [
            None if not k else Verdict("r", "", risky=r) for k, r in zip(keep, risky, strict=True)]
        expected = list(verdicts)
        assert _apply_guard(lines, verdicts, config) == _guard_reference(lines, expected, config)
        assert verdicts == expected


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_PIECES) | st.text(max_size=8), st.booleans(), st.booleans()),
                max_size=60))
def test_generated_documents(rows: list[tuple[str, bool, bool]]) -> None:
    _check([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def test_dev_documents() -> None:
    with gzip.open(bench_file("trafilatura_text.jsonl.gz"), "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["raw_text"] for line in f][:200]
    for n, text in enumerate(texts):
        lines = split_lines(text)
        keep = [(i * 7 + n) % 5 != 0 for i in range(len(lines))]
        risky = [(i * 3 + n) % 4 == 0 for i in range(len(lines))]
        _check(lines, keep, risky)
        _check(lines, [True] * len(lines), risky)



def test_removals_are_the_dataclass_ones() -> None:
    """``_removals`` fills each ``Removal.__dict__`` itself: equal to ``Removal(...)``, field for field and in
    field order (pickles alike), and it relies on ``Removal`` having no ``__post_init__``."""
    import dataclasses
    import pickle

    from cleaners.model import Removal
    from cleaners.text import _removals

    assert not hasattr(Removal, "__post_init__")
    lines = ["  a line ", "", "kept", "\tlast\u00a0"]
    verdicts: list[Verdict | None] = [Verdict("r.one", "why", score=0.25), None, None, Verdict("r.two", "")]
    want = [Removal("r.one", "a line", 0, "why", 0.25), Removal("r.two", "last", 3, "", None)]
    got = _removals(lines, verdicts)
    assert got == want and [type(r) for r in got] == [Removal, Removal]
    assert [list(vars(r)) for r in got] == [[f.name for f in dataclasses.fields(Removal)]] * 2
    assert pickle.dumps(got) == pickle.dumps(want) and [hash(r) for r in got] == [hash(r) for r in want]


def test_finish_with_the_classifiers_infos_is_the_finish_without() -> None:
    """``_finish`` judges ``no-article`` from the classifier's line infos when it has them: same result."""
    from cleaners.classify import classify_with_infos
    from cleaners.text import _finish

    with gzip.open(bench_file("trafilatura_text.jsonl.gz"), "rt", encoding="utf-8") as f:
        texts = [json.loads(line)["raw_text"] for line in f][:120]
    seen = set()
    for config in (Config(), Config(no_article_min_removed=1), Config(no_article_min_removed=1, min_words=1)):
        docs = [split_lines(text) for text in texts]
        verdicts, indexes, infos = classify_with_infos(docs, config, site_boilerplate=[None] * len(docs))
        assert indexes is not None and infos is not None
        for lines, found, index, line_infos in zip(docs, verdicts, indexes, infos, strict=True):
            fast = _finish(lines, list(found), config, "d", None, (index, line_infos))
            assert fast == _finish(lines, list(found), config, "d", None)
            seen.add(fast.rejected.code if fast.rejected else None)
    assert "no-article" in seen and None in seen
