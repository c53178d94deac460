"""Cheap per-line features with document context, the input of the learned line classifier.

One pass over the lines computes the line's own traits (length, punctuation, capitalisation, links,
boilerplate vocabulary); a second pass adds context (position, head/tail zone, neighbours, runs of
short lines). Every regex is compiled once; each line meets a handful of combined alternations.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_SENTENCE_END = re.compile(r"[.!?…。！？;:]['\"”’»)\]]*\s*$|[.!?…。！？]\s*[\"”’»)\]]\s*$")
"""The definition of a sentence end; :func:`ends_sentence` is its fast equivalent."""
_END_PUNCT = ".!?…。！？;:"
_END_PUNCT_SPACED = ".!?…。！？"
_CLOSERS = "'\"”’»)]"
_CLOSERS_SPACED = "\"”’»)]"


def ends_sentence(line: str) -> bool:
    """``_SENTENCE_END.search(line) is not None``, with string methods instead of a regex scan."""
    t = line.rstrip()
    u = t.rstrip(_CLOSERS)
    if u and u[-1] in _END_PUNCT:
        return True
    if t and t[-1] in _CLOSERS_SPACED:
        v = t[:-1].rstrip()
        return bool(v) and v[-1] in _END_PUNCT_SPACED
    return False

_URL = re.compile(r"https?://|www\.\w|\b\w[\w-]*\.(com|org|net|de|fr|co\.uk|ru|it|es|nl|io)\b", re.I)
_EMAIL_HANDLE = re.compile(r"\S@\w|(?:^|\s)@\w{2,}|(?:^|\s)#\w{2,}")
_SEPARATORS = re.compile(r"\s[|»›•·/>]\s|\s[|•·]|^[|•·»›>-]\s")
_DATE_TIME = re.compile(
    r"\b\d{1,2}[:.h]\d{2}\b|\b\d{1,4}[./-]\d{1,2}[./-]\d{2,4}\b|\b(19|20)\d{2}\b.{0,12}\b\d{1,2}\b|"
    r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? \d{1,2}\b|\b\d{1,2}\.? "
    r"(jan|feb|mär|mar|apr|mai|may|jun|jul|aug|sep|okt|oct|nov|dez|dec)[a-zä]*\b|"
    r"\b\d+ (min|minute|hour|day|week|month|year)s? ago\b|\bvor \d+ (min|stunden?|tagen)\b|"
    r"\d+年\d+月|\d+月\d+日",
    re.I,
)
_COUNTER = re.compile(r"^\(?\d[\d,.kKmM]*\)?\s*\w{0,12}$|\b\d+\s*(comments?|shares?|views?|likes?|replies|"
                      r"kommentare?|commentaires?|comentarios?|commenti|reacties|комментари\w*)\b", re.I)
_CREDIT = re.compile(
    r"\((photo|image|foto|bild|picture|video|credit|source)s?\b[^)]{0,80}\)|"
    r"^(photo|image|foto|bild|picture|crédit|credit|source|quelle|fuente|fonte|bron|источник)s?\s*:|"
    r"getty images|\bap photo\b|\breuters\b.{0,3}$|shutterstock|istock|afp\b|\bdpa\b|"
    r"/ ?(ap|afp|epa|reuters)\b|"
    r"\bphoto(graph)?s? (by|courtesy)\b|\bfoto: |\bimage (via|courtesy)\b|^\(\w+ ?/ ?\w+\)$|^\d+ ?of ?\d+\b",
    re.I,
)
_BYLINE = re.compile(
    r"^(by|von|par|por|di|door|de|автор|text:|texte?:|written by|posted by|reported by|words:)\s+"
    r"[A-ZÀ-ÖØ-ÞА-Я][\w.'’-]+", re.I)
_QUOTE = re.compile(r"[“”„«»\"]")
_COMMENT_MARK = re.compile(
    r"^(\d+\s+)?(comments?|responses?|replies|kommentare?|commentaires?|comentarios?|commenti|comentários|"
    r"reacties|reacties|комментари\w*|评论|コメント|discussion)\s*(\(\d+\))?:?$|"
    r"^(leave a (reply|comment)|add a comment|post a comment|join the (conversation|discussion)|"
    r"kommentar (verfassen|schreiben|hinterlassen)|laisser un commentaire|laisser une réponse|"
    r"deja (un comentario|una respuesta)|lascia un commento|deixe (um comentário|uma resposta)|"
    r"show comments|view comments|load comments|comments are closed|\d+ thoughts? on)\b|"
    r"^\S+( \S+){0,3} (says|sagt|dit|dice|disse|schreef|говорит):? .{0,40}\d",
    re.I,
)

# Boilerplate vocabulary in groups, several languages each. A hit is a hint, not a decision: the model
# weighs it against length, punctuation and position. Entries are lower-case words or phrases of up to
# three words; a trailing '*' makes a word a prefix. CJK entries match as substrings.
_KW_GROUPS: dict[str, str] = {
    "social": "share|shares|shared|tweet|retweet|facebook|twitter|instagram|whatsapp|pinterest|linkedin|"
              "telegram|youtube|follow us|teilen|partager|compartir|condividi|compartilh*|delen|"
              "поделиться|分享|シェア|ツイート|gefällt mir|like this|j'aime|teile*",
    "subscribe": "subscrib*|subscription|newsletter*|sign up|sign in|log in|login|log out|register|"
                 "create an account|inbox|abonn*|anmeld*|registrier*|inscri*|connexion|"
                 "suscri*|iniciar sesión|iscriviti|accedi|assin*|inscreva|inloggen|подпис*|войти|"
                 "订阅|登录|ログイン|登録|e mail|email address|your email",
    "legal": "cookie*|privacy|datenschutz*|impressum|imprint|terms of use|terms of service|copyright|"
             "all rights reserved|alle rechte|droits réservés|derechos reservados|diritti riservati|"
             "direitos reservados|rechten voorbehouden|права защищены|版权|著作権|mentions légales|"
             "política de privacidad|privacy policy|gdpr|consent|disclaimer|haftungsausschluss|agb",
    "nav": "read more|read also|see also|related|more stories|more news|previous|next|back to top|"
           "home|menu|navigation|search|skip to|weiterlesen|mehr zum thema|lesen sie auch|zurück|"
           "lire aussi|lire la suite|voir aussi|leer más|lee también|noticias relacionadas|leggi anche|"
           "leia mais|leia também|lees meer|lees ook|читайте также|читать далее|上一篇|下一篇|相关|関連|"
           "beitragsnavigation|hauptmenü|startseite|sitemap|archive|archives|categor*|tag|tags",
    "comment": "comment|comments|kommentar*|commentaire*|comentario*|commenti|comentários|reacties|"
               "комментари*|评论|コメント|reply|antworten|répondre|responder|rispondi|leave a reply|"
               "cancel reply|posted by|written by",
    "ads": "advertisement|advertising|sponsored|anzeige|werbung|publicité|publicidad|pubblicità|"
           "publicidade|advertentie|реклама|广告|広告|promoted|partner content|skip ad|ad choices",
    "cta": "click here|download|app store|google play|contact us|about us|kontakt|contact|donate|"
           "support us|become a member|membership|free trial|buy now|shop|ticket|tickets|podcast|watch|"
           "listen",
}
_WORD = re.compile(r"\w+(?:'\w+)?")
_MAX_KW_TOKENS = 40
_KW_PREFIX = 400
"""Vocabulary tokens are first looked for in this many characters of the lower-cased line."""


@dataclass(frozen=True)
class _Vocabulary:
    words: dict[str, int]
    """single word -> group bits"""
    phrases: dict[str, tuple[tuple[str, int, int], ...]]
    """last word of a multi-word phrase -> (phrase, its word count, group bits)"""
    stems: dict[str, tuple[tuple[str, int], ...]]
    """first three letters of a stem ('subscrib*') -> (stem, group bits)"""
    cjk: re.Pattern[str]
    cjk_groups: dict[str, int]


def _vocabulary() -> _Vocabulary:
    words: dict[str, int] = {}
    multi: dict[str, int] = {}
    stems: dict[str, int] = {}
    cjk_groups: dict[str, int] = {}
    for bit, pattern in enumerate(_KW_GROUPS.values()):
        for entry in pattern.split("|"):
            if _CJK.search(entry):
                cjk_groups[entry] = cjk_groups.get(entry, 0) | 1 << bit
            elif entry.endswith("*"):
                stems[entry[:-1]] = stems.get(entry[:-1], 0) | 1 << bit
            else:
                toks = _WORD.findall(entry)
                table = words if len(toks) == 1 else multi
                key = " ".join(toks)
                table[key] = table.get(key, 0) | 1 << bit
    phrases: dict[str, list[tuple[str, int, int]]] = {}
    for key, bits in multi.items():
        phrases.setdefault(key.rsplit(" ", 1)[1], []).append((key, key.count(" ") + 1, bits))
    by_head: dict[str, list[tuple[str, int]]] = {}
    for stem, bits in stems.items():
        by_head.setdefault(stem[:3], []).append((stem, bits))
    cjk = re.compile("|".join(sorted(map(re.escape, cjk_groups), key=len, reverse=True)))
    return _Vocabulary(
        words,
        {k: tuple(v) for k, v in phrases.items()},
        {k: tuple(v) for k, v in by_head.items()},
        cjk,
        cjk_groups,
    )


_VOCAB = _vocabulary()


def vocabulary_bits(line: str) -> int:
    """Bit ``g`` is set when the line holds a word or phrase of vocabulary group ``g``."""
    lower = line.lower()
    toks = _WORD.findall(lower[:_KW_PREFIX]) if len(lower) > _KW_PREFIX else []
    # More tokens than needed in the prefix: the first ones end before its last character is read.
    toks = toks[:_MAX_KW_TOKENS] if len(toks) > _MAX_KW_TOKENS else _WORD.findall(lower)[:_MAX_KW_TOKENS]
    bits = 0
    words, phrases, stems = _VOCAB.words, _VOCAB.phrases, _VOCAB.stems
    distinct = set(toks)
    for tok in distinct & words.keys():
        bits |= words[tok]
    lasts = distinct & phrases.keys()
    if lasts:
        for k, tok in enumerate(toks):
            if tok in lasts:
                for phrase, n, b in phrases[tok]:
                    if k + 1 >= n and " ".join(toks[k + 1 - n : k + 1]) == phrase:
                        bits |= b
    for tok in distinct:
        heads = stems.get(tok[:3])
        if heads:
            for stem, b in heads:
                if tok.startswith(stem):
                    bits |= b
    if not line.isascii() and _CJK.search(line):
        for m in _VOCAB.cjk.finditer(line):
            bits |= _VOCAB.cjk_groups[m.group()]
    return bits


_LEN_BINS = (1, 2, 3, 5, 8, 12, 20, 40)


class LineInfo(NamedTuple):
    """The line-local traits that context features and rules reuse.

    A named tuple, not a dataclass: one is made for every distinct line, ~3x cheaper. (The garbage collector
    still tracks it: it stops tracking only exact tuples of untracked items, not tuple subclasses.)"""

    text: str
    words: int
    """Word count, with CJK characters counted as half a word each."""
    prose: bool


def word_count(line: str) -> int:
    n = len(line.split())
    if not line.isascii() and _CJK.search(line):
        n += len(_CJK.findall(line)) // 2
    return n


def line_info(line: str) -> LineInfo:
    words = word_count(line)
    return LineInfo(line, words, words >= 12 and ends_sentence(line))


_DIGIT = re.compile(r"\d")
_ASCII_LETTERS = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_ASCII_DIGITS = b"0123456789"


def _letters_digits(sample: str) -> tuple[int, int]:
    """Counts of ``str.isalpha`` and ``str.isdigit`` characters (byte deletion for ASCII text)."""
    if sample.isascii():
        raw = sample.encode("ascii")
        n = len(raw)
        return n - len(raw.translate(None, _ASCII_LETTERS)), n - len(raw.translate(None, _ASCII_DIGITS))
    return sum(map(str.isalpha, sample)), sum(map(str.isdigit, sample))
_CREDIT_HINTS = (
    "(", ":", "/", "getty", "reuters", "afp", "dpa", "shutterstock", "istock", "photo", "image", "of",
)


def _maybe_credit(line: str) -> bool:
    """A cheap necessary condition for :data:`_CREDIT` (substring tests run in C)."""
    lower = line.lower()
    return any(h in lower for h in _CREDIT_HINTS)


_SHORT = 30
"""Pattern features are only looked for in lines of at most this many words (long lines are prose)."""


def _own(line: str, words: int) -> tuple[list[float], int]:
    """Features of the line alone, and its vocabulary bits."""
    initials = "".join([t[0] for t in line.split(None, 40)[:40]])
    n_alpha = sum(map(str.isalpha, initials))
    caps = sum(map(str.isupper, initials)) / n_alpha if n_alpha else 0.0
    sample = line[:160]
    letters, digits = _letters_digits(sample)
    nonspace = len(sample) - sample.count(" ") or 1
    bins = [1.0 if words <= b else 0.0 for b in _LEN_BINS]
    ends = line[-1:]
    short = words <= _SHORT
    has_digit = digits > 0 or (len(line) > len(sample) and _DIGIT.search(line) is not None)
    bits = vocabulary_bits(line)
    kw = [float(bits >> g & 1) for g in range(len(_KW_GROUPS))]
    return [
        *bins,
        math.log1p(words),
        1.0 if ends_sentence(line) else 0.0,
        1.0 if ends == ":" else 0.0,
        1.0 if ends.isalnum() else 0.0,
        1.0 if line[:1].islower() else 0.0,
        caps,
        1.0 if letters >= 2 and sample.upper() == sample else 0.0,
        digits / nonspace,
        letters / nonspace,
        1.0 if short and "." in line and _URL.search(line) else 0.0,
        1.0 if short and ("@" in line or "#" in line) and _EMAIL_HANDLE.search(line) else 0.0,
        1.0 if short and _SEPARATORS.search(line) else 0.0,
        min(line.count(",") / (words or 1), 1.0),
        1.0 if short and has_digit and _DATE_TIME.search(line) else 0.0,
        1.0 if short and has_digit and _COUNTER.search(line) else 0.0,
        1.0 if short and _maybe_credit(line) and _CREDIT.search(line) else 0.0,
        1.0 if short and _BYLINE.search(line) else 0.0,
        1.0 if _QUOTE.search(line) else 0.0,
        *kw,
    ], bits


OWN_NAMES = (
    *(f"len<={b}" for b in _LEN_BINS), "log_words", "sentence_end", "ends_colon", "ends_alnum",
    "starts_lower", "cap_ratio", "all_caps", "digit_ratio", "alpha_ratio", "url", "email_handle",
    "separators", "comma_density", "date_time", "counter", "credit", "byline", "quote",
    *(f"kw_{k}" for k in _KW_GROUPS),
)
CONTEXT_NAMES = (
    "rel_pos", "words_before", "words_after", "head", "tail", "span", "log_dist_prose", "prev_prose",
    "next_prose", "log_prev_words", "log_next_words", "window_prose", "first_line", "repeated",
    "log_doc_words", "log_run", "kw_near", "head_short", "tail_short", "span_short", "tail_kw", "head_kw",
    "span_kw", "run_short", "comment_mark", "after_comment_mark", "doc_prose_share", "doc_short_share",
)
NAMES = (*OWN_NAMES, *CONTEXT_NAMES)


def document_features(lines: Sequence[str]) -> tuple[list[int], list[list[float]], list[LineInfo]]:
    """Indices of the non-blank lines, a feature row for each, and their :class:`LineInfo`."""
    index = [i for i, line in enumerate(lines) if line.strip()]
    texts = [lines[i].strip() for i in index]
    infos = [line_info(t) for t in texts]
    n = len(texts)
    if n == 0:
        return index, [], infos
    own_bits = [_own(t, info.words) for t, info in zip(texts, infos, strict=True)]
    own = [o for o, _ in own_bits]
    kw_any = [b != 0 for _, b in own_bits]
    prose_at = [j for j, info in enumerate(infos) if info.prose]
    first, last = (prose_at[0], prose_at[-1]) if prose_at else (n, -1)
    total = sum(info.words for info in infos) or 1
    # distance to the nearest prose line, both directions
    dist = [n] * n
    d = n
    for j in range(n):
        d = 0 if infos[j].prose else d + 1
        dist[j] = d
    d = n
    for j in range(n - 1, -1, -1):
        d = 0 if infos[j].prose else d + 1
        dist[j] = min(dist[j], d)
    # runs of consecutive non-prose lines
    run = [0] * n
    j = 0
    while j < n:
        k = j
        while k < n and not infos[k].prose:
            k += 1
        for m in range(j, k):
            run[m] = k - j
        j = k + 1 if k == j else k
    # prefix sums: prose lines and vocabulary hits in a window, in O(1) per line
    prose_sum = [0] * (n + 1)
    kw_sum = [0] * (n + 1)
    for j, info in enumerate(infos):
        prose_sum[j + 1] = prose_sum[j] + info.prose
        kw_sum[j + 1] = kw_sum[j] + kw_any[j]
    marks = [_COMMENT_MARK.search(t) is not None for t in texts]
    first_mark = marks.index(True) if any(marks) else n
    prose_share = len(prose_at) / n
    short_share = sum(info.words <= 8 for info in infos) / n
    seen: set[str] = set()
    rows: list[list[float]] = []
    before = 0
    for j, info in enumerate(infos):
        prev = infos[j - 1] if j > 0 else None
        nxt = infos[j + 1] if j + 1 < n else None
        lo, hi = max(0, j - 3), min(n, j + 4)
        window = (prose_sum[hi] - prose_sum[lo] - info.prose) / max(1, hi - lo - 1)
        head, tail = j < first, j > last
        span = not head and not tail
        short = info.words <= 8
        near = kw_sum[min(n, j + 3)] - kw_sum[max(0, j - 2)] - kw_any[j] > 0
        key = texts[j].casefold()
        repeated = key in seen
        seen.add(key)
        rows.append([
            *own[j],
            j / n,
            before / total,
            (total - before - info.words) / total,
            float(head),
            float(tail),
            float(span),
            math.log1p(dist[j]),
            float(prev.prose) if prev else 0.0,
            float(nxt.prose) if nxt else 0.0,
            math.log1p(prev.words) if prev else 0.0,
            math.log1p(nxt.words) if nxt else 0.0,
            window,
            float(j == 0),
            float(repeated),
            math.log1p(total),
            math.log1p(run[j]),
            float(near),
            float(head and short),
            float(tail and short),
            float(span and short),
            float(tail and kw_any[j]),
            float(head and kw_any[j]),
            float(span and kw_any[j]),
            float(short) * math.log1p(run[j]),
            float(marks[j]),
            float(j > first_mark),
            prose_share,
            short_share,
        ])
        before += info.words
    return index, rows, infos
