"""Several documents classified at once give each document exactly what it gets alone.

``clean_batch`` / ``clean_documents`` stack the feature rows of many documents and score them with one
model call (``feature_matrices``, ``predict(..., sizes=...)``); the definitions are the one-document
paths (``feature_matrix``, ``predict``, ``clean_document``), compared float for float here.
"""

from __future__ import annotations

import gzip
import json
import random
from collections.abc import Sequence

import pytest
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import batch, classify
from cleaners import feature_matrix as fm
from cleaners.batch import clean_batch, clean_document, clean_documents
from cleaners.config import DEFAULT_CONFIG
from cleaners.model import Document
from cleaners.model_line import _stage2_matrix, _stage2_stacked, load_model, predict
from cleaners.text import split_lines


def _dev_docs() -> list[Document]:
    docs = []
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            for k, line in enumerate(f):
                r = json.loads(line)
                docs.append(Document(id=f"{name}-{k}", text=r["raw_text"], url=r.get("url")))
    return docs


def _same_as_alone(docs: Sequence[Sequence[str]]) -> None:
    indexes, rows, infos, sizes = fm.feature_matrices(docs)
    assert sizes == [len(i) for i in indexes]
    assert len(rows) == sum(sizes)
    at = 0
    for d, lines in enumerate(docs):
        index, alone, alone_infos = fm.feature_matrix(lines)
        assert indexes[d] == index
        assert rows[at:at + sizes[d]].tolist() == alone.tolist()  # exact floats
        assert [(i.text, i.words, i.prose) for i in infos[d]] == [(i.text, i.words, i.prose) for i in alone_infos]
        at += sizes[d]


def test_stacked_feature_rows_equal_each_document_alone() -> None:
    docs = [split_lines(d.text or "") for d in _dev_docs()]
    docs += [[], ["", "  "], ["one line"], ["A long line of prose that ends like a sentence with words in it."]]
    random.Random(5).shuffle(docs)
    _same_as_alone(docs)
    _same_as_alone(docs[:1])


_PIECES = ["Share this:", "By John Smith", "12 comments", "Home | News", "", " ",
           "The council approved the budget on Monday after a long debate about schools and roads.",
           "Comments", "Read more »", "© 2024 Example"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=30)), max_size=9), max_size=6))
def test_stacked_feature_rows_equal_each_document_alone_generated(docs: list[list[str]]) -> None:
    _same_as_alone(docs)


def test_stacked_scores_equal_each_document_alone() -> None:
    model = load_model()
    assert model is not None
    rnd = random.Random(11)
    docs = [split_lines(d.text or "") for d in _dev_docs()[:120]]
    docs += [["single"], ["two", "lines"], ["a", "b", "c"]] * 3
    rnd.shuffle(docs)
    _, rows, _, sizes = fm.feature_matrices(docs)
    ruled = [rnd.random() < 0.3 for _ in range(len(rows))]
    p1 = model.stage1.scores(rows)
    nonzero = [size for size in sizes if size]
    stacked = _stage2_stacked(rows, p1, ruled, nonzero)
    at = 0
    for size in nonzero:  # stage-2 rows of each document, as its own
        part = slice(at, at + size)
        assert stacked[part].tolist() == _stage2_matrix(rows[part], p1[part], ruled[part]).tolist()
        at += size
    for skip in (False, True):
        together = predict(model, rows, ruled, skip_ruled=skip, sizes=sizes)
        alone: list[float] = []
        at = 0
        for size in sizes:
            part = rows[at:at + size]
            alone += predict(model, part, ruled[at:at + size], skip_ruled=skip) if size else []
            at += size
        assert together == alone
    with pytest.raises(ValueError):
        predict(model, rows, ruled, sizes=[len(rows) + 1])


def _results(docs: list[Document], size: int, monkeypatch: pytest.MonkeyPatch) -> list[object]:
    monkeypatch.setattr(batch, "BATCH_DOCS", size)
    return list(clean_documents(docs))


def test_clean_documents_results_do_not_depend_on_the_batching(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _dev_docs()
    docs += [Document(id="empty", text="  \n "), Document(id="raw", raw="Caf\u00e9 news.\nShare this:".encode()),
             Document(id="html", html="<html><body><p>Some text of an article here.</p></body></html>")]
    random.Random(2).shuffle(docs)
    one = _results(docs, 1, monkeypatch)
    assert _results(docs, 7, monkeypatch) == one
    assert _results(docs, 1000, monkeypatch) == one
    assert [r.id for r in one] == [d.id for d in docs]  # type: ignore[attr-defined]


def test_clean_batch_equals_clean_document_and_isolates_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    docs = _dev_docs()[:60]
    docs.insert(17, Document(id="boom", text="A headline\nBOOM\nThe end of it."))
    rule_verdicts = classify._rule_verdicts

    def failing(count, index, infos, config, learned):  # type: ignore[no-untyped-def]
        if any(info.text == "BOOM" for info in infos):
            raise RuntimeError("boom")
        return rule_verdicts(count, index, infos, config, learned)

    monkeypatch.setattr(classify, "_rule_verdicts", failing)
    alone = [clean_document(d, DEFAULT_CONFIG) for d in docs]
    together = clean_batch(docs, DEFAULT_CONFIG)
    assert together == alone
    assert together[17].rejected is not None and together[17].rejected.code == "exception"
    assert sum(r.rejected is not None and r.rejected.code == "exception" for r in together) == 1


def test_clean_documents_yields_batch_by_batch_with_its_memories_to_itself(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``stats``, results come a batch at a time (so a caller can let them go) and the memories of
    the call (repairs, line keys) are not active in the caller's code between two results."""
    from cleaners import repair_memo, sitewide

    monkeypatch.setattr(batch, "BATCH_DOCS", 5)
    docs = _dev_docs()[:23]
    made: list[int] = []
    clean_batch_of = batch._clean_batch

    def counting(chunk, config, learned):  # type: ignore[no-untyped-def]
        made.append(len(chunk))
        return clean_batch_of(chunk, config, learned)

    monkeypatch.setattr(batch, "_clean_batch", counting)
    results = clean_documents(docs)
    got = []
    for result in results:
        assert sitewide.known_keys() is None and repair_memo._memo.get() is None
        assert sum(made) <= len(got) + 5  # at most one batch ahead of the caller
        got.append(result)
    assert made == [5, 5, 5, 5, 3]
    assert got == [clean_document(d, DEFAULT_CONFIG, site_stats_of(docs)) for d in docs]


def site_stats_of(docs: list[Document]) -> dict[str, frozenset[int]]:
    return batch.site_stats(docs, DEFAULT_CONFIG).boilerplate(DEFAULT_CONFIG)
