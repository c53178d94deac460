"""Decoding bytes in any charset and repairing mojibake: fixed cases and generated ones (hypothesis)."""

from __future__ import annotations

import codecs

import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252, the codec real mojibake comes from)
import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from cleaners import Config, clean_html
from cleaners.encoding import decode_bytes, implausibility, needs_repair, repair_text


def words(text: str) -> list[str]:
    return text.split()


WORDS = {
    "latin": words("café naïve résumé Straße über Ångström façade déjà piñata niño año jalapeño crème brûlée "
             "garçon œuvre Zürich Müller señor rôle élève forêt Øresund smörgåsbord"),
    "english": words("the council met on Tuesday to debate a budget for public libraries and schools"),
    "russian": words("городской совет обсудил новый бюджет для библиотек школ и больниц в Москве "
                     "вчера вечером мэр заявил что деньги будут"),
    "japanese": words("東京 の 市議会 は 図書館 の 予算 に ついて 議論 しました 今日 は 晴れ です "
                      "新しい 学校"),
    "chinese": words("北京 市 议会 讨论 了 图书馆 的 新 预算 今天 天气 很好 学校 医院 人民 政府 经济 发展"),
}
CODECS = {"latin": ("cp1252", "latin-1"), "russian": ("koi8_r", "cp1251"), "japanese": ("shift_jis",),
          "chinese": ("gb18030",)}


def sentence(lang: str) -> st.SearchStrategy[str]:
    # at least three distinct words: 'И и и и.' (one letter repeated) is as plausible in cp1252 ('È è è è.')
    # as in cp1251, and no decoder can tell them apart
    words = st.lists(st.sampled_from(WORDS[lang]), min_size=4, max_size=14).filter(lambda ws: len(set(ws)) >= 3)
    joiner = "" if lang in ("japanese", "chinese") else " "
    end = "。" if joiner == "" else "."
    if lang == "latin":  # Western text is mostly ASCII words with accented ones among them
        words = st.lists(st.sampled_from(WORDS["latin"] + WORDS["english"]), min_size=4, max_size=14).filter(
            lambda ws: any(not w.isascii() for w in ws) and len(set(ws)) >= 3)
    return words.map(lambda ws: (joiner.join(ws) + end).capitalize())


@pytest.mark.parametrize(
    ("text", "codec"),
    [
        ("Le café est très bon.", "cp1252"),
        ("Café society: the naïve façade of “modern” élite life — résumé.", "cp1252"),
        ("Ça coûte 5 € – déjà vu.", "cp1252"),
        ("Über die Straße gehen wir schön langsam.", "latin-1"),
        ("Привет, мир! Это короткий текст.", "koi8_r"),
        ("Москва - столица России.", "koi8_r"),
        ("Привет, мир! Это короткий текст.", "cp1251"),
        ("これは日本語のテキストです。東京は晴れです。", "shift_jis"),
        ("这是一个中文文本。北京今天天气很好。", "gb18030"),
        ("안녕하세요. 오늘 서울 날씨가 좋습니다.", "euc_kr"),
        ("這是一個中文文本。台北今天天氣很好。", "big5"),
    ],
)
def test_undeclared_bytes_are_detected(text: str, codec: str) -> None:
    decoded, fixes = decode_bytes(text.encode(codec))
    assert decoded == text
    assert fixes and fixes[0].endswith(":detected")


def test_bom_wins_over_declarations() -> None:
    data = codecs.BOM_UTF8 + "Grüße aus Köln".encode()
    decoded = decode_bytes(data, "text/html; charset=koi8-r", is_html=True)
    assert decoded == ("Grüße aus Köln", ["decoded:utf-8-sig:bom"])
    utf16 = "Привет".encode("utf-16")
    assert decode_bytes(utf16)[0] == "Привет"


def test_header_then_meta_then_utf8() -> None:
    html = '<meta charset="koi8-r"><p>Новости</p>'.encode("koi8_r")
    expected = ('<meta charset="koi8-r"><p>Новости</p>', ["decoded:koi8-r:meta"])
    assert decode_bytes(html, is_html=True) == expected
    sjis = "東京のニュース".encode("shift_jis")
    assert decode_bytes(sjis, "text/html; charset=Shift_JIS")[0] == "東京のニュース"
    latin = "Señor".encode("cp1252")  # latin-1 declared means cp1252, as in browsers
    assert decode_bytes(latin, "text/plain; charset=ISO-8859-1") == ("Señor", ["decoded:cp1252:header"])
    wrong = "naïve ✓".encode()  # a wrong declaration that cannot decode is skipped
    assert decode_bytes(wrong, "text/html; charset=us-ascii")[0] == "naïve ✓"
    assert decode_bytes("plain ünïcode".encode()) == ("plain ünïcode", [])


@pytest.mark.parametrize(
    ("broken", "fixed"),
    [
        ("donâ€™t", "don’t"),
        ("cafÃ©", "café"),
        ("cafÃƒÂ©", "café"),  # UTF-8 read as cp1252, twice
        ("Ð¿Ñ€Ð¸Ð²ÐµÑ‚", "привет"),
        ("æ±äº¬".encode("cp1252", "ignore").decode("cp1252"), "æ±äº¬"),  # not mojibake: left alone
    ],
)
def test_classic_mojibake(broken: str, fixed: str) -> None:
    assert repair_text(broken, Config())[0] == fixed


def test_html_result_lists_the_fixes() -> None:
    body = "".join(f"<p>Городской совет обсудил бюджет библиотек и школ, абзац {i}.</p>" for i in range(8))
    html = f'<html><head><meta charset="koi8-r"><title>Новости</title></head><body><article>{body}</article>'
    result = clean_html(html.encode("koi8_r"), config=Config(min_words=5))
    assert result.ok, result.rejected
    assert "Городской совет" in result.text
    assert result.encoding_fixes[0] == "decoded:koi8-r:meta"


def test_wrong_decodings_look_implausible() -> None:
    for text, right, wrong in [
        ("Привет, мир! Это текст.", "koi8_r", "cp1251"),
        ("Привет, мир! Это текст.", "cp1251", "koi8_r"),
        ("Привет, мир! Это текст.", "cp1251", "cp1252"),
        ("これは日本語です。", "shift_jis", "cp1252"),
    ]:
        data = text.encode(right)
        assert implausibility(text) < implausibility(data.decode(wrong, errors="replace"))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(CODECS)).flatmap(
    lambda lang: st.tuples(sentence(lang), st.sampled_from(CODECS[lang]))))
@example(("Москве москве школ школ.", "koi8_r"))  # once read as GB18030: spaced Han "words"
@example(("学校学校学校学校。", "gb18030"))  # once read as cp949: Hanja without Hangul
def test_generated_undeclared_bytes_round_trip(case: tuple[str, str]) -> None:
    text, codec = case
    assume(codec != "latin-1" or "œ" not in text.lower())
    assert decode_bytes(text.encode(codec))[0] == text


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(WORDS)).flatmap(sentence), st.sampled_from(["sloppy-windows-1252", "latin-1"]),
       st.integers(min_value=1, max_value=2))
def test_generated_mojibake_is_restored_exactly(text: str, wrong: str, times: int) -> None:
    broken = text
    for _ in range(times):
        broken = broken.encode("utf-8").decode(wrong)
    if times == 2 and wrong == "latin-1":
        broken = text.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8").decode("latin-1")
    repaired, fixes = repair_text(broken, Config())
    assert repaired == text
    assert bool(fixes) == (broken != text)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(WORDS)).flatmap(sentence))
def test_clean_text_is_left_alone(text: str) -> None:
    assert repair_text(text, Config()) == (text, [])
    assert not needs_repair(text, Config())


def test_cjk_punctuation_and_fullwidth_survive() -> None:
    text = "東京（とうきょう）は、日本の首都です！　ＡＢＣ１２３「引用」"
    assert repair_text(text, Config())[0] == text
