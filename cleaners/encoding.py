"""Bytes to text, and repair of text that was decoded wrongly somewhere upstream (mojibake).

Every function returns the fixes it applied as short strings, so the audit trail can say what changed.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy

from .badness_scan import looks_bad, speed_up_ftfy
from .config import Config
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

# Cheap signs that ftfy may have something to do besides mojibake (which `is_bad` detects).
# Split in two (a single character class is searched far faster than an alternation); same answers.
_NEEDS_FTFY_CHARS = re.compile(
    r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r\x1b\u2028\u2029\ufb00-\ufb06\ud800-\udfff]"
)
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


def decode_bytes(data: bytes, content_type: str | None = None, *, is_html: bool = False) -> tuple[str, list[str]]:
    """Decode bytes by BOM, then HTTP header charset, then ``<meta charset>``, then UTF-8, then detection.

    >>> decode_bytes("caf\\u00e9".encode("cp1252"))[0]
    'café'
    """
    for bom, name in _BOMS:
        if data.startswith(bom):
            return data.decode(name, errors="replace"), [f"decoded:{name}:bom"]
    declared: list[tuple[str, str]] = []
    if content_type and (m := _HEADER_CHARSET.search(content_type)):
        declared.append((m.group(1), "header"))
    if is_html and (m := _META_CHARSET.search(data[:4096])):
        declared.append((m.group(1).decode("ascii", "replace"), "meta"))
    for name, origin in declared:
        codec = _codec(name)
        if codec is None:
            continue
        if codec in ("latin-1", "iso8859-1", "ascii"):
            codec = "cp1252"  # what browsers do (WHATWG encoding standard)
        try:
            return data.decode(codec), [f"decoded:{codec}:{origin}"]
        except UnicodeDecodeError:
            continue  # the declaration is wrong; keep looking
    try:
        return data.decode("utf-8"), []
    except UnicodeDecodeError:
        pass
    return _detect(data)


def _detect(data: bytes) -> tuple[str, list[str]]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None and best.encoding:
        return str(best), [f"decoded:{best.encoding}:detected"]
    return data.decode("utf-8", errors="replace"), ["decoded:utf-8:replaced-invalid-bytes"]


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
    return _needs_ftfy(text) or not unicodedata.is_normalized("NFC", text) or looks_bad(text)


def repair_text(text: str, config: Config) -> tuple[str, list[str]]:
    """Repair mojibake, HTML entities, control characters; return the text and the fixes applied.

    >>> repair_text("don\\u00e2\\u20ac\\u2122t", Config())
    ('don’t', ['encoding:sloppy-windows-1252', 'decode:utf-8'])
    """
    if not config.fix_encoding or not needs_repair(text, config):
        return text, []
    if (remembered := recall(text, config.uncurl_quotes)) is not None:
        return remembered  # within clean_documents, which reads each text twice
    explained = ftfy.fix_and_explain(text, config=_fixer_config(config))
    steps = [f"{step.action}:{step.parameter}" for step in (explained.explanation or [])]
    return remember(text, config.uncurl_quotes, (explained.text, steps))
