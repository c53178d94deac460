"""ftfy 6.3.1's ``fix_and_explain``, step for step, with the steps that cannot change the text skipped.

Repairing a mojibake article with ftfy (~1.2 ms for 8 kB) is mostly regex scans that find nothing: every pass
of ``fix_and_explain`` runs eight fixers over the whole text (C1 controls, ligatures, surrogates, line
breaks ... each a search or a substitution), and every encoding step scans the encoded bytes for spaces that
were no-break spaces and for lossy sequences. Here the same control flow (copied from ftfy 6.3.1, same
order, same explanation steps) runs each such step only when a cheap test proves it may do something:

- the fixers of one pass, only when the text has one of their characters (:mod:`cleaners.ftfy_checks`
  derives that set from ftfy's own tables and patterns; a fixer that finds none of them returns its input),
  and neither they nor the normalisation again on the very string they left unchanged in the pass before;
- ``possible_encoding`` (a regex over the whole text) is the encoder succeeding, whose bytes are needed next;
- ``restore_byte_a0`` / ``replace_lossy_sequences`` / ``UTF8_DETECTOR_RE``, behind searches that find a
  match exactly where ftfy's patterns do, but skip quickly to the few positions where one can start;
- ``is_bad`` is ``looks_bad`` (exact), which is not run twice in a row on the same string object.

Any other ftfy version runs ftfy's own ``fix_and_explain`` (:func:`fix_and_explain` checks the version).
tests/test_ftfy_fast.py compares with ftfy on generated strings and the dev texts.
"""

from __future__ import annotations

import unicodedata

import ftfy
from ftfy import ExplainedText, ExplanationStep, TextFixerConfig, chardata, fixes

from .badness_scan import looks_bad
from .ftfy_checks import (
    ALTERED_UTF8_SEARCH,
    FIXERS_IN_ORDER,
    UTF8_DETECTOR_SEARCH,
    fixer_chars,
    may_be_lossy,
    replace_lossy_sequences,
    utf8_detector_sub,
)

SUPPORTED_VERSION = "6.3.1"
"""The ftfy release whose control flow is copied below."""

def fix_and_explain(text: str, config: TextFixerConfig) -> ExplainedText:
    """Same as ``ftfy.fix_and_explain(text, config)``."""
    if ftfy.__version__ != SUPPORTED_VERSION:  # pragma: no cover - another ftfy: its own code
        return ftfy.fix_and_explain(text, config)
    if config.unescape_html == "auto" and "<" in text:
        config = config._replace(unescape_html=False)
    steps: list[ExplanationStep] | None = [] if config.explain else None
    any_fixer_char = fixer_chars(config).search
    settled: str | None = None  # a string object the fixers and the normalisation left as it was
    while True:
        origtext = text
        if config.unescape_html and "&" in text:  # every HTML entity starts with '&'
            text = _try_fix("unescape_html", text, steps)
        if config.fix_encoding:
            text, encoding_steps = fix_encoding_and_explain(text, config)
            if steps is not None:
                steps.extend(encoding_steps)
        if text is not settled:
            untouched = any_fixer_char(text) is None
            if not untouched:
                for name in FIXERS_IN_ORDER:
                    if getattr(config, name):
                        text = _try_fix(name, text, steps)
            if config.normalization is not None:
                fixed = unicodedata.normalize(config.normalization, text)
                if steps is not None and fixed != text:
                    steps.append(ExplanationStep("normalize", config.normalization))
                untouched = untouched and fixed is text
                text = fixed
            if untouched:
                settled = text
        if text == origtext:
            return ExplainedText(text, steps)


def _try_fix(name: str, text: str, steps: list[ExplanationStep] | None) -> str:
    fixed: str = ftfy.FIXERS[name](text)
    if steps is not None and fixed != text:
        steps.append(ExplanationStep("apply", name))
    return fixed


def fix_encoding_and_explain(text: str, config: TextFixerConfig) -> tuple[str, list[ExplanationStep]]:
    """Same as ``ftfy.fix_encoding_and_explain(text, config)`` (for ``config.fix_encoding``)."""
    plan_so_far: list[ExplanationStep] = []
    while True:
        prevtext = text
        text, plan = _fix_encoding_one_step_and_explain(text, config)
        plan_so_far.extend(plan)
        if text == prevtext:
            return text, plan_so_far


def fix_encoding(text: str) -> str:
    """Same as ``ftfy.fix_encoding(text)``."""
    return fix_encoding_and_explain(text, TextFixerConfig(explain=False))[0]


def _fix_encoding_one_step_and_explain(text: str, config: TextFixerConfig) -> tuple[str, list[ExplanationStep]]:
    if len(text) == 0:
        return text, []
    # ftfy: possible_encoding(text, "ascii"), a match of ^[\x00-\x7f]*$, is True exactly for ASCII text
    if text.isascii() or not looks_bad(text):
        return text, []
    possible_1byte_encodings = []
    for encoding in chardata.CHARMAP_ENCODINGS:
        # ftfy: if possible_encoding(text, encoding), i.e. every character is one of the encoding's 256 but
        # U+001A; the same characters as the encoder takes (tests/test_ftfy_fast.py checks every code point)
        encoded = _encoded(text, encoding)
        if encoded is not None:
            possible_1byte_encodings.append(encoding)
            encoded_bytes = encoded
            encode_step = ExplanationStep("encode", encoding)
            transcode_steps = []
            try:
                decoding = "utf-8"
                if (
                    config.restore_byte_a0
                    and encoding != "macroman"
                    and ALTERED_UTF8_SEARCH(encoded_bytes) is not None
                ):
                    replaced_bytes = fixes.restore_byte_a0(encoded_bytes)
                    if replaced_bytes != encoded_bytes:
                        transcode_steps.append(ExplanationStep("transcode", "restore_byte_a0"))
                        encoded_bytes = replaced_bytes
                if (
                    config.replace_lossy_sequences
                    and encoding.startswith("sloppy")
                    and may_be_lossy(encoded_bytes)  # else ftfy's substitution finds nothing
                ):
                    replaced_bytes = replace_lossy_sequences(encoded_bytes)
                    if replaced_bytes != encoded_bytes:
                        transcode_steps.append(ExplanationStep("transcode", "replace_lossy_sequences"))
                        encoded_bytes = replaced_bytes
                if 0xED in encoded_bytes or 0xC0 in encoded_bytes:
                    decoding = "utf-8-variants"
                decode_step = ExplanationStep("decode", decoding)
                steps = [encode_step, *transcode_steps, decode_step]
                fixed = encoded_bytes.decode(decoding)
                return fixed, steps
            except UnicodeDecodeError:
                pass

    if config.decode_inconsistent_utf8 and UTF8_DETECTOR_SEARCH(text) is not None:
        steps = [ExplanationStep("apply", "decode_inconsistent_utf8")]
        fixed = decode_inconsistent_utf8(text)
        if fixed != text:
            return fixed, steps

    if "latin-1" in possible_1byte_encodings:
        if "windows-1252" in possible_1byte_encodings:
            return text, []
        try:
            fixed = text.encode("latin-1").decode("windows-1252")
            if fixed != text:
                steps = [ExplanationStep("encode", "latin-1"), ExplanationStep("decode", "windows-1252")]
                return fixed, steps
        except UnicodeDecodeError:
            pass

    if config.fix_c1_controls and chardata.C1_CONTROL_RE.search(text):
        steps = [ExplanationStep("transcode", "fix_c1_controls")]
        fixed = fixes.fix_c1_controls(text)
        return fixed, steps

    return text, []


def _encoded(text: str, encoding: str) -> bytes | None:
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return None


def decode_inconsistent_utf8(text: str) -> str:
    """Same as ``ftfy.fixes.decode_inconsistent_utf8(text)``."""

    def fix_embedded_mojibake(substr: str) -> str:
        if len(substr) < len(text) and looks_bad(substr):
            return fix_encoding(substr)
        return substr

    return utf8_detector_sub(fix_embedded_mojibake, text)
