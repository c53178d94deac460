"""Per-site repeated lines: learned from a run, independent of input order and batching."""

from __future__ import annotations

from contextlib import nullcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import Config, Document, SiteLineStats, clean_documents, site_stats
from cleaners.rules import load_rules
from cleaners.sitewide import line_key, short_lines, site_of

FOOTER = "Join 513 other subscribers"
SYNDICATED = "The central bank kept rates unchanged on Thursday, citing slowing inflation and weak hiring."


TOPICS = ["harbour", "bridge", "library", "stadium", "tramway", "school", "hospital", "airport"]


def article(n: int, site: str, footer: bool = True, shared: bool = False) -> Document:
    topic = TOPICS[n]
    body = [
        f"Council delays the {topic} again",
        f"Reporters found that the {topic} project was late by several months, and that the costs "
        "had doubled since the council first approved the plan in the spring of last year.",
        f"Residents near the {topic} said they had not been consulted about the new timetable at all.",
    ]
    if shared:
        body.append(SYNDICATED)
    if footer:
        body += [FOOTER.replace("513", str(500 + n)), "Designed by Studio Nine"]
    return Document(id=f"{site}-{n}", text="\n".join(body), url=f"https://www.{site}/news/{n}")


DOCS = [article(i, "a.example") for i in range(4)] + [article(i, "b.example", footer=False) for i in range(3)]


def by_id(results: list) -> dict[str, tuple[str, tuple[str, ...]]]:
    return {r.id: (r.text, tuple(x.rule_id for x in r.removed)) for r in results}


def test_repeated_lines_of_a_site_are_removed_and_reported() -> None:
    results = {r.id: r for r in clean_documents(DOCS)}
    for i in range(4):
        r = results[f"a.example-{i}"]
        assert "Designed by Studio Nine" not in r.text
        assert "other subscribers" not in r.text
        assert "site.repeated-line" in r.removed_by_rule()
        assert "project was late" in r.text
    learned = site_stats(DOCS).learned_lines(Config())
    assert "Designed by Studio Nine" in learned["a.example"]
    assert "b.example" not in learned


def test_identical_paragraphs_on_different_sites_stay() -> None:
    docs = [article(i, f"site{i}.example", footer=False, shared=True) for i in range(5)]
    for r in clean_documents(docs):
        assert SYNDICATED in r.text


def test_below_min_docs_nothing_is_learned() -> None:
    stats = site_stats(DOCS[:2])
    assert stats.boilerplate(Config()) == {}


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(len(DOCS)))), st.integers(min_value=1, max_value=len(DOCS)))
def test_result_does_not_depend_on_order_or_batches(order: list[int], cut: int) -> None:
    config = Config()
    expected = by_id(list(clean_documents(DOCS, config)))
    docs = [DOCS[i] for i in order]
    assert by_id(list(clean_documents(docs, config))) == expected
    # two batches whose statistics are merged, in either order, as the flow does
    first, second = docs[:cut], docs[cut:]
    for a, b in ((first, second), (second, first)):
        stats = SiteLineStats().merge(site_stats(a, config)).merge(site_stats(b, config))
        got = by_id([*clean_documents(a, config, stats=stats), *clean_documents(b, config, stats=stats)])
        assert got == expected
        assert stats.learned_lines(config) == site_stats(DOCS, config).learned_lines(config)


def test_counts_without_samples_are_the_counts_with_samples() -> None:
    config = Config()
    texts = [d.text or "" for d in DOCS] + ["a\nb\na\n  a  \nA\n1 b\n2 b\n\n", ""]
    full, bare = SiteLineStats(), SiteLineStats()
    for k, text in enumerate(texts):
        full.add(f"https://site{k % 2}.example/{k}", text, config)
        bare.add(f"https://site{k % 2}.example/{k}", text, config, samples=False)
    assert bare.docs == full.docs and bare.lines == full.lines and not bare.samples
    assert [list(c) for c in bare.lines.values()] == [list(c) for c in full.lines.values()]  # same order too
    assert site_stats(DOCS, config, samples=False).boilerplate(config) == site_stats(DOCS, config).boilerplate(config)


def test_line_key_ignores_case_space_and_numbers() -> None:
    assert line_key("Join 513 other  subscribers") == line_key("join 7 other subscribers")
    assert line_key("Join other subscribers") != line_key("Join 7 other subscribers")


def test_site_of_web_archive_capture_is_the_archived_site() -> None:
    assert site_of("https://web.archive.org/web/20160526181643/http://www.example.com/a") == "example.com"
    assert site_of("https://www.example.org/x") == "example.org"
    assert site_of(None) is None


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("aB1 \t\x0b\x85\u2028é.Σ")), max_size=20), max_size=8))
def test_keys_remembered_by_the_statistics_pass_are_line_keys(lines: list[str]) -> None:
    """The cleaning pass of ``clean_documents`` reuses them for the site rule: they must equal the definition."""
    from cleaners.sitewide import known_keys, remembering_keys

    assert known_keys() is None
    with remembering_keys():
        site_stats([Document(id="x", text="\n".join(lines), url="https://example.org/a")], Config())
        known = known_keys()
        assert known is not None
        for line, key in known.items():
            assert key == line_key(line), repr(line)
    assert known_keys() is None


def test_remembered_keys_change_no_result(monkeypatch: pytest.MonkeyPatch) -> None:
    import cleaners.batch

    docs = [article(n, "example.org") for n in range(6)] + [article(n, "other.net", n % 2 == 0) for n in range(6)]
    fast = list(clean_documents(docs))
    monkeypatch.setattr(cleaners.batch, "remembering_keys", nullcontext)
    slow = list(clean_documents(docs))
    assert any(r.removed for r in fast) and fast == slow


def test_only_lines_the_statistics_count_are_looked_up() -> None:
    """Site statistics count lines of at most ``sitewide_max_words`` words; a longer line is never site
    boilerplate, even if its key were in the set (a hash collision), while a short one is."""
    from cleaners.classify import SITE_RULE_ID, classify_lines

    config = Config()
    short = "Designed by Studio Nine"
    long = " ".join(["word"] * (config.sitewide_max_words + 1))
    cjk = "編集部 " * config.sitewide_max_words  # few words by split, many by word count: still counted
    learned = frozenset({line_key(short), line_key(long), line_key(cjk.strip())})
    verdicts = classify_lines([short, long, cjk], config, site_boilerplate=learned, line_model=False)
    assert [v.rule_id if v else None for v in verdicts] == [SITE_RULE_ID, None, SITE_RULE_ID]


def _short_lines_reference(text: str, max_words: int) -> list[tuple[int, str]]:
    return [(line_key(raw), raw.strip()) for raw in text.splitlines() if 0 < len(raw.split()) <= max_words]


def test_short_lines_memo_gives_the_reference_keys_and_known_keys() -> None:
    from cleaners import sitewide

    texts = [ex for r in load_rules() for ex in r.examples] + ["a\n\n  Join 513 others \nb c d\n" * 3, "\u2028x y"]
    texts.append("\n".join(" ".join(["w"] * n) for n in range(40)))
    for max_words in (30, 12, 3, 1, 0, 3, 30):  # the memo holds lines counted under other limits
        config = Config(sitewide_max_words=max_words)
        for _ in range(2):  # cold, then from the memo
            with sitewide.remembering_keys():
                for text in texts:
                    assert list(short_lines(text, config)) == _short_lines_reference(text, max_words)
                known = sitewide.known_keys()
                assert known is not None and all(line_key(line) == key for line, key in known.items())
    assert sitewide._short_memo


def test_site_key_is_none_exactly_for_lines_statistics_never_count() -> None:
    """classify._site_key: None when the line has more than max_words words (``str.split``), else line_key,
    also where CJK characters make ``LineInfo.words`` larger than the split count."""
    from cleaners.classify import _site_key
    from cleaners.features import line_info

    cjk = "日本語の記事" * 4
    lines = [" ".join(["word"] * n) for n in (5, 12, 13, 40)] + [
        f"{cjk} {cjk} a b", " ".join([cjk] * 13), "é " * 12 + "x", "é " * 13 + "x", "ß\u3000" * 14]
    for max_words in (12, 30):
        for line in lines:
            info = line_info(line.strip())
            want = None if len(info.text.split()) > max_words else line_key(info.text)
            assert _site_key(info, line_key, {}, max_words) == want, (line, max_words)


def _key_reference(line: str) -> int:
    """``line_key`` as first defined: the regex blanks the digits of the casefolded, space-joined words."""
    import hashlib
    import re

    norm = re.sub(r"\d+", "0", " ".join(line.split()).casefold())
    return int.from_bytes(hashlib.blake2b(norm.encode("utf-8"), digest_size=8).digest(), "little")


def test_line_key_blanks_digits_as_the_regex_does_for_every_code_point() -> None:
    """The byte-level digit blanking of ``_key_of_words`` holds where the line has no code point from U+0640
    up: there every decimal digit is ASCII (``\\d`` is ``str.isdecimal``), and each code point in context."""
    import re
    import sys

    from cleaners import sitewide

    digit = re.compile(r"\d")
    decimals = [c for c in range(sys.maxunicode + 1) if chr(c).isdecimal()]
    assert all(bool(digit.match(chr(c))) for c in decimals)
    assert min(c for c in decimals if c >= 128) >= 0x640 and all(
        c < 128 or chr(c).encode("utf-8")[0] in sitewide._HIGH for c in decimals)
    for c in range(sys.maxunicode + 1):
        if 0xD800 <= c < 0xE000:
            continue
        ch = chr(c)
        line = f"a{ch}1{ch}{ch}22 X{ch}"
        assert line_key(line) == _key_reference(line), hex(c)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ0123 9\t\u0660\u0661\u06f5\u0966ßİΣ\u0640\u0663é日")), max_size=30))
def test_line_key_is_the_reference_key(line: str) -> None:
    assert line_key(line) == _key_reference(line)


def test_site_of_remembered_within_remembering_keys() -> None:
    from cleaners import sitewide

    urls = ["https://www.example.com/a", "example.org/b", "http://[::1", "https://web.archive.org/web/1/x.net/y",
            "", "https://www.example.com/a"]
    want = [sitewide._site_of(u) if u else None for u in urls]
    with sitewide.remembering_keys():
        assert [site_of(u) for u in urls] == want
        assert [site_of(u) for u in urls] == want
        assert sitewide._sites.get()
    assert sitewide._sites.get() is None and [site_of(u) for u in urls] == want


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aB1 \t\x1f\x0b\x0c\x1c\r\n\x85\xa0\u2028é.")), max_size=60),
       st.sampled_from([0, 1, 2, 5, 30]))
def test_short_lines_are_the_reference_ones(text: str, max_words: int) -> None:
    """Plain ASCII lines (single spaces between words) take a path without ``split``: same keys and lines."""
    from cleaners import sitewide

    sitewide._short_memo.clear()
    assert list(short_lines(text, Config(sitewide_max_words=max_words))) == _short_lines_reference(text, max_words)


def test_the_ascii_whitespace_inside_a_line_is_space_tab_and_unit_separator() -> None:
    """``_plain_ascii`` looks for these three only: every other ASCII ``isspace`` character breaks lines."""
    inside = [chr(c) for c in range(128) if chr(c).isspace() and len(f"a{chr(c)}b".splitlines()) == 1]
    assert inside == ["\t", "\x1f", " "]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("aB1 \t\x1f\x0b\r\n\x85\xa0\u2028é.")), max_size=40),
                min_size=1, max_size=6),
       st.sampled_from([1, 2, 5, 30]))
def test_keyed_samples_are_add_samples(texts: list[str], max_words: int) -> None:
    """``add_keyed`` counts as ``add(samples=False)`` does; ``keyed_samples`` from its positions and keys gives
    ``add_samples``'s spellings and known keys (every second learned line wanted)."""
    from cleaners import sitewide

    config = Config(sitewide_max_words=max_words)
    url = "https://example.com/a"
    plain, keyed = SiteLineStats(), SiteLineStats()
    found = []
    for text in texts:
        plain.add(url, text, config, samples=False)
        got = keyed.add_keyed(url, text, config)
        assert got is not None
        found.append(got)
    assert keyed.add_keyed(None, texts[0], config) is None
    assert (keyed.docs, keyed.lines) == (plain.docs, plain.lines)
    every = sorted({key for _, keys in found for key in keys})
    learned = {"example.com": frozenset(every[::2])}
    if not learned["example.com"]:
        return
    want, got_samples = SiteLineStats(), SiteLineStats()
    with sitewide.remembering_keys():
        for text in texts:
            sitewide.add_samples(want, url, text, config, learned)
        want_known = sitewide.known_keys()
    with sitewide.remembering_keys():
        for text, (at, keys) in zip(texts, found, strict=True):
            sitewide.keyed_samples(got_samples, "example.com", text.splitlines(), at, keys, learned["example.com"])
        got_known = sitewide.known_keys()
    assert got_samples.samples == want.samples and got_known == want_known
