"""Duplicate decisions: exact and near, deterministic whatever the order or batching, earlier runs win."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_pipeline import article, edit

from cleaners import clean_text
from cleaners import dedup as dd
from cleaners import dedup_table as dd_table

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "articles"


def cand(doc_id: str, text: str, run_id: str = "r") -> dd.Candidate:
    k = dd.keys(text)
    return dd.Candidate(doc_id, dd.hashlib.sha256(text.encode()).hexdigest(), k.norm_sha256, k.minhash, run_id)


def test_normalisation_ignores_case_spacing_and_punctuation() -> None:
    a = dd.keys("The Mayor said: budget cuts are coming.\n\nMore later.")
    b = dd.keys("the mayor said  budget cuts are coming more later")
    assert a.norm_sha256 == b.norm_sha256
    assert dd.keys("The mayor said budget cuts are not coming").norm_sha256 != a.norm_sha256


def test_sample_articles_sharing_a_paragraph_are_not_near_duplicates() -> None:
    paths = [EXAMPLES / "000_ad5899ca170648f4.txt", EXAMPLES / "003_ccce60bc22adf0cc.txt"]
    texts = [clean_text(p.read_text(encoding="utf-8")).text for p in paths]
    assert "Following a report in the Washington Post" in texts[0] and "Following a report" in texts[1]
    a, b = (dd.keys(t) for t in texts)
    assert dd.similarity(a.minhash, b.minhash) < 0.2
    assert dd.decide([cand("x", texts[0]), cand("y", texts[1])]) == {}


def test_syndicated_copy_with_one_sentence_rewritten_is_a_near_duplicate() -> None:
    original, copy = article(1), edit(article(1), 3)
    assert original != copy
    assert dd.similarity(dd.keys(original).minhash, dd.keys(copy).minhash) >= dd.DedupConfig().threshold
    decisions = dd.decide([cand("b", copy), cand("a", original)])
    (key, dup), = decisions.items()
    kept = min([cand("b", copy), cand("a", original)], key=lambda c: c.sort_key)
    assert key != kept.sort_key and dup.kept_id == kept.id and dup.kind == "near"


def test_a_higher_threshold_keeps_the_copy() -> None:
    copy = edit(edit(article(2), 1), 7)
    s = dd.similarity(dd.keys(article(2)).minhash, dd.keys(copy).minhash)
    strict = dd.DedupConfig(threshold=min(1.0, s + 0.05))
    assert dd.decide([cand("a", article(2)), cand("b", copy)], strict) == {}


def test_prior_runs_win_even_over_a_smaller_key() -> None:
    text = article(3)
    prior = cand("zzz-old", text, run_id="run-1")
    new = cand("aaa-new", text + " ", run_id="run-2")
    decisions = dd.decide([new], prior=[prior])
    assert decisions[new.sort_key] == dd.Duplicate("zzz-old", "run-1", "exact", 1.0)


def test_exact_only_and_disabled() -> None:
    cs = [cand("a", article(4)), cand("b", edit(article(4), 2)), cand("c", article(4))]
    exact = dd.decide(cs, dd.DedupConfig(near=False))
    assert {d.kind for d in exact.values()} == {"exact"} and len(exact) == 1
    assert dd.decide(cs, dd.DedupConfig(enabled=False)) == {}


def test_no_chains_a_duplicate_is_similar_to_its_kept_document() -> None:
    base = article(5)
    chain = [base]
    for i in range(6):
        chain.append(edit(chain[-1], i * 3 + 1))
    cs = [cand(f"d{i}", t) for i, t in enumerate(chain)]
    by_key = {c.sort_key: c for c in cs}
    by_id = {c.id: c for c in cs}
    for key, dup in dd.decide(cs).items():
        assert dd.similarity(by_key[key].minhash, by_id[dup.kept_id].minhash) >= 0.8


POOL = [article(10 + i) for i in range(4)]
POOL += [edit(POOL[0], 1), edit(POOL[1], 4), POOL[2].upper(), POOL[3]]


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(POOL)))), st.integers(min_value=1, max_value=len(POOL)))
def test_decisions_do_not_depend_on_order_or_batching(order: list[int], batch: int) -> None:
    cs = [cand(f"id{i}", POOL[i]) for i in range(len(POOL))]
    expected = dd.decide(cs)
    shuffled = [cs[i] for i in order]
    batches = [shuffled[i : i + batch] for i in range(0, len(shuffled), batch)]
    assert dd.decide([c for b in batches for c in b]) == expected
    assert len(expected) == 4  # two edits, the upper-cased copy, the repeated text


@pytest.mark.parametrize("threshold", [0.5, 0.8, 0.95])
def test_lsh_bands_find_pairs_at_the_threshold(threshold: float) -> None:
    bands, rows = dd.bands_for(threshold, 128)
    assert bands * rows <= 128
    assert 1 - (1 - threshold**rows) ** bands >= 0.995


def test_signatures_are_stable_across_calls_and_seeds_matter() -> None:
    text = " ".join(random.Random(0).choice(["alpha", "beta", "gamma", "delta"]) for _ in range(50))
    assert dd.keys(text).minhash == dd.keys(text).minhash
    assert dd.keys(text, dd.DedupConfig(seed=2)).minhash != dd.keys(text).minhash


def _reference_signature(text: str, config: dd.DedupConfig) -> bytes:
    """The MinHash signature as first written (distinct shingles, shift before the minimum): stored
    signatures are compared across runs, so the fast form in ``dd.keys`` must give exactly these bytes."""
    import zlib

    import numpy as np

    words = dd.normalise(text)
    if words:
        crc = {w: zlib.crc32(w.encode("utf-8")) for w in set(words)}
        wh = np.fromiter((crc[w] for w in words), dtype=np.uint64, count=len(words))
        n = min(config.shingle_words, len(wh))
        m = len(wh) - n + 1
        acc = np.zeros(m, dtype=np.uint64)
        for j in range(n):
            acc = acc * dd._ROLL + wh[j : j + m]
        hashes = np.unique((acc * dd._FOLD) >> dd._SHIFT)
    else:
        hashes = np.zeros(0, dtype=np.uint64)
    if not len(hashes):
        return np.full(config.num_perm, 0xFFFFFFFF, dtype="<u4").tobytes()
    a, b = dd._permutations(config.num_perm, config.seed)
    return ((a * hashes[None, :] + b) >> dd._SHIFT).min(axis=1).astype("<u4").tobytes()


CONFIGS = [dd.DedupConfig(), dd.DedupConfig(shingle_words=3, num_perm=64, seed=7), dd.DedupConfig(shingle_words=1)]


def test_signatures_equal_the_reference_on_the_sample_articles() -> None:
    texts = [clean_text(p.read_text(encoding="utf-8")).text for p in sorted(EXAMPLES.glob("*.txt"))]
    texts += ["", "a", "one two", "a b c d e", "Ünïcödé ﬁ ＡＢＣ 123 straße", "x " * 50]
    # long texts: the products are computed _CHUNK_HASHES shingles at a time (chunk boundaries included)
    for words in (dd._CHUNK_HASHES - 1, dd._CHUNK_HASHES, dd._CHUNK_HASHES + 1, 3 * dd._CHUNK_HASHES + 11):
        texts.append(" ".join(f"w{(i * 7919) % 5003}" for i in range(words + 4)))
    for config in CONFIGS:
        for text in texts:
            assert dd.keys(text, config).minhash == _reference_signature(text, config), text[:60]


def test_signatures_computed_on_threads_at_once_are_the_same() -> None:
    """Each thread has its own scratch buffer for the MinHash products."""
    from concurrent.futures import ThreadPoolExecutor

    texts = [" ".join(f"t{j} w{(i * j) % 977}" for i in range(1500)) for j in range(1, 25)]
    want = [dd.keys(t).minhash for t in texts]
    with ThreadPoolExecutor(4) as pool:
        for _ in range(3):
            assert list(pool.map(lambda t: dd.keys(t).minhash, texts)) == want


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab cd-é\nÆ1_ﬁ")), max_size=80))
def test_signatures_equal_the_reference_on_generated_texts(text: str) -> None:
    for config in CONFIGS:
        assert dd.keys(text, config).minhash == _reference_signature(text, config)
    words = dd.normalise(text)
    assert list(dd.shingle_hashes(words, 2)) == sorted(set(dd.shingle_hashes(words, 2)))


# --- the compact decision (cleaners/dedup_table.py) against the first implementation --------------------

class _ReferenceIndex:
    """LSH buckets of kept documents, as first written (Python objects per band)."""

    def __init__(self, config: dd.DedupConfig) -> None:
        self.bands, self.rows = dd.bands_for(config.threshold, config.num_perm)
        self.buckets: dict[bytes, list[dd.Candidate]] = {}

    def _band_keys(self, minhash: bytes) -> list[bytes]:
        width = 4 * self.rows
        return [i.to_bytes(2, "little") + minhash[i * width : (i + 1) * width] for i in range(self.bands)]

    def add(self, c: dd.Candidate) -> None:
        for k in self._band_keys(c.minhash):
            self.buckets.setdefault(k, []).append(c)

    def query(self, minhash: bytes) -> list[dd.Candidate]:
        seen: dict[tuple[str, str, str, str], dd.Candidate] = {}
        for k in self._band_keys(minhash):
            for c in self.buckets.get(k, ()):
                seen.setdefault((c.run_id, *c.sort_key), c)
        return list(seen.values())


def reference_decide(
    candidates: list[dd.Candidate], config: dd.DedupConfig | None = None, *, prior: list[dd.Candidate] = ()
) -> dict[tuple[str, str, str], dd.Duplicate]:
    """``dd.decide`` as first written: the definition the compact implementation must reproduce."""
    config = config or dd.DedupConfig()
    decisions: dict[tuple[str, str, str], dd.Duplicate] = {}
    if not config.enabled:
        return decisions
    exact: dict[str, dd.Candidate] = {}
    index = _ReferenceIndex(config)

    def keep(c: dd.Candidate) -> None:
        exact.setdefault(c.norm_sha256, c)
        if config.near and c.minhash:
            index.add(c)

    for c in sorted(prior, key=lambda c: (c.run_id, *c.sort_key)):
        keep(c)
    for c in sorted(candidates, key=lambda c: c.sort_key):
        if (same := exact.get(c.norm_sha256)) is not None:
            decisions[c.sort_key] = dd.Duplicate(same.id, same.run_id, "exact", 1.0)
            continue
        if config.near and c.minhash:
            scored = [(dd.similarity(c.minhash, k.minhash), k) for k in index.query(c.minhash)]
            near = [(s, k) for s, k in scored if s >= config.threshold]
            if near:
                s, k = min(near, key=lambda sk: (-sk[0], sk[1].run_id == c.run_id, sk[1].sort_key))
                decisions[c.sort_key] = dd.Duplicate(k.id, k.run_id, "near", round(s, 4))
                continue
        keep(c)
    return decisions


def _random_candidates(seed: int, config: dd.DedupConfig) -> tuple[list[dd.Candidate], list[dd.Candidate]]:
    """A mix that exercises every branch: exact and near copies, chains of edits, identical texts under
    equal and different ids, prior runs (one with signatures of another length), shared ids and orders."""
    rng = random.Random(seed)
    bases = [article(100 + seed * 10 + i, paragraphs=rng.randint(1, 4)) for i in range(6)]
    texts = list(bases)
    for _ in range(30):
        t = rng.choice(texts)
        texts.append(rng.choice([edit(t, rng.randrange(50)), t, t.upper(), t + " ", t.replace(" ", "  ", 3)]))

    def make(text: str, run_id: str, order: str, other: dd.DedupConfig = config) -> dd.Candidate:
        k = dd.keys(text, other)
        doc_id = f"id{rng.randrange(12)}"
        return dd.Candidate(doc_id, hashlib.sha256(text.encode()).hexdigest(), k.norm_sha256, k.minhash,
                            run_id, order)

    new = [make(rng.choice(texts), "run-new", rng.choice(["", "u1", "u2"]) + f"\x00{i}") for i in range(40)]
    short = dd.DedupConfig(num_perm=64)
    prior = [make(rng.choice(texts), rng.choice(["run-a", "run-b"]), "") for _ in range(8)]
    prior += [make(rng.choice(texts), "run-c", "", short) for _ in range(3)]
    return new, prior


@pytest.mark.parametrize("config", [dd.DedupConfig(), dd.DedupConfig(threshold=0.5),
                                    dd.DedupConfig(threshold=0.95, num_perm=64), dd.DedupConfig(near=False)])
def test_compact_decision_equals_the_reference(config: dd.DedupConfig) -> None:
    kinds: Counter[str] = Counter()
    for seed in range(12):
        new, prior = _random_candidates(seed, config)
        expected = reference_decide(new, config, prior=prior)
        assert dd.decide(new, config, prior=prior) == expected
        assert dd.decide(list(reversed(new)), config, prior=list(reversed(prior))) == expected
        kinds.update(d.kind for d in expected.values())
    assert kinds["exact"] > 50
    assert kinds["near"] > (20 if config.near and config.threshold <= 0.8 else -1)


def test_compact_decision_by_position_with_another_store() -> None:
    class Counting(dd_table.MemorySignatures):
        reads = 0

        def read(self, index: int, count: int = 1) -> bytes:
            Counting.reads += 1
            return super().read(index, count)

    config = dd.DedupConfig()
    new, prior = _random_candidates(99, config)
    table = dd_table.CandidateTable(config, Counting(4 * config.num_perm))
    positions = [table.add_candidate(c) for c in new] + [table.add_candidate(c, prior=True) for c in prior]
    table.decide()
    got = {new[p].sort_key: dup for p in positions[: len(new)] if (dup := table.duplicate(p)) is not None}
    assert got == reference_decide(new, config, prior=prior) and Counting.reads > 0
    assert all(table.duplicate(p) is None for p in positions[len(new):])  # earlier runs' documents stay


def test_digests_must_be_sha256_hex() -> None:
    with pytest.raises(ValueError):
        dd.decide([dd.Candidate("a", "not-a-digest", "0" * 64, b"")])


# --- the words without the regex engine (cleaners/dedup_words.py) against normalise ------------------------

def test_word_table_is_the_regex_word_class_for_every_code_point() -> None:
    import re
    import sys

    from cleaners.dedup_words import word_table

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    want = [m.start() for m in re.finditer(r"\w", everything)]
    assert word_table().nonzero()[0].tolist() == want


def _words_reference(text: str) -> tuple[list[bytes], bytes]:
    words = [w.encode("utf-8") for w in dd.normalise(text)]
    return words, b" ".join(words)


def test_normalised_words_equal_normalise_on_every_code_point_in_context() -> None:
    """Each code point between word characters, at a text's start and end, and in runs (multi-byte
    neighbours, surrogates, characters NFKC or case folding expand)."""
    import sys

    from cleaners.dedup_words import normalised_words

    step = 4096
    for start in range(0, sys.maxunicode + 1, step):
        block = "".join(map(chr, range(start, min(start + step, sys.maxunicode + 1))))
        for text in (block, " ".join(block), "a" + "b".join(block) + "é", "é" + block[::-1] + "x ."):
            assert normalised_words(text) == _words_reference(text), hex(start)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab cd-é\n\tÆ1_ﬁ²½—’ßİ\u0301\ud800😀漢ＡＢ")), max_size=60)
       | st.text(max_size=40))
def test_normalised_words_equal_normalise_on_generated_texts(text: str) -> None:
    from cleaners.dedup_words import normalised_words

    assert normalised_words(text) == _words_reference(text)


def test_replacements_are_case_folding_with_gaps_and_never_replaced_again() -> None:
    """``_replacement`` of every non-ASCII code point: its case folding with non-word characters as spaces
    (a gap only: as long as the character's UTF-8), whose own characters need no replacement (so the order
    of replacing does not matter) and whose ASCII bytes the final table leaves alone (no upper case, no
    non-word byte but the space)."""
    import sys

    from cleaners.dedup_words import _FOLD_ASCII, _replacement, word_table

    table = word_table()
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        want = "".join(c if table[ord(c)] else " " for c in char.casefold())
        if not want.strip(" "):  # a gap only: as many spaces as the character has bytes (the same words)
            want = " " * len(char.encode("utf-8", "surrogatepass"))
        got = _replacement(char)
        assert (got if got is not None else char.encode("utf-8", "surrogatepass")) == want.encode(
            "utf-8", "surrogatepass"), hex(code)
        if got is not None:
            assert got.translate(_FOLD_ASCII) == got, hex(code)
            assert all(_replacement(c) is None for c in got.decode("utf-8", "surrogatepass") if not c.isascii())


def test_normalised_words_equal_normalise_on_every_code_point_in_small_groups() -> None:
    """Every code point among a few others (the path that replaces each distinct character in the bytes;
    the whole blocks above take the NumPy path)."""
    import sys

    from cleaners.dedup_words import normalised_words

    for start in range(0, sys.maxunicode + 1, 6):
        group = "".join(map(chr, range(start, min(start + 6, sys.maxunicode + 1))))
        for text in ("Ab" + "c".join(group) + "É.", "’" + " ".join(group[::-1]) + "_x—"):
            assert normalised_words(text) == _words_reference(text), hex(start)


def test_starter_seconds_are_those_of_unicodedata() -> None:
    """The stored list of characters of combining class 0 that compose with the one before them is what
    ``unicodedata`` gives (every code point), and inert characters are left alone by NFKC beside others."""
    import sys
    import unicodedata

    from cleaners.dedup_words import _inert, starter_seconds

    seconds = {chr(int(parts[1], 16)) for code in range(sys.maxunicode + 1)
               if len(parts := unicodedata.decomposition(chr(code)).split()) == 2 and not parts[0].startswith("<")}
    composing = {c for c in seconds if unicodedata.combining(c) == 0} | {chr(c) for c in range(0x1161, 0x1176)} | {
        chr(c) for c in range(0x11A8, 0x11C3)}
    assert starter_seconds() == composing
    # e.g. U+0B47 + U+0B3E compose to U+0B4B: the second is not inert
    assert unicodedata.normalize("NFKC", "\u0b47\u0b3e") == "\u0b4b" and not _inert("\u0b3e")
    assert unicodedata.normalize("NFKC", "\u1100\u1161") == "\uac00" and not _inert("\u1161")
    bases = "aé\u0b47\u1100\uac00\u09c7"
    for code in range(0x80, sys.maxunicode + 1):
        char = chr(code)
        if _inert(char):
            for text in (f"a{char}b", f"{char}{char}", *(base + char for base in bases)):
                assert unicodedata.normalize("NFKC", text) == text, hex(code)
