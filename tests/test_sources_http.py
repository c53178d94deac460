"""URL lists, feeds and sitemaps against a real HTTP server on 127.0.0.1 (http.server in a thread)."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cleaners import Document, clean_document
from flows.sources import FetchOptions, LinkedSource, ReadFailure, UrlListSource, open_source
from flows.sources.fetch import USER_AGENT, BlockedAddress, Fetcher, GuardedBackend, Page, blocked_reason

PARAGRAPH = (
    "The city council met on Tuesday evening to debate the new budget for public libraries, and members "
    "argued for more than three hours about opening times, staffing and the cost of digital services."
)


def article(title: str, body: str, charset: str | None = None) -> str:
    meta = f'<meta charset="{charset}">' if charset else ""
    paras = "".join(f"<p>{body} {PARAGRAPH} Paragraph {i}.</p>" for i in range(4))
    return (
        f"<html><head>{meta}<title>{title}</title><meta name=\"author\" content=\"Ann Writer\"></head>"
        f"<body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paras}</article>"
        "<footer>Copyright 2026 Example News</footer></body></html>"
    )


Route = tuple[int, dict[str, str], bytes] | Callable[["Handler"], None]


class Server(ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, Route]
    hits: list[tuple[str, str]]
    counters: dict[str, int]


class Handler(BaseHTTPRequestHandler):
    server: Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.server.hits.append((self.path, self.headers.get("User-Agent", "")))
        self.server.counters[self.path] = self.server.counters.get(self.path, 0) + 1
        route = self.server.routes.get(self.path)
        if route is None:
            self.reply(404, {"Content-Type": "text/plain"}, b"not found")
        elif callable(route):
            route(self)
        else:
            self.reply(*route)

    def reply(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        if "Content-Length" not in headers:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.wfile.write(body)


def _slow(h: Handler) -> None:
    time.sleep(2)
    h.reply(200, {"Content-Type": "text/html"}, b"<p>late</p>")


def _endless(h: Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/html")
    h.end_headers()  # no Content-Length: the body runs until the connection closes
    try:
        for _ in range(200):
            h.wfile.write(b"<p>" + b"x" * 8192 + b"</p>")
    except (BrokenPipeError, ConnectionResetError):
        pass


def _flaky(h: Handler) -> None:
    if h.server.counters[h.path] < 2:
        h.reply(503, {"Content-Type": "text/plain", "Retry-After": "0"}, b"busy")
    else:
        h.reply(200, {"Content-Type": "text/html; charset=utf-8"}, article("Again", "It worked.").encode())


def _throttled(h: Handler) -> None:
    if h.server.counters[h.path] < 2:
        h.reply(429, {"Content-Type": "text/plain", "Retry-After": "0"}, b"slow down")
    else:
        h.reply(200, {"Content-Type": "text/html"}, article("Throttled", "Patience pays.").encode())


HTML = {"Content-Type": "text/html"}
JA_BODY = "市議会は図書館の予算について議論しました。"
ES_BODY = "El niño comió piñata."


def routes(base: str) -> dict[str, Route]:
    rss = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>
<item><title>One</title><link>{base}/utf8.html</link><pubDate>Mon, 23 Nov 2026 06:00:00 GMT</pubDate></item>
<item><title>Two</title><link>{base}/cp1252.html</link></item>
<item><title>Gone</title><link>{base}/missing.html</link></item>
</channel></rss>"""
    atom = f"""<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
<entry><title>Koi</title><link rel="alternate" href="{base}/koi8.html"/><updated>2026-11-23</updated></entry>
<entry><title>Sjis</title><link href="{base}/sjis.html"/></entry></feed>"""
    index = f"""<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{base}/sitemap-1.xml</loc></sitemap><sitemap><loc>{base}/sitemap-2.xml.gz</loc></sitemap>
<sitemap><loc>{base}/sitemap-missing.xml</loc></sitemap></sitemapindex>"""
    sm1 = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/utf8.html</loc><lastmod>2026-11-20</lastmod></url><url><loc>{base}/redirect</loc></url></urlset>"""
    sm2 = f"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/nocharset.html</loc></url><url><loc>{base}/utf8.html</loc></url></urlset>"""
    xxe = f"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>{base}/p?&x;</loc></url></urlset>"""
    return {
        "/utf8.html": (200, {"Content-Type": "text/html; charset=utf-8"},
                       article("Café culture “returns”", "Crème brûlée and naïve jokes.").encode()),
        "/cp1252.html": (200, {"Content-Type": "text/html; charset=windows-1252"},
                         article("Résumé of the week", "Déjà vu – the council’s café.").encode("cp1252")),
        "/koi8.html": (200, HTML, article("Новости Москвы", "Городской совет обсудил бюджет библиотек.",
                                          "koi8-r").encode("koi8_r")),
        "/sjis.html": (200, {"Content-Type": "text/html; charset=Shift_JIS"},
                       article("東京のニュース", JA_BODY).encode("shift_jis")),
        "/nocharset.html": (200, HTML, article("Señor García’s año", ES_BODY).encode("cp1252")),
        "/redirect": (302, {"Location": "/utf8.html"}, b""),
        "/redirect-loop": (302, {"Location": "/redirect-loop"}, b""),
        "/redirect-private": (302, {"Location": "http://10.255.255.1/secret"}, b""),
        "/500": (500, {"Content-Type": "text/plain"}, b"boom"),
        "/flaky": _flaky,
        "/throttled": _throttled,
        "/slow": _slow,
        "/big": (200, HTML, b"<p>" + b"y" * 300_000 + b"</p>"),
        "/endless": _endless,
        "/image.png": (200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + b"\0" * 100),
        "/feed.xml": (200, {"Content-Type": "application/rss+xml"}, rss.encode()),
        "/atom.xml": (200, {"Content-Type": "application/atom+xml"}, atom.encode()),
        "/sitemap.xml": (200, {"Content-Type": "application/xml"}, index.encode()),
        "/sitemap-1.xml": (200, {"Content-Type": "application/xml"}, sm1.encode()),
        "/sitemap-2.xml.gz": (200, {"Content-Type": "application/gzip"}, gzip.compress(sm2.encode())),
        "/xxe.xml": (200, {"Content-Type": "application/xml"}, xxe.encode()),
        "/notxml.xml": (200, {"Content-Type": "application/xml"}, b"this is not <xml"),
    }


@pytest.fixture(scope="module")
def http_server() -> Iterator[Server]:
    server = Server(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    server.routes, server.hits, server.counters = routes(base), [], {}
    server.base = base  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def base(server: Server) -> str:
    return str(server.base)  # type: ignore[attr-defined]


OPTS = FetchOptions(per_host_delay_s=0, timeout_s=0.5, retries=2, backoff_s=0.01, max_bytes=100_000,
                    allow_private_addresses=True)


def by_url(items: list[Document | ReadFailure]) -> dict[str, Document | ReadFailure]:
    return {i.id: i for i in items}


def test_guard_refuses_loopback_and_private_unless_allowed() -> None:
    assert blocked_reason("127.0.0.1", 80, False) is not None
    assert blocked_reason("localhost", 80, False) is not None
    assert blocked_reason("10.1.2.3", 80, False) is not None
    assert blocked_reason("169.254.169.254", 80, False) is not None
    assert blocked_reason("::1", 80, False) is not None
    assert blocked_reason("::ffff:127.0.0.1", 80, False) is not None
    assert blocked_reason("8.8.8.8", 80, False) is None
    assert blocked_reason("127.0.0.1", 80, True) is None
    assert blocked_reason("127.0.0.1", 80, False, ("127.0.0.0/8",)) is None


def test_fetch_refuses_loopback_by_default(http_server: Server) -> None:
    before = len(http_server.hits)
    result = Fetcher(FetchOptions(per_host_delay_s=0)).get(base(http_server) + "/utf8.html")
    assert isinstance(result, ReadFailure) and result.code == "blocked-address"
    assert len(http_server.hits) == before  # refused before connecting


def test_connections_are_guarded_too(http_server: Server) -> None:
    port = int(http_server.server_address[1])
    with pytest.raises(BlockedAddress):
        GuardedBackend(False, ()).connect_tcp("localhost", port, timeout=2)
    stream = GuardedBackend(False, ("127.0.0.0/8", "::1/128")).connect_tcp("127.0.0.1", port, timeout=2)
    stream.close()
    fetcher = Fetcher(FetchOptions(per_host_delay_s=0, allow_private_addresses=True))
    pool = fetcher.client._transport._pool  # type: ignore[attr-defined]
    assert isinstance(pool._network_backend, GuardedBackend)


def test_guard_checks_every_redirect_hop(http_server: Server) -> None:
    opts = FetchOptions(per_host_delay_s=0, retries=0, allowed_networks=("127.0.0.0/8",))
    fetcher = Fetcher(opts)
    ok = fetcher.get(base(http_server) + "/redirect")
    assert isinstance(ok, Page) and ok.final_url.endswith("/utf8.html")
    blocked = fetcher.get(base(http_server) + "/redirect-private")
    assert isinstance(blocked, ReadFailure) and blocked.code == "blocked-address"
    assert "10.255.255.1" in blocked.message


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/missing.html", "http-404"),
        ("/500", "http-500"),
        ("/slow", "fetch-timeout"),
        ("/big", "too-large"),
        ("/endless", "too-large"),
        ("/redirect-loop", "too-many-redirects"),
    ],
)
def test_fetch_failures_have_reasons(http_server: Server, path: str, code: str) -> None:
    result = Fetcher(OPTS).get(base(http_server) + path)
    assert isinstance(result, ReadFailure), result
    assert result.code == code
    assert result.url == base(http_server) + path


def test_fetch_retries_5xx_and_429_then_succeeds(http_server: Server) -> None:
    fetcher = Fetcher(OPTS)
    for path in ("/flaky", "/throttled"):
        result = fetcher.get(base(http_server) + path)
        assert isinstance(result, Page), result
        assert http_server.counters[path] == 2
    before = http_server.counters.get("/500", 0)
    assert isinstance(fetcher.get(base(http_server) + "/500"), ReadFailure)
    assert http_server.counters["/500"] - before == 1 + OPTS.retries


def test_user_agent_and_per_host_delay(http_server: Server) -> None:
    fetcher = Fetcher(FetchOptions(per_host_delay_s=0.3, allow_private_addresses=True))
    t0 = time.monotonic()
    for _ in range(3):
        assert isinstance(fetcher.get(base(http_server) + "/utf8.html"), Page)
    assert time.monotonic() - t0 >= 0.6
    assert http_server.hits[-1][1] == USER_AGENT
    assert USER_AGENT.startswith("presswash/") and "(+http" in USER_AGENT


def test_url_list_fetches_once_across_two_passes(http_server: Server, tmp_path: Path) -> None:
    b = base(http_server)
    paths = ["/utf8.html", "/cp1252.html", "/koi8.html", "/sjis.html", "/nocharset.html", "/redirect",
             "/missing.html", "/image.png", "/slow"]
    listing = tmp_path / "list.urls"
    listing.write_text("# today's pages\n" + "\n".join(b + p for p in paths) + "\n\n" + b + "/utf8.html\n")
    source = open_source(str(listing), fetch=OPTS)
    assert isinstance(source, UrlListSource)
    first = list(source)
    hits_after_first = len(http_server.hits)
    second = list(source)
    assert len(http_server.hits) == hits_after_first  # the second pass reads the spool
    assert [i.id for i in first] == [i.id for i in second] == [b + p for p in paths]
    items = by_url(first)
    failures = {k[len(b):]: v.code for k, v in items.items() if isinstance(v, ReadFailure)}
    assert failures == {"/missing.html": "http-404", "/image.png": "not-html", "/slow": "fetch-timeout"}
    redirected = items[b + "/redirect"]
    assert isinstance(redirected, Document) and redirected.url == b + "/utf8.html"
    expected = {
        "/utf8.html": "Crème brûlée and naïve jokes.",
        "/cp1252.html": "Déjà vu – the council’s café.",
        "/koi8.html": "Городской совет обсудил бюджет библиотек.",
        "/sjis.html": "市議会は図書館の予算について議論しました。",
        "/nocharset.html": "El niño comió piñata.",
    }
    for path, phrase in expected.items():
        doc = items[b + path]
        assert isinstance(doc, Document) and isinstance(doc.html, bytes)
        result = clean_document(doc, __import__("cleaners").Config())
        assert result.ok, (path, result.rejected)
        assert phrase in result.text, (path, result.text[:200])
    spool = source.spool_path
    assert spool is not None and len(list(spool.iterdir())) == 7  # every 2xx body, the image included
    source.close()
    assert not spool.exists()


def test_blocked_urls_fail_one_by_one_without_aborting(http_server: Server, tmp_path: Path) -> None:
    b = base(http_server)
    listing = tmp_path / "list.urls"
    listing.write_text(f"{b}/utf8.html\nhttp://169.254.169.254/latest/meta-data/\nftp://x.example/f\n")
    items = list(open_source(str(listing), fetch=FetchOptions(per_host_delay_s=0)))
    assert [(type(i).__name__, getattr(i, "code", "")) for i in items] == [
        ("ReadFailure", "blocked-address"), ("ReadFailure", "blocked-address"), ("ReadFailure", "bad-url")]


def test_rss_feed_links_are_fetched_with_feed_metadata(http_server: Server) -> None:
    b = base(http_server)
    source = open_source(b + "/feed.xml", fetch=OPTS)
    assert isinstance(source, LinkedSource)
    items = list(source)
    assert [i.id for i in items] == [b + "/utf8.html", b + "/cp1252.html", b + "/missing.html"]
    first = items[0]
    assert isinstance(first, Document) and first.meta["title"] == "One" and "2026" in first.meta["date"]
    assert isinstance(items[2], ReadFailure) and items[2].code == "http-404"


def test_atom_feed(http_server: Server) -> None:
    b = base(http_server)
    items = list(LinkedSource(b + "/atom.xml", "feed", OPTS))
    assert [i.id for i in items] == [b + "/koi8.html", b + "/sjis.html"]
    assert all(isinstance(i, Document) for i in items)


def test_sitemap_index_with_gzip_child_and_failures(http_server: Server) -> None:
    b = base(http_server)
    items = list(open_source(b + "/sitemap.xml", fmt="sitemap", fetch=OPTS))
    ids = [i.id for i in items]
    # pages of child 1, child 2 (gzip; the repeated utf8.html is read once), then the missing child
    assert ids == [b + "/utf8.html", b + "/redirect", b + "/nocharset.html", b + "/sitemap-missing.xml"]
    assert isinstance(items[-1], ReadFailure) and items[-1].code == "http-404"
    assert isinstance(items[0], Document) and items[0].meta["date"] == "2026-11-20"


def test_hostile_or_broken_xml_is_a_failure_not_a_crash(http_server: Server) -> None:
    b = base(http_server)
    xxe = list(LinkedSource(b + "/xxe.xml", "sitemap", OPTS))
    assert [i.id for i in xxe] == [b + "/p?"]  # the external entity was not resolved (no /etc/passwd)
    bad = list(LinkedSource(b + "/notxml.xml", "auto", OPTS))
    assert [(type(i).__name__, getattr(i, "code", "")) for i in bad] == [("ReadFailure", "bad-xml")]
    wrong = list(LinkedSource(b + "/feed.xml", "sitemap", OPTS))
    assert [getattr(i, "code", "") for i in wrong] == ["bad-xml"]


def test_local_feed_file_and_auto_detected_page(http_server: Server, tmp_path: Path) -> None:
    b = base(http_server)
    feed = tmp_path / "news.rss"
    feed.write_bytes(routes(b)["/feed.xml"][2])  # type: ignore[index]
    assert [i.id for i in open_source(str(feed), fetch=OPTS)][:2] == [b + "/utf8.html", b + "/cp1252.html"]
    page = list(open_source(b + "/utf8.html", fetch=OPTS))
    assert len(page) == 1 and isinstance(page[0], Document) and page[0].url == b + "/utf8.html"


# the sitemap reaches /utf8.html twice (directly and through /redirect): the second copy is a duplicate
@pytest.mark.parametrize(("kind", "expected_written"), [("urls", 5), ("feed", 2), ("sitemap", 2)])
def test_cli_run_fetches_each_url_once(
    prefect_harness: None, http_server: Server, tmp_path: Path, kind: str, expected_written: int,
) -> None:
    from flows import reader
    from flows.cli import main

    b = base(http_server)
    if kind == "urls":
        paths = ["/utf8.html", "/cp1252.html", "/koi8.html", "/sjis.html", "/nocharset.html", "/missing.html",
                 "/image.png"]
        listing = tmp_path / "pages.txt"
        listing.write_text("\n".join(b + p for p in paths) + "\n")
        source = str(listing)
    else:
        source = b + ("/feed.xml" if kind == "feed" else "/sitemap.xml")
    before = dict(http_server.counters)
    run_id = f"http-{kind}"
    argv = ["run", source, str(tmp_path / "out"), "--input-format", kind, "--allow-private-addresses",
            "--fetch-delay", "0", "--fetch-timeout", "2", "--fetch-retries", "0", "--min-words", "10",
            "--quiet", "--run-id", run_id]
    assert main(argv) == 0
    # (read from the destination, not stdout: capsys streams are closed under Prefect's log handler)
    out = str(tmp_path / "out")
    manifest = reader.manifest(out, run_id)
    counts = manifest["counts"]
    assert counts["docs_in"] == counts["written"] + counts["rejected"] + counts["quarantined"] + counts["duplicates"]
    assert counts["written"] == expected_written, manifest["rejected_by_code"]
    assert counts["duplicates"] == (1 if kind == "sitemap" else 0)
    fetched = {p: n - before.get(p, 0) for p, n in http_server.counters.items() if n != before.get(p, 0)}
    # two passes over the source, one fetch per URL (the sitemap reaches /utf8.html also via /redirect)
    assert fetched and all(n == (2 if kind == "sitemap" and p == "/utf8.html" else 1)
                           for p, n in fetched.items()), fetched
    rows = list(reader.read_documents(out, run_id))
    assert all(r["url"].startswith(b) and r["text"] for r in rows)
    if kind == "urls":
        quarantined = list(reader.read_documents(out, run_id, table="quarantine"))
        assert {q["code"] for q in quarantined} == {"http-404", "not-html"}
        texts = {r["url"][len(b):]: r["text"] for r in rows}
        assert "Городской совет" in texts["/koi8.html"] and "市議会" in texts["/sjis.html"]
