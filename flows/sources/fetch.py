"""A polite HTTP client with an SSRF guard: what URL lists, feeds and sitemaps fetch through.

Politeness: a bounded number of requests in flight, a minimum delay between requests to one host, a
timeout per request (connect, each read, and the whole body), a maximum body size, retries with
exponential backoff on 429, 5xx and connection errors (``Retry-After`` honoured up to a cap), and a
User-Agent that names presswash. Redirects are followed by hand so the guard checks every hop.

The guard resolves the host and refuses the URL if any address is private, loopback, link-local,
multicast, reserved or unspecified, unless ``allow_private_addresses`` is set. It runs twice: before
each request and redirect hop (so the failure names the URL), and again when the connection is opened
(``GuardedBackend``: the name is resolved once more, checked, and the socket connects to the checked
address), so a DNS answer that changes in between (DNS rebinding) cannot slip through. TLS still
verifies the certificate against the host name.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from importlib import metadata
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from .base import ReadFailure

PROJECT_URL = "https://github.com/presswash/presswash"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_RETRY_AFTER_S = 60.0
ACCEPT = "text/html,application/xhtml+xml,application/xml,*/*"
T = TypeVar("T")
R = TypeVar("R")


def _version() -> str:
    try:
        return metadata.version("presswash")
    except metadata.PackageNotFoundError:
        return "0"


USER_AGENT = f"presswash/{_version()} (+{PROJECT_URL})"


@dataclass(frozen=True)
class FetchOptions:
    """How to fetch: every politeness and safety knob, with defaults suited to crawling news sites."""

    concurrency: int = 4
    """Requests in flight at once (over all hosts)."""
    per_host_delay_s: float = 1.0
    """Minimum time between the starts of two requests to the same host."""
    timeout_s: float = 20.0
    """Limit for connecting, for each read, and for the whole response."""
    max_bytes: int = 10_000_000
    """Larger bodies are abandoned and recorded as ``too-large``."""
    retries: int = 3
    """Further attempts after a 429, a 5xx or a connection error."""
    backoff_s: float = 1.0
    """First retry delay; it doubles with each attempt."""
    max_redirects: int = 5
    allow_private_addresses: bool = False
    """Let the guard pass private, loopback and link-local addresses (tests, intranet crawls)."""
    allowed_networks: tuple[str, ...] = ()
    """Non-public networks the guard lets through all the same, e.g. ``("127.0.0.0/8",)``."""
    user_agent: str = USER_AGENT
    spool_dir: str | None = None
    """Where fetched bodies are kept between the two passes over a source (default: the temp dir)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> FetchOptions:
        if not data:
            return cls()
        unknown = set(data) - {f.name for f in fields(cls)}
        if unknown:
            raise ValueError(f"unknown fetch option(s): {', '.join(sorted(unknown))}")
        values = dict(data)
        if "allowed_networks" in values:
            values["allowed_networks"] = tuple(values["allowed_networks"])
        return cls(**values)


@dataclass(frozen=True)
class Page:
    """A fetched response body (status 2xx) with where it finally came from."""

    url: str
    final_url: str
    status: int
    content_type: str | None
    body: bytes


class FetchError(Exception):
    """A fetch that failed for good; ``code`` becomes the ReadFailure code."""

    def __init__(self, code: str, message: str, *, retryable: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


def checked_addresses(host: str, port: int, allow_private: bool, allowed: tuple[str, ...] = ()) -> list[str]:
    """The addresses ``host`` resolves to, all of them allowed by the guard; else FetchError."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise FetchError("dns-failed", f"cannot resolve {host!r}: {exc}") from exc
    addresses = [str(info[4][0]) for info in infos]
    if allow_private:
        return addresses
    for address in addresses:
        ip = ipaddress.ip_address(address.split("%")[0])
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if any(ip in ipaddress.ip_network(net, strict=False) for net in allowed):
            continue
        if not ip.is_global or ip.is_multicast or ip.is_reserved or ip.is_unspecified:
            raise FetchError("blocked-address", f"{host} resolves to non-public address {ip}")
    return addresses


def blocked_reason(host: str, port: int, allow_private: bool, allowed: tuple[str, ...] = ()) -> str | None:
    """Why the guard refuses ``host`` (None: allowed). Every address the name resolves to is checked."""
    try:
        checked_addresses(host, port, allow_private, allowed)
    except FetchError as exc:
        if exc.code == "blocked-address":
            return exc.message
        raise
    return None


class GuardedBackend(httpcore.NetworkBackend):
    """httpcore's network backend, connecting only to addresses the guard accepts."""

    def __init__(self, allow_private: bool, allowed: tuple[str, ...]) -> None:
        self.inner = httpcore.SyncBackend()
        self.allow_private = allow_private
        self.allowed = allowed

    def connect_tcp(
        self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = checked_addresses(host, port, self.allow_private, self.allowed)
        except FetchError as exc:
            if exc.code == "blocked-address":
                raise BlockedAddress(exc.message) from exc
            raise httpcore.ConnectError(exc.message) from exc
        # connect to the address that was checked, not to a fresh DNS answer
        return self.inner.connect_tcp(addresses[0], port, timeout, local_address, socket_options)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise BlockedAddress("unix sockets are not fetched")

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


class BlockedAddress(httpcore.ConnectError):
    """The guard refused an address at connection time."""


def _retry_after(value: str | None) -> float | None:
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(value))) if value else None
    except ValueError:
        return None


class Fetcher:
    """Fetches URLs politely; thread-safe, so one Fetcher serves a pool of workers."""

    def __init__(self, options: FetchOptions | None = None) -> None:
        self.options = options or FetchOptions()
        o = self.options
        self.client = httpx.Client(
            timeout=httpx.Timeout(o.timeout_s),
            follow_redirects=False,
            headers={"User-Agent": o.user_agent, "Accept": ACCEPT},
            limits=httpx.Limits(max_connections=max(1, o.concurrency)),
            trust_env=False,  # a proxy from the environment would bypass the address guard
        )
        pool = getattr(self.client._transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):  # httpcore's pool: guard each connect
            pool._network_backend = GuardedBackend(o.allow_private_addresses, o.allowed_networks)
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._host_next: dict[str, float] = {}

    def close(self) -> None:
        self.client.close()

    def _wait_turn(self, host: str) -> None:
        """Block until ``per_host_delay_s`` has passed since the last request to ``host`` started."""
        with self._lock:
            host_lock = self._host_locks.setdefault(host, threading.Lock())
        with host_lock:
            wait = self._host_next.get(host, 0.0) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._host_next[host] = time.monotonic() + self.options.per_host_delay_s

    def get(self, url: str) -> Page | ReadFailure:
        """Fetch ``url`` (with retries); failures come back as a ReadFailure with a reason code."""
        o = self.options
        for attempt in range(o.retries + 1):
            try:
                return self._get_once(url)
            except FetchError as exc:
                if not exc.retryable or attempt == o.retries:
                    return ReadFailure(url, url, exc.code, exc.message, url=url)
                delay = exc.retry_after if exc.retry_after is not None else o.backoff_s * 2**attempt
                time.sleep(delay)
        raise AssertionError("unreachable")

    def _get_once(self, url: str) -> Page:
        o = self.options
        current = url
        for _ in range(o.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise FetchError("bad-url", f"not an http(s) URL: {current!r}")
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError as exc:
                raise FetchError("bad-url", f"bad port in {current!r}") from exc
            if reason := blocked_reason(parts.hostname, port, o.allow_private_addresses, o.allowed_networks):
                raise FetchError("blocked-address", reason)
            self._wait_turn(parts.hostname)
            try:
                with self.client.stream("GET", current) as resp:
                    location = resp.headers.get("Location")
                    if resp.status_code in REDIRECTS and location:
                        current = urljoin(current, location)
                        continue
                    return self._read(url, current, resp)
            except httpx.ConnectError as exc:
                if isinstance(exc.__cause__, BlockedAddress) or "non-public address" in str(exc):
                    raise FetchError("blocked-address", str(exc)) from exc
                raise FetchError("connection-failed", f"{type(exc).__name__}: {exc}", retryable=True) from exc
            except httpx.ConnectTimeout as exc:
                raise FetchError("fetch-timeout", f"connect timeout: {exc}", retryable=True) from exc
            except httpx.TimeoutException as exc:
                raise FetchError("fetch-timeout", f"no response within {o.timeout_s}s: {exc}") from exc
            except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
                raise FetchError("connection-failed", f"{type(exc).__name__}: {exc}", retryable=True) from exc
            except (httpx.HTTPError, httpx.InvalidURL, UnicodeError, ValueError) as exc:
                raise FetchError("fetch-failed", f"{type(exc).__name__}: {exc}") from exc
        raise FetchError("too-many-redirects", f"more than {o.max_redirects} redirects from {url}")

    def _read(self, url: str, final_url: str, resp: httpx.Response) -> Page:
        o = self.options
        status = resp.status_code
        if status == 429 or status >= 500:
            raise FetchError(f"http-{status}", f"HTTP {status} from {final_url}", retryable=True,
                             retry_after=_retry_after(resp.headers.get("Retry-After")))
        if status >= 300:
            raise FetchError(f"http-{status}", f"HTTP {status} from {final_url}")
        declared = resp.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > o.max_bytes:
            raise FetchError("too-large", f"Content-Length {declared} > max {o.max_bytes} bytes")
        deadline = time.monotonic() + o.timeout_s
        body = bytearray()
        for chunk in resp.iter_bytes():
            body += chunk
            if len(body) > o.max_bytes:
                raise FetchError("too-large", f"body over {o.max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchError("fetch-timeout", f"body not complete within {o.timeout_s}s")
        return Page(url, final_url, status, resp.headers.get("Content-Type"), bytes(body))


def ordered_map(fn: Callable[[T], R], items: Iterable[T], workers: int) -> Iterator[R]:
    """``map(fn, items)`` on a thread pool, results in input order, at most ``4 * workers`` pending."""
    window = max(1, workers) * 4
    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="presswash-fetch") as pool:
        pending: list[Future[R]] = []
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.pop(0).result()
        for future in pending:
            yield future.result()
