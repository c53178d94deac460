"""The fast path gives the same outputs as the slow path.

- the parallel path the flow uses (site statistics and cleaning in worker processes, batch by batch) against
  the single-process library loop, on the dev benchmark texts (a share of them with injected mojibake);
- the mojibake pre-check (``cleaners.badness_scan.looks_bad``) against ``ftfy.badness.is_bad`` itself, the
  skipped table fixers against ftfy's, and ftfy's repairs with and without them;
- the split "anything else for ftfy to do" check against the single regex it replaced.
"""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import ftfy
import ftfy.chardata
import pytest
from conftest import bench_file
from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES, is_bad
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import Config, Document, SiteLineStats, badness_scan, clean_documents, site_stats
from cleaners import dedup as dd
from cleaners.badness_scan import looks_bad
from cleaners.dedup import DedupConfig
from cleaners.encoding import _needs_ftfy
from flows import parallel
from flows.sitestats import RunSiteStats, learned_lines


def _mojibake(text: str) -> str:
    """UTF-8 read as windows-1252, the commonest damage (undefined bytes kept as C1 code points)."""
    return "".join(chr(b) if b in (0x81, 0x8D, 0x8F, 0x90, 0x9D) else bytes([b]).decode("cp1252")
                   for b in text.encode("utf-8"))


def dev_documents() -> list[Document]:
    docs = []
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for i, line in enumerate(f):
                r = json.loads(line)
                text = _mojibake(r["raw_text"]) if i % 7 == 3 else r["raw_text"]
                docs.append(Document(id=f"{name}:{r['id']}", text=text, url=r.get("url"), source=name))
    return docs


def test_parallel_path_matches_library_loop(tmp_path: Path) -> None:
    """The flow's passes: statistics spooled per batch, repairs reused, cleaning with keys and samples."""
    docs = dev_documents()
    config = Config()
    slow = list(clean_documents(docs, config))
    assert any(r.encoding_fixes for r in slow), "the sample should exercise encoding repair"
    batches = [docs[i : i + 150] for i in range(0, len(docs), 150)]
    run_stats = RunSiteStats(tmp_path)
    repairs = []
    with parallel.worker_pool(2):
        for i, batch in enumerate(batches):
            gathered = parallel.gather(batch, config)
            run_stats.add(gathered.stats, str(i))
            repairs.append(gathered.repairs)
    assert sum(map(len, repairs)) >= len(docs) // 10, "mojibake texts come with their repairs"
    stats = run_stats.for_cleaning(config)
    whole = site_stats(docs, config)
    assert stats.boilerplate(config) == whole.boilerplate(config) != {}
    samples = SiteLineStats()
    fast = []
    with parallel.worker_pool(2):
        for batch, batch_repairs in zip(batches, repairs, strict=True):
            cleaned = parallel.clean(batch, config, stats, DedupConfig(), batch_repairs)
            fast += cleaned.results
            samples.merge(cleaned.samples)
            assert cleaned.keys == [dd.keys(r.text) if r.rejected is None else None for r in cleaned.results]
    assert len(fast) == len(slow)
    for a, b in zip(slow, fast, strict=True):
        assert a == b, a.id
    assert learned_lines(stats.boilerplate(config), samples) == whole.learned_lines(config)


def test_looks_bad_matches_ftfy_on_dev_texts() -> None:
    docs = dev_documents()
    texts = [d.text or "" for d in docs[::3]] + [_mojibake(d.text or "") for d in docs[:30]]
    verdicts = [is_bad(t) for t in texts]
    assert any(verdicts) and not all(verdicts)
    assert [looks_bad(t) for t in texts] == verdicts


def test_ftfy_speed_up_changes_no_repair(monkeypatch: pytest.MonkeyPatch) -> None:
    from cleaners.encoding import repair_text

    texts = [_mojibake(d.text or "") for d in dev_documents()[::15]]
    assert ftfy.is_bad is looks_bad  # installed by cleaners.encoding
    sped_up = {name: f for name, f in ftfy.FIXERS.items() if hasattr(f, "__wrapped__")}
    assert set(sped_up) == {"fix_latin_ligatures", "remove_control_chars"}
    texts += ["\ufb01x \x00" + t + "\ufeff" for t in texts[:5]]  # something for the table fixers to do
    fast = [repair_text(t, Config()) for t in texts]
    monkeypatch.setattr(ftfy, "is_bad", is_bad)
    for name, f in sped_up.items():
        monkeypatch.setitem(ftfy.FIXERS, name, f.__wrapped__)
    assert fast == [repair_text(t, Config()) for t in texts]
    assert sum(1 for _, fixes in fast if fixes) > len(texts) // 2


_SUSPECT = "".join(sorted(set("".join(MOJIBAKE_CATEGORIES.values()) + "ÂÃÎÐØÙàâ×²³√±∂≈°‚ÄâóβΒΓΞΟВГРСЂў€ā"
                                + "éèüöäÉÜÖœŒ’“”–— \n\t.,!?aZ1{}")))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(set(_SUSPECT))), max_size=60),
       st.text(alphabet=st.characters(codec="utf-8"), max_size=20))
def test_looks_bad_matches_ftfy_on_generated_text(suspect: str, other: str) -> None:
    for text in (suspect, other + suspect, suspect + other, other):
        assert looks_bad(text) == is_bad(text), repr(text)
        assert badness_scan._exact(text) == is_bad(text), repr(text)  # without the RE2 prefilter
        assert badness_scan.anchor_spans is not None
        assert badness_scan.anchor_spans(text) == _anchor_spans_reference(text)


def _anchor_spans_reference(text: str) -> list[tuple[int, int]]:
    """The windows [p - width + 1, p + width) around each anchor character p, merged where they overlap."""
    found = badness_scan._anchors(BADNESS_RE)
    assert found is not None
    chars, width = found
    spans: list[tuple[int, int]] = []
    for p, c in enumerate(text):
        if c in chars:
            s = max(p - width + 1, 0)
            if spans and s <= spans[-1][1]:
                spans[-1] = (spans[-1][0], p + width)
            else:
                spans.append((s, p + width))
    return spans


def test_anchor_spans_on_dev_texts() -> None:
    with gzip.open(bench_file("trafilatura_text.jsonl.gz"), "rt") as f:
        texts = [json.loads(line)["raw_text"] for line in f][:150]
    for text in texts + [t.encode("utf-8").decode("cp1252", errors="replace") for t in texts[:50]]:
        assert badness_scan.anchor_spans is not None
        assert badness_scan.anchor_spans(text) == _anchor_spans_reference(text)


_TABLE_CHARS = "".join(chr(c) for c in sorted({*ftfy.chardata.LIGATURES, *ftfy.chardata.CONTROL_CHARS}))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(sorted(set(_TABLE_CHARS + "aé’\n\t\r ﬀ\u2028"))), max_size=30),
       st.text(max_size=20))
def test_table_fixers_skip_only_what_they_would_not_change(table_text: str, other: str) -> None:
    for name in ("fix_latin_ligatures", "remove_control_chars"):
        fast = ftfy.FIXERS[name]
        for text in (table_text, other + table_text, other):
            assert fast(text) == fast.__wrapped__(text), (name, repr(text))


_OLD_NEEDS_FTFY = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r\x1b\u2028\u2029\ufb00-\ufb06\ud800-\udfff]|&#?\w{1,10};"
)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("a &#;x1é\r\x1b\u2028\ufb01\x00\n")), max_size=40))
def test_split_ftfy_check_matches_the_single_regex(text: str) -> None:
    assert _needs_ftfy(text) == (_OLD_NEEDS_FTFY.search(text) is not None)


@pytest.mark.slow
def test_flow_output_matches_library_loop(tmp_path: Path, prefect_harness: None) -> None:
    """End to end: what ``presswash run`` writes (worker processes, batches) equals the library loop."""
    from flows import reader
    from flows.pipeline import clean_articles
    from flows.sources import open_source

    src = tmp_path / "in.jsonl"
    with src.open("w", encoding="utf-8") as f:
        for doc in dev_documents()[:120]:
            f.write(json.dumps({"id": doc.id, "url": doc.url, "text": doc.text}) + "\n")
    dest = str(tmp_path / "out")
    clean_articles(source=str(src), dest=dest, batch_size=40, run_id="fast", dedup={"enabled": False})
    written = {row["id"]: row for row in reader.read_documents(dest, "fast")}
    for row in written.values():
        row["removed"] = []
    for removal in sorted(reader.read_documents(dest, "fast", table="removals"), key=lambda r: r["line_no"]):
        written[removal["doc_id"]]["removed"].append(removal)
    docs = [item for item in open_source(str(src)) if isinstance(item, Document)]
    expected = {r.id: r for r in clean_documents(docs, Config()) if r.rejected is None}
    assert written.keys() == expected.keys()
    for doc_id, result in expected.items():
        assert written[doc_id]["text"] == result.text, doc_id
        assert [x["rule_id"] for x in written[doc_id]["removed"]] == [x.rule_id for x in result.removed]
        assert written[doc_id]["encoding_fixes"] == result.encoding_fixes
