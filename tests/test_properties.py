"""Properties of the cleaners, checked on generated articles (hypothesis): idempotence, no invented words,
valid NFC UTF-8 output, and results independent of batch size, order and partitioning."""

from __future__ import annotations

import unicodedata
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners import Config, Document, SiteLineStats, clean_documents, clean_text, load_rules, site_stats
from cleaners.encoding import repair_text

CONFIG = Config()
PROPS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)

_WORDS = ["the", "council", "said", "on", "Tuesday", "budget", "ferry", "residents", "would", "vote", "new", "plan",
          "storm", "café", "naïve", "Zürich", "said:", "“quoted”", "don’t", "—", "2026", "Follow", "us", "Twitter"]
_BOILERPLATE = sorted({ex for r in load_rules() for ex in r.examples + r.counterexamples})
_sentence = st.lists(st.sampled_from(_WORDS), min_size=3, max_size=20).map(lambda ws: " ".join(ws) + ".")
_prose = st.lists(st.sampled_from(_WORDS), min_size=12, max_size=30).map(lambda ws: " ".join(ws).capitalize() + ".")
_mojibake = _sentence.map(lambda s: s.encode("utf-8").decode("cp1252", errors="replace"))
_odd = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=80)
_line = st.one_of(
    _prose, _prose, _sentence, st.sampled_from(_BOILERPLATE), st.just(""), st.just("   "), _mojibake, _odd,
    st.sampled_from(["Advertisement", "Share this article", "Filed under: News", "© 2026 Example Media"]),
)
articles = st.lists(_line, min_size=0, max_size=40).map("\n".join)
"""Articles of prose, rule examples and counterexamples, blank lines, mojibake and arbitrary unicode."""


@given(articles)
@PROPS
def test_cleaning_is_idempotent(text: str) -> None:
    once = clean_text(text, config=CONFIG).text
    assert clean_text(once, config=CONFIG).text == once


@given(articles)
@PROPS
def test_cleaning_adds_no_words(text: str) -> None:
    """Every word of the output is a word of the (encoding-repaired) input, at most as often."""
    repaired = repair_text(text, CONFIG)[0]
    out = clean_text(text, config=CONFIG).text
    added = Counter(out.split()) - Counter(repaired.split())
    assert not added, f"words not in the input: {dict(added)}"


@given(st.one_of(articles, st.text(alphabet=st.characters(exclude_categories=[]), max_size=300)))
@PROPS
def test_output_is_valid_nfc_utf8(text: str) -> None:
    """Even from lone surrogates and unnormalised input, the text, title and removed lines are NFC UTF-8."""
    result = clean_text(text, config=CONFIG)
    for s in [result.text, result.title or "", *(r.line for r in result.removed)]:
        s.encode("utf-8")  # raises on lone surrogates
        assert unicodedata.is_normalized("NFC", s)


_SITES = ["https://a.example/", "https://www.a.example/", "https://b.example/", "http://c.example/", None]


@st.composite
def batches(draw: st.DrawFn) -> list[Document]:
    """Documents from a few sites sharing boilerplate lines, so site-wide learning takes part."""
    shared = draw(st.lists(st.sampled_from([*_BOILERPLATE, "Read more from A", "Become a member today"]),
                           min_size=1, max_size=4, unique=True))
    docs = []
    for i in range(draw(st.integers(1, 14))):
        body = draw(st.lists(_prose, min_size=1, max_size=5))
        extra = draw(st.lists(st.sampled_from(shared), max_size=3))
        site = draw(st.sampled_from(_SITES))
        docs.append(Document(id=f"d{i}", text="\n".join([*body, *extra]),
                             url=f"{site}story/{i}" if site else None))
    return docs


def _by_id(docs: list[Document], stats: SiteLineStats | None = None) -> dict[str, tuple[object, ...]]:
    return {r.id: (r.text, [(x.rule_id, x.line_no) for x in r.removed], r.rejected, r.flags, r.title)
            for r in clean_documents(docs, CONFIG, stats=stats)}


@given(batches(), st.randoms(use_true_random=False))
@settings(PROPS, max_examples=60)
def test_results_do_not_depend_on_order(docs: list[Document], rnd: object) -> None:
    import random

    assert isinstance(rnd, random.Random)
    shuffled = docs[:]
    rnd.shuffle(shuffled)
    assert _by_id(shuffled) == _by_id(docs)


@given(batches(), st.lists(st.integers(1, 5), min_size=1, max_size=14), st.randoms(use_true_random=False))
@settings(PROPS, max_examples=60)
def test_results_do_not_depend_on_partitioning(docs: list[Document], sizes: list[int], rnd: object) -> None:
    """Statistics merged from partitions (in any order) equal those of the whole, and so do the results."""
    import random

    assert isinstance(rnd, random.Random)
    parts, start = [], 0
    for size in sizes * len(docs):
        if start >= len(docs):
            break
        parts.append(docs[start:start + size])
        start += size
    stats = [site_stats(p, CONFIG) for p in parts]
    rnd.shuffle(stats)
    merged = SiteLineStats()
    for s in stats:
        merged.merge(s)
    whole = site_stats(docs, CONFIG)
    assert (merged.docs, merged.lines, merged.samples) == (whole.docs, whole.lines, whole.samples)
    assert merged.boilerplate(CONFIG) == whole.boilerplate(CONFIG)
    partitioned: dict[str, tuple[object, ...]] = {}
    for p in parts:
        partitioned.update(_by_id(p, merged))
    assert partitioned == _by_id(docs)
