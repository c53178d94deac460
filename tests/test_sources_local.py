"""Local readers: directory trees of every supported format, streaming JSONL, WARC files, format detection."""

from __future__ import annotations

import gzip
import io
import json
import secrets
from pathlib import Path

import zstandard
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners import Document
from flows.sources import (
    FieldMap,
    LinkedSource,
    LocalSource,
    ReadFailure,
    UrlListSource,
    WarcSource,
    detect_format,
    open_source,
)
from flows.sources.local import iter_lines, read_jsonl_stream


def jsonl(records: list[dict[str, object]]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def make_tree(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_bytes("Le café est très bon.".encode("cp1252"))
    (root / "b.html").write_bytes(b"<html><body><p>Hello</p></body></html>")
    c = [{"id": "c1", "text": "one"}, {"id": "c2", "html": "<p>2</p>"}]
    (root / "sub" / "c.json").write_text(json.dumps(c))
    d1 = {"id": "d1", "text": "x", "url": "https://x.example/1", "title": "T"}
    (root / "d.jsonl").write_bytes(jsonl([d1]) + b"{not json\n\n" + jsonl([{"id": "d3", "body": 5}]))
    (root / "e.jsonl.gz").write_bytes(gzip.compress(jsonl([{"id": "e1", "text": "gz"}])))
    zst = zstandard.ZstdCompressor().compress(jsonl([{"id": "f1", "text": "zst"}]))
    (root / "f.jsonl.zst").write_bytes(zst)
    (root / "g.jsonl.gz").write_bytes(b"\x1f\x8b\x08\x00garbage")
    (root / "ignored.bin").write_bytes(b"\0\1")


def test_directory_tree_of_every_format(tmp_path: Path) -> None:
    make_tree(tmp_path)
    items = list(LocalSource(tmp_path))
    assert list(LocalSource(tmp_path)) == items  # iterating twice gives the same items
    ids = [i.id for i in items]
    assert ids == ["a", "b", "d1", "d:2", "d:4", "e1", "f1", "g:1", "c1", "c2"]
    by_id = {i.id: i for i in items}
    assert isinstance(by_id["a"], Document) and by_id["a"].raw == "Le café est très bon.".encode("cp1252")
    assert isinstance(by_id["b"], Document) and isinstance(by_id["b"].html, bytes)
    d1 = by_id["d1"]
    assert isinstance(d1, Document) and d1.url == "https://x.example/1" and d1.meta == {"title": "T"}
    assert isinstance(by_id["c2"], Document) and by_id["c2"].html == "<p>2</p>"
    codes = {i.id: i.code for i in items if isinstance(i, ReadFailure)}
    assert codes == {"d:2": "bad-json", "d:4": "bad-record", "g:1": "bad-archive"}
    assert isinstance(by_id["f1"], Document) and by_id["f1"].text == "zst"


def test_field_mapping(tmp_path: Path) -> None:
    path = tmp_path / "custom.jsonl"
    path.write_bytes(jsonl([{"key": "k1", "body": "<p>x</p>", "link": "https://y.example/"}]))
    [doc] = list(open_source(str(path), FieldMap(html="body", id="key", url="link")))
    assert isinstance(doc, Document) and (doc.id, doc.html, doc.url) == ("k1", "<p>x</p>", "https://y.example/")


class CountingReader(io.RawIOBase):
    """A real file, counting the bytes handed out."""

    def __init__(self, path: Path) -> None:
        self.f = path.open("rb")
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        n = self.f.readinto(b)
        self.read_bytes += n or 0
        return n or 0


def test_large_jsonl_is_streamed(tmp_path: Path) -> None:
    path = tmp_path / "big.jsonl.zst"
    records = ({"id": str(i), "text": secrets.token_hex(500)} for i in range(5_000))  # ~5 MB, ~2.5 MB packed
    with path.open("wb") as f, zstandard.ZstdCompressor().stream_writer(f) as w:
        for r in records:
            w.write(json.dumps(r).encode() + b"\n")
    reader = CountingReader(path)
    items = read_jsonl_stream(reader, str(path), FieldMap(), "big")
    first = next(items)
    assert isinstance(first, Document) and first.id == "0"
    assert reader.read_bytes < path.stat().st_size / 2  # not read whole to yield the first record
    assert sum(1 for _ in items) == 4_999


def test_overlong_line_is_one_failure_and_reading_goes_on() -> None:
    data = b'{"id": "a", "text": "x"}\n' + b"y" * 5000 + b"\n" + b'{"id": "b", "text": "z"}\n'
    lines = list(iter_lines(io.BytesIO(data), max_line=1000))
    assert lines[0] == b'{"id": "a", "text": "x"}' and lines[-1] == b'{"id": "b", "text": "z"}'
    assert len(lines) == 3


def warc_bytes(gz: bool) -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gz)

    def response(url: str, status: str, ctype: str, body: bytes) -> None:
        headers = StatusAndHeaders(status, [("Content-Type", ctype)], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body),
                                                      http_headers=headers))

    writer.write_record(writer.create_warcinfo_record("test.warc", {"software": "presswash-test"}))
    request = writer.create_warc_record("https://a.example/", "request", payload=io.BytesIO(b"GET /"))
    writer.write_record(request)
    response("https://a.example/news", "200 OK", "text/html; charset=windows-1252",
             "<html><body><p>Déjà vu at the café.</p></body></html>".encode("cp1252"))
    response("https://a.example/missing", "404 Not Found", "text/html", b"<p>nope</p>")
    response("https://a.example/old", "301 Moved Permanently", "text/html", b"")
    response("https://a.example/logo.png", "200 OK", "image/png", b"\x89PNG")
    response("https://a.example/down", "503 Service Unavailable", "text/html", b"busy")
    response("https://a.example/xhtml", "200 OK", "application/xhtml+xml", b"<html><p>x</p></html>")
    return buf.getvalue()


def test_warc_html_responses_and_error_records(tmp_path: Path) -> None:
    for gz in (True, False):
        path = tmp_path / ("crawl.warc.gz" if gz else "crawl.warc")
        path.write_bytes(warc_bytes(gz))
        source = open_source(str(path))
        assert isinstance(source, WarcSource)
        items = list(source)
        summary = [(type(i).__name__, i.url, getattr(i, "code", "")) for i in items]
        assert summary == [
            ("Document", "https://a.example/news", ""),
            ("ReadFailure", "https://a.example/missing", "http-404"),
            ("ReadFailure", "https://a.example/down", "http-503"),
            ("Document", "https://a.example/xhtml", ""),
        ]
        doc = items[0]
        assert isinstance(doc, Document) and doc.content_type == "text/html; charset=windows-1252"
        assert doc.html == "<html><body><p>Déjà vu at the café.</p></body></html>".encode("cp1252")
        assert "crawl_date" in doc.meta and doc.source and doc.source.startswith(str(path))
        assert list(source) == items


def test_warc_in_a_directory_and_corrupt_warc(tmp_path: Path) -> None:
    (tmp_path / "crawl.warc.gz").write_bytes(warc_bytes(True))
    good = warc_bytes(True)
    (tmp_path / "y-truncated.warc.gz").write_bytes(good[: len(good) // 2])
    (tmp_path / "z-broken.warc").write_bytes(b"this is not a WARC file\n" * 10)
    items = list(LocalSource(tmp_path))
    urls = [f"https://a.example/{p}" for p in ("news", "missing", "down", "xhtml")]
    assert [i.url for i in items[:4]] == urls
    assert [i.url for i in items[4:6]] == urls[:2]  # the records before the cut are read
    last = items[-1]
    assert isinstance(last, ReadFailure) and last.code == "bad-archive"
    assert last.source.endswith("z-broken.warc")


def test_format_detection(tmp_path: Path) -> None:
    urls = tmp_path / "list.txt"
    urls.write_text("# links\nhttps://a.example/1\n\nhttp://b.example/2\n")
    article = tmp_path / "story.txt"
    article.write_text("A story that mentions https://a.example/ in passing.\nMore text.\n")
    feed = tmp_path / "feed.xml"
    feed.write_text("<rss><channel></channel></rss>")
    assert detect_format(str(urls)) == "urls" and isinstance(open_source(str(urls)), UrlListSource)
    assert detect_format(str(article)) == "dir"
    assert detect_format(str(tmp_path)) == "dir"
    assert detect_format("s3://bucket/prefix") == "s3"
    assert detect_format("https://news.example/feed") == "listing"
    assert isinstance(open_source(str(feed)), LinkedSource)
    assert isinstance(open_source(str(article), fmt="urls"), UrlListSource)


def test_cli_run_over_a_directory_with_warc_and_zstd(prefect_harness: None, tmp_path: Path) -> None:
    from flows.cli import main

    src = tmp_path / "in"
    src.mkdir()
    (src / "crawl.warc.gz").write_bytes(warc_bytes(True))
    story = " ".join(f"The ferry to the islands will run twice a day from May, note {i}." for i in range(6))
    zst = zstandard.ZstdCompressor().compress(jsonl([{"id": "z1", "text": story}]))
    (src / "batch.jsonl.zst").write_bytes(zst)
    out = tmp_path / "out"
    assert main(["run", str(src), str(out), "--quiet", "--run-id", "dir-run", "--min-words", "3"]) == 0
    from flows import reader

    manifest = reader.manifest(str(out), "dir-run")
    counts = manifest["counts"]
    # WARC: news page written, 404 and 503 quarantined, the one-word xhtml page rejected; JSONL: written
    assert counts == {"docs_in": 5, "written": 2, "rejected": 1, "quarantined": 2, "duplicates": 0}
    assert manifest["rejected_by_code"] == {"http-404": 1, "http-503": 1, "too-short": 1}


def test_records_skip_the_surrogate_repair_only_when_they_cannot_need_it() -> None:
    """``may_hold_surrogates`` is False only for lines whose values ``utf8_safe`` would not change, so the
    records read are those of repairing every value."""
    from flows.sources.local import doc_from_record, may_hold_surrogates, utf8_safe

    values = ["plain", "é漢字", "한국어 텍스트", "\ud800 alone", "pair \ud83d\ude00", "\udc00"]
    lines = [json.dumps({"id": str(i), "text": v}, ensure_ascii=ascii).encode("utf-8", "surrogatepass")
             for i, v in enumerate(values) for ascii in (True, False)]
    lines.append('{"id": "u16", "text": "\ud800"}'.encode("utf-16-le", "surrogatepass"))
    fields = FieldMap()
    for line in lines:
        try:
            record = json.loads(line)
        except ValueError:
            continue
        repaired = {k: utf8_safe(v) for k, v in record.items()}
        if not may_hold_surrogates(line):
            assert repaired == record, line
        fast = doc_from_record(record, fields, "d", "s", may_hold_surrogates(line))
        assert fast == doc_from_record(record, fields, "d", "s"), line
    assert not may_hold_surrogates(json.dumps({"text": "é漢字"}, ensure_ascii=False).encode())
    assert may_hold_surrogates(json.dumps({"text": "\ud800"}).encode())
    assert may_hold_surrogates('{"text": "\ud800"}'.encode("utf-8", "surrogatepass"))


TRICKY_LINES = [
    b'{"id": 1, "text": "plain"}', b'{"id": 12345678901234567890123, "text": "x"}', b'12345678901234567890123',
    b'{"id": 18446744073709551616, "text": "x"}', b'{"n": -9223372036854775809}', b'{"n": 1.5e-7, "m": -0.0}',
    b'{"n": 1e400}', b'{"n": NaN}', b'{"n": -Infinity}', b'{"a": 1, "a": 2}', b'\xef\xbb\xbf{"text": "bom"}',
    b'{"text": "\\ud800"}', b'{"text": "\\udc00\\ud800"}', b'{"text": "pair \\ud83d\\ude00"}',
    '{"text": "\ud800"}'.encode("utf-8", "surrogatepass"), '{"text": "\ud800"}'.encode("utf-16-le", "surrogatepass"),
    b'{"text": "a\tb"}', b'{"text": "\xff"}', b'[1,]', b'{"a": 1}\r', b'{"a": 1}\x00', b'"just a string"',
    b'{"nested": {"big": 123456789012345678901234567890}, "text": "t"}', b"[" * 5000 + b"]" * 5000,
    *(b"[" * n + b"1.5" + b"]" * n for n in (900, 980, 1000, 1020)),
]


def _outcome(parse, line: bytes) -> object:
    try:
        return parse(line)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)


def test_parse_line_reads_what_json_reads_with_the_same_errors() -> None:
    """The orjson fast path gives ``json.loads``'s value (types included: big integers stay ints) or
    falls back to it, errors included; and it says "no surrogate" only when ``utf8_safe`` changes nothing."""
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from flows.sources.local import parse_line, utf8_safe

    def check(line: bytes) -> None:
        got = _outcome(parse_line, line)
        want = _outcome(json.loads, line)
        if isinstance(want, tuple):
            assert got == want, line
            return
        assert isinstance(got, tuple)
        value, surrogates = got
        assert repr(value) == repr(want), line  # repr: 1 == 1.0, but not as an id
        if not surrogates and isinstance(value, dict):
            assert {k: utf8_safe(v) for k, v in value.items()} == value, line

    for line in TRICKY_LINES:
        check(line)

    scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=8)

    @settings(max_examples=300, deadline=None)
    @given(st.dictionaries(st.text(max_size=8), values, max_size=5), st.booleans())
    def generated(record: dict[str, object], ascii: bool) -> None:
        check(json.dumps(record, ensure_ascii=ascii).encode("utf-8", "surrogatepass"))

    generated()
