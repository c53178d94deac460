"""The fast line-classifier path computes exactly what its definitions say, float for float.

- ``feature_matrix`` (numpy, memo, ``features_fast.own``) against ``features.document_features`` (the
  definition, one Python list per line) on the dev benchmark texts and on generated documents;
- the numpy model scoring against the pure-Python definition (``Linear.score`` and the stage-2 rows
  written out below as they were specified), bit for bit.
"""

from __future__ import annotations

import gzip
import json
import random

import numpy as np
from conftest import bench_file
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import feature_matrix as fm
from cleaners.features import document_features
from cleaners.model_line import _logit, _logits, load_model, predict, stage2_rows
from cleaners.text import split_lines


def _dev_texts() -> list[str]:
    texts = []
    for name in ("scrapinghub_text.jsonl.gz", "trafilatura_text.jsonl.gz"):
        with gzip.open(bench_file(name), "rt", encoding="utf-8") as f:
            texts += [json.loads(line)["raw_text"] for line in f]
    return texts


def _same(lines: list[str]) -> None:
    index, rows, infos = document_features(lines)
    f_index, f_rows, f_infos = fm.feature_matrix(lines)
    assert f_index == index
    assert f_rows.tolist() == rows  # exact float equality, not approximate
    assert [(i.text, i.words, i.prose) for i in f_infos] == [(i.text, i.words, i.prose) for i in infos]


def test_feature_matrix_equals_document_features_on_dev_texts() -> None:
    texts = _dev_texts()
    for text in texts:
        _same(split_lines(text))
    fm._memo.clear()
    for text in reversed(texts):  # warm memo, other order
        _same(split_lines(text))


_PIECES = [
    "Share this:", "Facebook", "Twitter", "© 2024 Valley Post. All rights reserved.", "Photo: Reuters",
    "(AP Photo/Jane Doe)", "12 comments", "Posted by admin on 3 May 2021", "By John Smith", "Home | News | Sport",
    "Read more »", "Subscribe to our newsletter", "www.example.com", "@handle #tag", "5 min ago", "vor 3 Stunden",
    "2021年5月3日", "Комментарии (3)", "İSTANBUL", "ſtraße", "ΣΊΣΥΦΟΣ", "“Quoted,” he said.", "1 of 12",
    "The council approved the budget on Monday after a long debate about schools and roads.",
    "x" * 450, " ".join(["word"] * 45) + ".", "don't stop", "Kelvin K test", "  ", "",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.sampled_from(_PIECES), st.text(max_size=60)), max_size=25))
def test_feature_matrix_equals_document_features_on_generated_documents(lines: list[str]) -> None:
    _same(lines)


def test_rows_of_lines_beyond_the_packed_length_table_equal_the_definition() -> None:
    from cleaners import features_fast as FF
    words = len(FF._HEAD)  # the first word count whose bins and log1p are packed per line, not from the table
    _same([" ".join(["share"] * (words - 1)), " ".join(["share"] * words), " ".join(["a,b"] * (words + 7)) + "."])


def _stage2_rows_reference(rows: list[list[float]], p1: list[float], ruled: list[bool]) -> list[list[float]]:
    """The stage-2 inputs as first specified (pure Python)."""
    n = len(rows)
    out = []
    for j, row in enumerate(rows):
        prev = p1[j - 1] if j > 0 else 0.5
        nxt = p1[j + 1] if j + 1 < n else 0.5
        others = [p1[m] for m in range(max(0, j - 2), min(n, j + 3)) if m != j] or [0.5]
        rules = [ruled[m] for m in range(max(0, j - 3), min(n, j + 4)) if m != j] or [False]
        out.append([*row, _logit(p1[j]), prev, nxt, sum(others) / len(others), min(others),
                    float(j > 0 and ruled[j - 1]), float(j + 1 < n and ruled[j + 1]), sum(rules) / len(rules)])
    return out


def test_numpy_scores_equal_the_pure_python_definition() -> None:
    model = load_model()
    assert model is not None
    rnd = random.Random(7)
    texts = _dev_texts()[:40]
    for text in texts:
        _, rows, _ = document_features(split_lines(text))
        for size in (len(rows), 1, 2, 3):
            part = rows[:size]
            ruled = [rnd.random() < 0.25 for _ in part]
            p1 = [model.stage1.score(r) for r in part]
            s2 = _stage2_rows_reference(part, p1, ruled)
            assert stage2_rows(part, p1, ruled) == s2
            want = [0.0 if hit else model.stage2.score(r) for r, hit in zip(s2, ruled, strict=True)]
            assert predict(model, part, ruled, skip_ruled=True) == want
            assert predict(model, part, ruled) == [model.stage2.score(r) for r in s2]


def test_numpy_scores_equal_the_definition_at_the_clamps() -> None:
    model = load_model()
    assert model is not None
    lin = model.stage1
    width = len(lin.weights)
    rnd = random.Random(3)
    rows = [[rnd.choice([0.0, 1.0, -1e6, 1e6, 1e-300, rnd.uniform(-50, 50)]) for _ in range(width)]
            for _ in range(300)]
    rows.append([0.0] * width)
    assert lin.scores(np.asarray(rows)) == [lin.score(r) for r in rows]
    p = [0.0, 1e-5, 1e-4, 0.5, 1 - 1e-4, 1 - 1e-5, 1.0, *(rnd.random() for _ in range(100))]
    assert _logits(np.asarray(p)) == [_logit(x) for x in p]


def test_letter_and_digit_counts_equal_the_definition_for_every_code_point() -> None:
    """``features_fast._letters_digits`` (bytes for the ASCII part) == ``features._letters_digits``."""
    from cleaners import features as F
    from cleaners import features_fast as FF

    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    for k in range(0, len(points), 40):
        chunk = "".join(points[k : k + 40])
        for sample in (chunk, "Ab1 " * 15 + chunk, chunk[:3] + "x9 " * 5):
            assert FF._letters_digits(sample) == F._letters_digits(sample), k


def test_vocabulary_bits_equal_the_definition_while_the_token_memory_renews(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cleaners import features as F
    from cleaners import features_fast as FF

    monkeypatch.setattr(FF, "_MAX_TOKEN_MEMO", 50)
    FF._renew_token_memo()
    for text in _dev_texts()[:60]:
        for line in split_lines(text):
            t = line.strip()
            assert FF.vocabulary_bits(t, t.lower()) == F.vocabulary_bits(t), t
    assert len(FF._token_bits) <= 90
    FF._renew_token_memo()


def _phrase_pieces() -> list[str]:
    from cleaners import features as F

    phrases = sorted(p for group in F._VOCAB.phrases.values() for p, _, _ in group)
    words = [p.split(" ") for p in phrases]
    # whole phrases, their words alone and in halves (a phrase cut short or run on), other words, punctuation
    return phrases + [w for ws in words for w in ws] + [" ".join(ws[:-1]) for ws in words if len(ws) > 2] + [
        "the", "news", "x", "it's", "Read", "US", ",", ".", "-", "ünd", "2024"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_phrase_pieces()), min_size=1, max_size=50))
def test_vocabulary_bits_of_lines_of_phrases_equal_the_definition(pieces: list[str]) -> None:
    """Lines made of vocabulary phrases, their parts and other words (past the 40-token limit too): the phrase
    search over the joined tokens gives the definition's bits."""
    from cleaners import features as F
    from cleaners import features_fast as FF

    for line in (" ".join(pieces), "".join(pieces), ", ".join(pieces).upper()):
        assert FF.vocabulary_bits(line, line.lower()) == F.vocabulary_bits(line), line


def test_casefold_keeps_the_word_count_of_every_code_point() -> None:
    """What ``context_columns.repeated_lines`` relies on to leave long lines' casefolds unmade."""
    from cleaners.features import _CJK

    for code in range(0x110000):
        c = chr(code)
        folded = c.casefold()
        if c.isspace():
            assert folded == c
        else:
            assert folded and not any(x.isspace() for x in folded), hex(code)
            assert len(_CJK.findall(folded)) == (1 if _CJK.match(c) else 0) and (not _CJK.match(c) or folded == c)


def test_repeated_lines_equal_the_casefold_definition() -> None:
    from cleaners.context_columns import repeated_lines
    from cleaners.features import word_count

    rnd = random.Random(5)
    unmade = 0
    pieces = ["Straße", "STRASSE", "strasse", "ß", "ẞ", "Σ", "ς", "σ", "İ", "ı", "K", "K", "ﬁ", "fi", "Ǆ", "ǆ",
              "a", "A", "é", "É", " ", "  ", "\u3000", "年", "x y", "1", "\t", " w", " W"]
    for _ in range(400):
        lines = [" ".join(rnd.choice(pieces) for _ in range(rnd.randint(1, 24))).strip() or "z"
                 for _ in range(rnd.randint(1, 12))]
        lines += rnd.sample(lines, k=min(3, len(lines)))  # some exact repeats too
        lines += [rnd.choice(lines).upper(), rnd.choice(lines).swapcase(), rnd.choice(lines).casefold()]
        for line in lines:
            assert word_count(line.casefold()) == word_count(line)
        entries = [fm._entries([line])[0] for line in lines]
        want, seen = [], set()
        for line in lines:
            want.append(line.casefold() in seen)
            seen.add(line.casefold())
        assert repeated_lines(entries) == want, lines
        unmade += sum(e[4] is None for e in entries)
    assert unmade > 100  # long non-ASCII lines were left to repeated_lines


def test_entries_hold_atomic_values_only_and_are_untracked() -> None:
    """The memo's entries are untracked by the collector (``gc_untrack``): sound only because nothing in them
    is a container (no cycle can pass through them); on CPython they really are untracked."""
    import gc
    import platform

    from cleaners.gc_untrack import untrackable

    fm._memo.clear()
    lines = [line.strip() for text in _dev_texts()[:40] for line in split_lines(text) if line.strip()]
    lines += [p for p in _PIECES if p.strip()]
    entries = fm._entries(lines)
    assert len(entries) == len(lines)
    for entry in entries:
        assert untrackable(entry), entry
        if platform.python_implementation() == "CPython":
            assert not gc.is_tracked(entry) and not gc.is_tracked(entry[2])
    assert not untrackable(([],)) and not untrackable((1, ("a", {}))) and untrackable((b"", ("a", 1, None)))
