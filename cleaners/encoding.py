"""Bytes to text, and repair of text that was decoded wrongly somewhere upstream (mojibake).

Decoding order: byte-order mark → HTTP header charset → ``<meta charset>`` → strict UTF-8 → detection.
Detection scores a short list of candidate codecs (the common web legacy encodings plus what
charset-normalizer proposes) by how plausible the decoded text looks, and prefers cp1252 on ties:
charset-normalizer alone is unreliable on short texts (a 30-byte KOI8-R line comes out as Shift_JIS,
French cp1252 as Czech cp1250).

Every function returns the fixes it applied as short strings, so the audit trail can say what changed.
"""

from __future__ import annotations

import codecs
import itertools
import re
import unicodedata

import ftfy
from ftfy.badness import badness

from .badness_scan import looks_bad, speed_up_ftfy
from .config import Config
from .ftfy_fast import fix_and_explain
from .repair_check import NEEDS_FTFY_CHARS as _NEEDS_FTFY_CHARS
from .repair_check import nothing_to_repair
from .repair_memo import recall, remember

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([\w.:-]+)", re.I)

# Candidate codecs for undeclared bytes, with a small prior penalty: the first wins a tie.
_CANDIDATES: tuple[tuple[str, float], ...] = (
    ("cp1252", 0.0),
    ("cp1251", 0.02),
    ("koi8_r", 0.04),
    ("cp932", 0.02),
    ("gb18030", 0.03),
    ("cp949", 0.04),
    ("big5", 0.05),
    ("euc_jp", 0.05),
    ("cp1250", 0.08),
    ("latin-1", 0.3),
)
_DETECTOR_PRIOR = 0.2
"""Prior penalty of a codec proposed by charset-normalizer that is not in the list above."""
_DETECTOR_BONUS = 0.1
"""Taken off the prior of charset-normalizer's first choice when it is a multi-byte (CJK) codec: its
language statistics tell Korean from Chinese and Japanese from Chinese where the plausibility checks
see only well-formed characters. (For single-byte codecs it errs on short texts: cp1250 for French.)"""
_MULTIBYTE = frozenset(
    {"cp932", "shift_jis", "shift_jis_2004", "euc_jp", "gb18030", "gbk", "gb2312", "cp949", "euc_kr", "big5",
     "big5hkscs", "cp950", "iso2022_jp", "euc_jis_2004", "johab"}
)
_BASIC_CYRILLIC = frozenset(chr(c) for c in range(0x410, 0x450)) | frozenset("ёЁіІїЇєЄґҐўЎ")
_SYMBOL_IN_WORD = re.compile(r"[^\W\d_][£¥¤¢§¶©®°±µ¬¦]|[£¥¤¢§¶©®°±µ¬¦][^\W\d_]")
"""A currency or other symbol glued to a letter: "£uvre" is œuvre read in the wrong code page."""
_CP1252_EXTENDED = frozenset("ŒœŠšŽžŸƒ")
"""Latin Extended letters of cp1252 (French œ, Czech/Finnish š ž): as common as Latin-1 letters in the West;
other Latin Extended letters count as a little implausible (cp1252 read as cp1250 gives "naďve")."""
_MAX_HANGUL_WORD = 6
_JAPANESE = frozenset({"kana", "han"})
_WORD = re.compile(r"[^\W\d_]+")
_HAN_GAP = re.compile(r"[\u3400-\u9fff](?: (?=[\u3400-\u9fff])|[.,;:!?](?= |$))")

# Cheap signs that ftfy may have something to do besides mojibake (which `looks_bad` detects): a character
# class (cleaners/repair_check.py) and an entity, searched only when the text has '&'.
_HTML_ENTITY = re.compile(r"&#?\w{1,10};")
speed_up_ftfy()  # ftfy's mojibake test, exact but ~10x faster (cleaners/badness_scan.py)


def _needs_ftfy(text: str) -> bool:
    if _NEEDS_FTFY_CHARS.search(text) is not None:
        return True
    return "&" in text and _HTML_ENTITY.search(text) is not None


def _codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(
    data: bytes, content_type: str | None = None, *, is_html: bool = False
) -> tuple[str, list[str]]:
    """Decode bytes by BOM, then HTTP header charset, then ``<meta charset>``, then UTF-8, then detection.

    >>> decode_bytes("caf\\u00e9".encode("cp1252"))[0]
    'café'
    >>> decode_bytes("Привет, мир!".encode("koi8_r"))
    ('Привет, мир!', ['decoded:koi8-r:detected'])
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), [f"decoded:{name}:bom"]
    declared: list[tuple[str, str]] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        declared.append((m.group(1), "header"))
    if is_html and (meta := _META_CHARSET.search(data[:4096])):
        declared.append((meta.group(1).decode("ascii", "replace"), "meta"))
    utf8 = _strict_utf8(data)
    for name, origin in declared:
        codec = _codec(name)
        if codec is None:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"  # what browsers do (WHATWG encoding standard)
        if utf8 is not None and codec != "utf-8" and not utf8.isascii():
            # Multi-byte UTF-8 sequences do not happen by chance in legacy encodings: the page is
            # UTF-8 and its declaration is a leftover (a common server misconfiguration).
            return utf8, [f"decoded:utf-8:{origin}-said-{codec}"]
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue  # the declaration is wrong; keep looking
        return text, ([] if codec == "utf-8" else [f"decoded:{codec}:{origin}"])
    if utf8 is not None:
        return utf8, []
    return detect(data)


def _strict_utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def implausibility(text: str) -> float:
    """How unlike real text a decoding looks, per non-ASCII character (0 = nothing suspicious).

    Counts what a wrong codec produces: control and unassigned characters, half-width katakana and
    box drawing (Cyrillic read as Shift_JIS, cp1251 as KOI8-R), ftfy's mojibake sequences, words
    that mix scripts, and a case pattern upside down (KOI8-R read as cp1251 gives ``пРИВЕТ``).

    >>> implausibility("Привет, мир!") < implausibility("Привет, мир!".encode("koi8_r").decode("cp1251"))
    True
    """
    non_ascii = [c for c in text if ord(c) > 127]
    if not non_ascii:
        return 0.0
    penalty = 2.0 * badness(text) + len(_SYMBOL_IN_WORD.findall(text))
    for ch in non_ascii:
        o = ord(ch)
        cat = unicodedata.category(ch)
        if cat in ("Cc", "Cn", "Co", "Cs"):
            penalty += 4
        elif 0xFF61 <= o <= 0xFF9F or 0x2500 <= o <= 0x25FF:
            penalty += 3
        elif cat in ("So", "Sk", "Sm") and o < 0x3000:
            penalty += 1
    upper = lower = 0
    hangul = False
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        scripts = {_script(c) for c in word}
        if len(scripts - _JAPANESE) + bool(scripts & _JAPANESE) > 1:  # kana with han is Japanese, not mixing
            penalty += 2
        elif "latin" in scripts:
            accented = sum(1 for c in word if ord(c) > 127)
            penalty += sum(0.5 for c in word if ord(c) >= 0x100 and c not in _CP1252_EXTENDED)
            if accented >= 2 and 2 * accented > len(word):  # cp1251 read as cp1252: "Ïðèâåò"
                penalty += accented
        elif "cyrillic" in scripts:
            penalty += sum(0.5 for c in word if c not in _BASIC_CYRILLIC)
        elif scripts == {"hangul"}:
            hangul = True
            if len(word) > _MAX_HANGUL_WORD:  # Korean puts spaces between words
                penalty += len(word) - _MAX_HANGUL_WORD
        for a, b in itertools.pairwise(word):
            if a.islower() and b.isupper():
                penalty += 1
        upper += sum(1 for c in word if c.isupper() and ord(c) > 127)
        lower += sum(1 for c in word if c.islower() and ord(c) > 127)
    if upper + lower >= 4 and upper > lower:
        penalty += upper - lower
    if hangul:  # Korean ends sentences with ".", Chinese and Japanese with "。": GB bytes read as EUC-KR
        penalty += text.count("。") + text.count("、")
    # Chinese and Japanese put no spaces between words and end sentences with "。": short Han "words"
    # between spaces, or a Han character before an ASCII full stop, are Cyrillic or Latin read as GB/Big5.
    penalty += len(_HAN_GAP.findall(text))
    return penalty / len(non_ascii)


def _script(ch: str) -> str:
    """A coarse script name: enough to notice a word that mixes Latin with Cyrillic or Han."""
    o = ord(ch)
    if o < 0x250:
        return "latin"
    if 0x370 <= o < 0x400:
        return "greek"
    if 0x400 <= o < 0x530:
        return "cyrillic"
    if 0x3040 <= o < 0x3100 or 0xFF61 <= o <= 0xFF9F:
        return "kana"
    if 0xAC00 <= o < 0xD7B0 or 0x1100 <= o < 0x1200 or 0x3130 <= o < 0x3190:
        return "hangul"
    if 0x3400 <= o < 0xA000 or 0xF900 <= o < 0xFB00 or o >= 0x20000:
        return "han"
    return unicodedata.name(ch, "other").split(" ")[0].lower()


def detect(data: bytes) -> tuple[str, list[str]]:
    """Decode bytes of unknown charset: the most plausible of the candidate decodings."""
    from charset_normalizer import from_bytes

    candidates = {_codec(name) or name: prior for name, prior in _CANDIDATES}
    for rank, match in enumerate(list(from_bytes(data[:200_000]))[:3]):
        codec = _codec(match.encoding)
        if codec is not None:
            prior = candidates.get(codec, _DETECTOR_PRIOR)
            candidates[codec] = prior - _DETECTOR_BONUS if rank == 0 and codec in _MULTIBYTE else prior
    sample = data[:20_000]
    best: tuple[float, str] | None = None
    seen: set[str] = set()
    for codec, prior in candidates.items():
        try:
            text = sample.decode(codec)
        except UnicodeDecodeError:
            try:  # the sample may cut a multi-byte character in two
                text = sample[:-4].decode(codec) if len(sample) < len(data) else ""
            except UnicodeDecodeError:
                continue
            if not text:
                continue
        if text in seen:  # the same text as a codec earlier in the list: keep the earlier name
            continue
        seen.add(text)
        score = implausibility(text) + prior + _missing_script(codec, text)
        if best is None or score < best[0]:
            best = (score, codec)
    if best is not None:
        try:
            return data.decode(best[1]), [f"decoded:{best[1]}:detected"]
        except UnicodeDecodeError:
            pass
    return data.decode("utf-8", errors="replace"), ["decoded:utf-8:replaced-invalid-bytes"]


_KOREAN_CODECS = frozenset({"cp949", "euc_kr", "johab"})
_NO_HANGUL = 0.5
"""Added when a Korean decoding has Han characters but no Hangul: modern Korean is written in Hangul, so that
is Chinese read with a Korean codec (more than charset-normalizer's bonus, which on a few bytes of Chinese can
favour cp949). Not so for Japanese: a headline can be all kanji."""


def _missing_script(codec: str, text: str) -> float:
    if codec not in _KOREAN_CODECS:
        return 0.0
    scripts = {_script(c) for c in text if ord(c) > 127}
    return _NO_HANGUL if "han" in scripts and "hangul" not in scripts else 0.0


def _fixer_config(config: Config) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(
        uncurl_quotes=config.uncurl_quotes,
        fix_character_width=False,  # would turn CJK full-width punctuation into ASCII
        explain=True,
    )


def needs_repair(text: str, config: Config) -> bool:
    """A fast test that is False for almost all clean text, so ftfy (~3 MB/s) runs only where needed."""
    if config.uncurl_quotes and any(q in text for q in "‘’“”"):
        return True
    if text.isascii():
        return _needs_ftfy(text)
    if nothing_to_repair(text):  # one RE2 search: no such character, NFC, no mojibake
        return "&" in text and _HTML_ENTITY.search(text) is not None
    return looks_bad(text) or _needs_ftfy(text) or not unicodedata.is_normalized("NFC", text)


def repair_text(text: str, config: Config) -> tuple[str, list[str]]:
    """Repair mojibake, HTML entities, control characters; return the text and the fixes applied.

    >>> repair_text("don\\u00e2\\u20ac\\u2122t", Config())
    ('don’t', ['encode:sloppy-windows-1252', 'decode:utf-8'])
    """
    if not config.fix_encoding:
        return text, []
    if (remembered := recall(text, config.uncurl_quotes)) is not None:
        return remembered  # within clean_documents, which reads each text twice
    if not needs_repair(text, config):
        return remember(text, config.uncurl_quotes, (text, []))
    explained = fix_and_explain(text, _fixer_config(config))  # ftfy's, with no-op steps skipped
    steps = [f"{step.action}:{step.parameter}" for step in (explained.explanation or [])]
    return remember(text, config.uncurl_quotes, (explained.text, steps))
