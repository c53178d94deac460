"""``cleaners.ftfy_fast.fix_and_explain`` gives ftfy's own answer (text and explanation) for every input, and
each test it uses to skip a step is exact: :mod:`cleaners.ftfy_checks` against ftfy's patterns and fixers."""

from __future__ import annotations

import ftfy
import ftfy.bad_codecs  # registers the sloppy codecs
import pytest
from ftfy import TextFixerConfig, chardata, fixes
from hypothesis import given, settings
from hypothesis import strategies as st
from test_fast_path import _mojibake, dev_documents

from cleaners import ftfy_checks, ftfy_fast
from cleaners.config import Config
from cleaners.encoding import _fixer_config

CONFIGS = [_fixer_config(Config()), _fixer_config(Config(uncurl_quotes=True)), TextFixerConfig(),
           TextFixerConfig(explain=False, unescape_html=True, normalization="NFKC"),
           TextFixerConfig(fix_encoding=False, fix_c1_controls=False, remove_control_chars=False)]

# What the steps look for, and what they find nearby: mojibake material in several code pages, spaces that
# were no-break spaces, '?' and U+001A after lead bytes, C1 controls, entities, fixers' characters.
_PIECES = ["Ã", "Â", "â€", "™", "œ", "Ã ", "Â ", "Ã©", "â€™", "â€œ", "Ð", "Ñ", "Ø", "Ù", "ÃƒÂ", "Ãƒ", "Ã?", "â€?",
           "\x1a", "?", "\ufffd", "\x80", "\x81", "\x85", "\x9d", "\xa0", "Ð²Ð", "Ñ\x81", "Îµ", "Ï\x84", "Ä\x8d",
           "&amp;", "&eacute;", "&#x2019;", "&EACUTE;", "<", "\r\n", "\r", "\u2028", "\x1b[31m", "\x00", "\ufeff",
           "\ufb01", "\u2018", "\u201c", "ｆｕｌｌ", "\ud83d\ude00", "\udc00", "e\u0301", "\u0308", "ã\x83\x84",
           "á", "é", "—", "’", "日本", "Привет", "Ελλάδα", " ", "a", "Z", "\n", ".", "·", "×²", "Ã\xa0", "ĳ"]


def _garbled(text: str) -> list[str]:
    out = [text]
    for encoding in ("utf-8",):
        data = text.encode(encoding, "surrogatepass")
        for wrong in ("sloppy-windows-1252", "sloppy-windows-1251", "latin-1", "macroman", "sloppy-windows-1253",
                      "iso-8859-2", "cp437"):
            garbled = data.decode(wrong, "replace")
            out += [garbled, garbled + " " + text, text + garbled]
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=24), st.text(max_size=12))
def test_same_as_ftfy_on_generated_text(pieces: list[str], other: str) -> None:
    for text in [*_garbled("".join(pieces)), other, "".join(pieces) + other]:
        for config in CONFIGS:
            assert ftfy_fast.fix_and_explain(text, config) == ftfy.fix_and_explain(text, config), (repr(text), config)


def test_same_as_ftfy_on_dev_texts() -> None:
    texts = [d.text or "" for d in dev_documents()[::7]]
    texts += [_mojibake(t) for t in texts[:40]] + [_mojibake(_mojibake(t)) for t in texts[40:50]]
    texts += [t[: len(t) // 2] + _mojibake(t[len(t) // 2 :]) for t in texts[50:70]]  # mixed: inconsistent UTF-8
    config = CONFIGS[0]
    fast = [ftfy_fast.fix_and_explain(t, config) for t in texts]
    assert fast == [ftfy.fix_and_explain(t, config) for t in texts]
    assert sum(1 for f in fast if "decode_inconsistent_utf8" in str(f.explanation)) >= 5
    assert ftfy_fast.fix_encoding(texts[0]) == ftfy.fix_encoding(texts[0])


def _all_but(excluded: set[str]) -> str:
    return "".join(chr(c) for c in range(0x110000) if chr(c) not in excluded)


@pytest.mark.parametrize("name", sorted(ftfy_checks.FIXER_TRIGGERS))
def test_fixers_change_nothing_without_their_characters(name: str) -> None:
    triggers = ftfy_checks.FIXER_TRIGGERS[name]
    assert triggers
    text = _all_but(triggers)
    assert ftfy.FIXERS[name](text) == text
    changed = [ch for ch in triggers if any(ftfy.FIXERS[name](t) != t for t in (ch, "x" + ch + "[1m", ch + "\udc00"))]
    assert len(changed) >= len(triggers) * 0.8, name  # the set is not much larger than needed


_BYTES = [bytes([b]) for b in (0x1A, 0x3F, 0x20, 0x41, 0x80, 0x85, 0x9F, 0xA0, 0xA5, 0xAF, 0xB0, 0xBF, 0xC0, 0xC2,
                               0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xDF, 0xE0, 0xE2, 0xE3, 0xED, 0xEF, 0xF0, 0xF4, 0xFF)]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(_BYTES), max_size=14), st.binary(max_size=6))
def test_byte_searches_find_what_ftfy_finds(pieces: list[bytes], other: bytes) -> None:
    for data in (b"".join(pieces), other + b"".join(pieces), b"".join(pieces) + other):
        assert ftfy_checks.may_be_lossy(data) or chardata.LOSSY_UTF8_RE.search(data) is None, data
        assert ftfy_checks.may_be_lossy(data) == (b"\x1a" in data or any(
            data[i] >= 0x80 and data[i + 1] == 0x3F for i in range(len(data) - 1))), data
        fast, slow = ftfy_checks.ALTERED_UTF8_SEARCH(data), chardata.ALTERED_UTF8_RE.search(data)
        assert (fast and fast.start()) == (slow and slow.start()), data


def test_lossy_sequences_need_what_may_be_lossy_looks_for() -> None:
    """Every branch of LOSSY_UTF8_RE needs U+001A, or '?' after a byte from [\\x1a\\x80-\\xff]: exhaustive over
    the two bytes before a '?' and after lead bytes."""
    for a in range(256):
        for b in range(256):
            for data in (bytes([a, b]) + b"?", bytes([a]) + b"?" + bytes([b]), b"?" + bytes([a, b]),
                         bytes([a, b, 0x80, 0x80])):
                if chardata.LOSSY_UTF8_RE.search(data):
                    assert ftfy_checks.may_be_lossy(data), data


_TEXT_PIECES = [*_PIECES, "Ã¡", "Ã¼", "Ð¿", "Ñ€", "â€”", "Ã©t", "ðŸ˜€", "Ã‰", "Ã¢â‚¬â„¢", "Ã\xa0", "Ä±"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TEXT_PIECES), max_size=20))
def test_utf8_detector_search_and_sub(pieces: list[str]) -> None:
    text = "".join(pieces)
    for pos in range(0, len(text) + 1, 3):
        fast, slow = ftfy_checks.UTF8_DETECTOR_SEARCH(text, pos), chardata.UTF8_DETECTOR_RE.search(text, pos)
        assert (fast and fast.start()) == (slow and slow.start()), (text, pos)
    assert ftfy_checks.utf8_detector_sub(lambda s: f"<{s}>", text) == chardata.UTF8_DETECTOR_RE.sub(
        lambda m: f"<{m.group(0)}>", text)
    assert ftfy_fast.decode_inconsistent_utf8(text) == fixes.decode_inconsistent_utf8(text)


def test_first_chars_of_patterns() -> None:
    import re

    assert ftfy_checks.first_chars(re.compile("(?<!x)(ab|[cd]e)+")) == {ord(c) for c in "acd"}
    assert ftfy_checks.first_chars(re.compile("a?b")) is None
    assert ftfy_checks.first_chars(re.compile("(?i)a")) is None
    assert ftfy_checks.first_chars(chardata.ALTERED_UTF8_RE) == {0xC2, 0xC3, 0xC5, 0xCE, 0xD0, 0xD9, 0xE0, 0xE1,
                                                                  0xE2, 0xE3, 0xF0}


_EXAMPLES = ["voilÃ le travail", "Ã¢â‚¬Å“mismatched quotesâ€¦â€\x9d", "doesnÃƒÂ¢Ã¢â€šÂ¬Ã¢â€žÂ¢t", "Ã¯Â»Â¿",
             "â€œlike this â€?", "\x80 hello Привет", "Hello\x81\x80world", "l\x92humanité", "eÌ\x81",
             "ÐŸÑ€Ð¸Ð²ÐµÑ‚ and æ—¥æœ¬ and Ã© 日", "\udce2 ok", "í\xa0½í¸\x80", "a\r\nb\u2028c\x1b[1md&amp;ﬁ"]


def test_examples_of_every_step() -> None:
    steps = set()
    for text in _EXAMPLES:
        for config in CONFIGS:
            fast = ftfy_fast.fix_and_explain(text, config)
            assert fast == ftfy.fix_and_explain(text, config), (text, config)
            steps.update(fast.explanation or [])
    assert {step[1] for step in steps} >= {"restore_byte_a0", "replace_lossy_sequences", "decode_inconsistent_utf8",
                                           "fix_c1_controls", "windows-1252", "utf-8-variants", "NFC", "uncurl_quotes",
                                           "fix_surrogates", "remove_control_chars", "fix_line_breaks",
                                           "remove_terminal_escapes", "unescape_html", "fix_latin_ligatures"}


def test_table_fixers_translate_every_key() -> None:
    for name, table in (("fix_latin_ligatures", chardata.LIGATURES), ("remove_control_chars", chardata.CONTROL_CHARS)):
        fast = ftfy.FIXERS[name]
        text = "".join(f"é{chr(k)}x{chr(k)}{chr(k)}" for k in table) + "日本\n"
        assert fast(text) == fast.__wrapped__(text) != text, name  # type: ignore[attr-defined]


@pytest.mark.parametrize("encoding", chardata.CHARMAP_ENCODINGS)
def test_encoder_takes_what_possible_encoding_allows(encoding: str) -> None:
    """Both are "every character is in a set": compare the sets, over every code point (in order: an encoder
    taking one character more, or one less, or mapping one elsewhere, would give other bytes)."""
    import re

    every = "".join(map(chr, range(0x110000)))
    class_ = chardata.ENCODING_REGEXES[encoding].pattern
    assert class_.startswith("^[") and class_.endswith("]*$")
    allowed = "".join(re.findall(class_[1:-2], every))
    assert 250 <= len(allowed) <= 256
    assert every.encode(encoding, "ignore").decode(encoding) == allowed
    assert chardata.possible_encoding(allowed + "\n", encoding) and ftfy_fast._encoded(allowed + "\n", encoding)
    for outside in ("\x1a" if encoding.startswith("sloppy") else "\ufffd", "\u5000"):
        assert not chardata.possible_encoding(outside, encoding) and ftfy_fast._encoded(outside, encoding) is None


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from([*_BYTES, b"\xed\xa0", b"\xed\xb0", b"\x1a\x1a", b"??"]), max_size=16))
def test_lossy_substitution(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    assert ftfy_checks.replace_lossy_sequences(data) == fixes.replace_lossy_sequences(data), data


def test_every_fixer_has_its_characters() -> None:
    assert set(ftfy_checks.FIXER_TRIGGERS) == set(ftfy_checks.FIXERS_IN_ORDER)
    assert ftfy.__version__ == ftfy_fast.SUPPORTED_VERSION  # else ftfy's own code runs (and this file is moot)
