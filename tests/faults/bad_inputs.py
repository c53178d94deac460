"""A hand-made directory of hostile inputs, with the number of items a reader must account for.

Each entry is (file name, bytes, items): ``items`` is how many documents or read failures the file stands for
(one per file, or one per non-blank JSONL line), fixed by construction, not by running the reader.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

BIG_TEXT_MB = 50
SALVAGE = {"truncated.jsonl.gz": 50}
"""Files a streaming reader may partly read: up to this many documents before the failure it must report."""

_ARTICLE = ("The council met on Tuesday to discuss the budget for the coming year and heard from residents. " * 4)
BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]><html><body><article><p>&lol9; " + _ARTICLE + "</p></article></body></html>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<html><body><article><p>&xxe; " + _ARTICLE + "</p></article></body></html>"
)


def _jsonl(*lines: str) -> tuple[bytes, int]:
    return ("\n".join(lines) + "\n").encode("utf-8"), sum(1 for line in lines if line.strip())


def bad_files(big: bool = True) -> list[tuple[str, bytes, int]]:
    rng = random.Random(9)
    binary = bytes(b for b in rng.randbytes(20_000) if b not in b"\r\n")  # one "line" for JSONL readers
    ok = json.dumps({"id": "fine", "text": _ARTICLE})
    malformed, n_malformed = _jsonl(
        ok,
        '{"id": "cut", "text": "no end',
        "not json at all",
        "[1, 2, 3]",
        '"a string"',
        "42",
        "null",
        '{"id": "n", "text": 42}',
        '{"id": "l", "text": ["a", "b"]}',
        '{"id": "h", "html": {"x": 1}}',
        '{"id": {"nested": true}, "text": "id is an object; the text is long enough to be read as an article maybe"}',
        '{"id": "u", "url": 12, "text": "url is a number"}',
        '{"id": "none"}',
        '{"id": "", "text": ""}',
        "   ",
        "[" * 50_000,
        '{"a":' * 50_000,
        '{"id": "nul\\u0000id", "text": "a NUL\\u0000 inside text"}',
        '{"id": "surrogate", "text": "lone \\ud800 surrogate"}',
        '{"id": "dup", "text": "same id twice"}',
        '{"id": "dup", "text": "same id twice"}',
    )
    ids, n_ids = _jsonl(*(json.dumps({"id": i, "url": u, "text": _ARTICLE}) for i, u in [
        ("../../etc/passwd", "http://evil.example/../../x"),
        ("/absolute/id", "file:///etc/passwd"),
        ("id with spaces and\ttabs\nnewline", "not a url"),
        ("ünïcødé-ид-标识", "https://例え.jp/記事"),
        ("ctrl\x01\x02\x7f\x1b[31m", "http://[::1]:99999/"),
        ("x" * 10_000, "http://" + "a" * 5000 + ".example/"),
        ("..", ""),
        ("C:\\windows\\system32", "javascript:alert(1)"),
    ]))
    files: list[tuple[str, bytes, int]] = [
        ("empty.txt", b"", 1),
        ("empty.html", b"", 1),
        ("empty.jsonl", b"", 0),
        ("blank-lines.jsonl", b"\n\n  \n", 0),
        ("whitespace.txt", b" \n\t\r\n \x0b\x0c ", 1),
        ("binary.txt", binary, 1),
        ("binary.html", binary, 1),
        ("binary.jsonl", binary, 1),
        ("binary.json", b"{" + binary, 1),
        ("invalid-utf8.txt", b"caf\xe9 na\xefve \xff\xfe\xfd " + _ARTICLE.encode() + b"\xc3\x28 \xa0\xa1", 1),
        ("nul-bytes.txt", _ARTICLE.encode().replace(b" ", b"\x00 "), 1),
        ("utf16-no-bom.txt", _ARTICLE.encode("utf-16-le"), 1),
        ("bom-only.txt", b"\xef\xbb\xbf", 1),
        ("truncated.jsonl.gz", gzip.compress(((ok + "\n") * 50).encode())[:-20], 1),
        ("not-gzip.jsonl.gz", b"this is not gzip at all", 1),
        ("gzip-of-garbage.jsonl.gz", gzip.compress(binary), 1),
        ("malformed.jsonl", malformed, n_malformed),
        ("wrong-type.json", b"42", 1),
        ("wrong-type-list.json", b'[1, "two", null, {"id": "ok", "text": "fine text"}]', 4),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000, 1),
        ("ids.jsonl", ids, n_ids),
        ("deep-nesting.html", ("<div>" * 100_000 + _ARTICLE + "</div>" * 100_000).encode(), 1),
        ("huge-attribute.html", ('<p title="' + "a" * 1_000_000 + '">' + _ARTICLE + "</p>").encode(), 1),
        ("many-attributes.html", ("<p " + " ".join(f"a{i}=x" for i in range(3_000)) + ">" + _ARTICLE
                                  + "</p>").encode(), 1),
        ("billion-laughs.html", BILLION_LAUGHS.encode(), 1),
        ("external-entity.html", EXTERNAL_ENTITY.encode(), 1),
        ("unclosed.html", b"<html><body><p>" + _ARTICLE.encode() + b"<script>while(1){}", 1),
        ("script-only.html", b"<script>" + b"x=1;" * 100_000 + b"</script>", 1),
        ("punctuation-line.txt", ("!" * 5000 + "\n" + "-=" * 5000 + "\n" + ". " * 5000).encode(), 1),
        ("repeated-words.txt", ("follow " * 3000 + "on twitter " * 10 + "\n" + "share " * 5000).encode(), 1),
        ("long-line.txt", ("word " * 400_000).encode(), 1),
        ("only-newlines.txt", b"\n" * 200_000, 1),
        ("mixed-newlines.txt", ((_ARTICLE + "\r") * 30 + "\u2028\u2029\x85" + _ARTICLE).encode(), 1),
        ("name with spaces.txt", _ARTICLE.encode(), 1),
        ("ünïcødé-名前.txt", _ARTICLE.encode(), 1),
        ("ctrl-\x01-\x1b-name.txt", _ARTICLE.encode(), 1),
        ("line\nbreak-name.txt", _ARTICLE.encode(), 1),
        ("..dots...txt", _ARTICLE.encode(), 1),
        ("sub/dir/../nested.txt", _ARTICLE.encode(), 1),
        ("UPPER.TXT", _ARTICLE.encode(), 1),
    ]
    if big:
        files.append(("big-50mb.txt", (_ARTICLE + "\n") * (BIG_TEXT_MB * 1_000_000 // (len(_ARTICLE) + 1)), 1))
    return [(n, d.encode() if isinstance(d, str) else d, k) for n, d, k in files]


def make_bad_inputs(folder: Path, big: bool = True) -> int:
    """Write the hostile inputs under ``folder``; return how many items a reader must yield for them."""
    total = 0
    for name, data, items in bad_files(big):
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        total += items
    (folder / "not-an-input.bin").write_bytes(b"ignored: unsupported suffix")
    (folder / "dir.txt").mkdir(exist_ok=True)  # a directory with an input's name is not an input
    return total
