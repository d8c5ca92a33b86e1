"""Careful HTTP fetching for feeds and saved pages.

Everything fetched here comes from servers we do not control, so every request is
bounded: a timeout on connecting and on each read (a stalled server fails instead of
hanging), an overall deadline (a server dripping one byte at a time fails too), a cap
on the decoded body size enforced while streaming (a gzip bomb or an endless body
stops at the cap), and a limit on redirects with loop detection.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

USER_AGENT = "Newsdesk/0.1 (+terminal news reader)"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_BYTES = 5_000_000
MAX_REDIRECTS = 5
# The whole request (connect, headers and body) may take this many times the
# per-read timeout before it is abandoned; generous enough for a big page on a slow
# link, short enough that a server dripping its headers cannot hold a refresh.
DEADLINE_FACTOR = 3

_REDIRECT_CODES = {301, 302, 303, 307, 308}


class FetchError(Exception):
    """A fetch that failed, with a short reason fit to show the user.

    ``kind`` is one of: ``dns``, ``connect``, ``timeout``, ``http``, ``too-large``,
    ``redirect``, ``url``, ``network``, ``refused`` (a private address not allowed).
    """

    def __init__(self, kind: str, reason: str, status: int | None = None):
        super().__init__(reason)
        self.kind = kind
        self.reason = reason
        self.status = status


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes = b""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


# The deadline of the request the current thread is making (time.monotonic()), or
# None.  httpx's timeouts are per socket operation, so a server sending one header
# byte inside every read timeout never trips them; every socket operation below is
# therefore also cut to the time left before this deadline.
_deadline = threading.local()


@contextmanager
def deadline(at: float | None):
    """Bound every request this thread makes inside the block by ``at``
    (time.monotonic()): a whole refresh's time limit, on top of each request's own."""
    outer = getattr(_deadline, "at", None)
    if at is not None:
        _deadline.at = at if outer is None else min(outer, at)
    try:
        yield
    finally:
        _deadline.at = outer


def _time_left(timeout: float | None) -> float | None:
    end = getattr(_deadline, "at", None)
    if end is None:
        return timeout
    left = end - time.monotonic()
    if left <= 0:
        raise httpcore.ReadTimeout("request deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, inner: httpcore.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _time_left(timeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context, server_hostname=None, timeout=None):
        return _DeadlineStream(self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout)))

    def get_extra_info(self, info: str):
        return self._inner.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, inner: httpcore.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        stream = self._inner.connect_tcp(host, port, _time_left(timeout), local_address, socket_options)
        _check_peer(stream)
        return _DeadlineStream(stream)

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        return _DeadlineStream(self._inner.connect_unix_socket(path, _time_left(timeout), socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


# -- private addresses ------------------------------------------------------------
# A link taken from a feed is the feed author's choice, not the user's: a feed on
# the internet must not make Newsdesk request pages on this machine or its network
# (a router's admin page, a local service). Each address has a kind; a link may
# be fetched when its address is public or of a kind the feed itself is on.

PUBLIC = "public"


def address_kind(ip: str) -> str:
    """``loopback``, ``link-local``, ``private`` or ``public`` for an IP address."""
    addr = ipaddress.ip_address(ip.split("%", 1)[0])
    mapped = getattr(addr, "ipv4_mapped", None)
    if mapped is not None:
        addr = mapped
    if addr.is_loopback or addr.is_unspecified:
        return "loopback"  # 0.0.0.0 and :: reach this machine too
    if addr.is_link_local:
        return "link-local"
    if addr.is_private or addr.is_reserved or addr.is_multicast or getattr(addr, "is_site_local", False):
        return "private"
    return PUBLIC


def link_allowed(feed_kinds: set[str], link_kind: str) -> bool:
    """Whether a link whose address is of ``link_kind`` may be fetched for a feed
    served from addresses of ``feed_kinds``."""
    return link_kind == PUBLIC or link_kind in feed_kinds


def host_kinds(host: str) -> dict[str, str]:
    """Every address ``host`` resolves to, with its kind (the name is resolved
    here, before any connection is made)."""
    host = host.strip("[]")
    try:
        return {host: address_kind(host)}
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError("dns", f"DNS lookup failed for {host}") from exc
    return {str(info[4][0]): address_kind(str(info[4][0])) for info in infos}


# The address kinds the current thread's request may connect to besides public
# ones (None: any). Checked before connecting and again on the connected socket,
# so a name that resolves differently the second time gains nothing.
_guard = threading.local()


def _check_peer(stream) -> None:
    allowed = getattr(_guard, "allowed", None)
    if allowed is None:
        return
    sock = stream.get_extra_info("socket")
    try:
        peer = sock.getpeername()[0] if sock is not None else None
    except OSError:
        peer = None
    if peer is None:
        return
    kind = address_kind(peer)
    if not link_allowed(allowed, kind):
        stream.close()
        raise FetchError("refused", f"not fetched: it is on a {kind} address ({peer}) and the feed is not")


def _check_host(url: str, allowed: set[str]) -> None:
    host = urlsplit(url).hostname or ""
    for ip, kind in host_kinds(host).items():
        if not link_allowed(allowed, kind):
            raise FetchError("refused", f"not fetched: {host} is a {kind} address ({ip}) and the feed is not")


def make_client(timeout: float = DEFAULT_TIMEOUT, max_connections: int = 16) -> httpx.Client:
    """A client meant to be shared by worker threads (httpx.Client is thread-safe)."""
    limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
    transport = httpx.HTTPTransport(limits=limits)
    # httpx has no public hook for the network backend (httpx and httpcore are pinned).
    pool = transport._pool
    pool._network_backend = _DeadlineBackend(pool._network_backend)
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,  # followed by hand in fetch() to detect loops
        headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
        transport=transport,
    )


def check_url(url: str) -> str:
    """Return ``url`` stripped if it is an absolute http(s) URL, else raise FetchError."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise FetchError("url", f"not an http(s) URL: {url!r}")
    return url


def fetch(
    client: httpx.Client,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_redirects: int = MAX_REDIRECTS,
    timeout: float | None = None,
    allow: set[str] | None = None,
) -> Response:
    """GET ``url`` following redirects; return the final response with its body.

    A 304 is returned as a Response (``not_modified``); any other non-2xx status,
    and every network failure, raises FetchError with a readable reason.
    ``allow``: the address kinds (see address_kind) this request may reach besides
    public ones, for a link taken from a feed; every hop is checked.
    """
    url = check_url(url)
    per_read = timeout if timeout is not None else _client_read_timeout(client)
    end = time.monotonic() + per_read * DEADLINE_FACTOR
    outer = getattr(_deadline, "at", None)
    cut_short = outer is not None and outer < end  # a whole refresh's limit comes first
    if cut_short and outer <= time.monotonic():
        raise FetchError("timeout", "not fetched: the time limit ran out")
    _deadline.at = end if outer is None else min(outer, end)
    guarded = getattr(_guard, "allowed", None)
    _guard.allowed = None if allow is None else set(allow)
    try:
        return _fetch(client, url, headers, max_bytes, max_redirects, per_read, _deadline.at)
    finally:
        _deadline.at = outer
        _guard.allowed = guarded


def _fetch(client, url, headers, max_bytes, max_redirects, per_read, deadline) -> Response:
    seen = [url]
    while True:
        allowed = getattr(_guard, "allowed", None)
        if allowed is not None:
            _check_host(url, allowed)
        try:
            with client.stream("GET", url, headers=headers or {}) as resp:
                status = resp.status_code
                if status in _REDIRECT_CODES and "location" in resp.headers:
                    target = urljoin(url, resp.headers["location"].strip())
                    if target in seen:
                        raise FetchError(
                            "redirect",
                            f"redirect loop: {' -> '.join(seen + [target])}",
                            status,
                        )
                    if len(seen) > max_redirects:
                        raise FetchError("redirect", f"more than {max_redirects} redirects", status)
                    seen.append(check_url(target))
                    url = target
                    continue
                if status == 304:
                    return Response(url, status, dict(resp.headers))
                if not 200 <= status < 300:
                    phrase = resp.reason_phrase or ""
                    raise FetchError("http", f"HTTP {status} {phrase}".strip(), status)
                content = _read_capped(resp, url, max_bytes, deadline)
                return Response(url, status, dict(resp.headers), content)
        except FetchError:
            raise
        except httpx.TimeoutException as exc:
            if time.monotonic() >= deadline:
                raise FetchError("timeout", f"gave up after {per_read * DEADLINE_FACTOR:g}s "
                                 "(the server was too slow)") from exc
            raise FetchError("timeout", f"timed out after {per_read:g}s ({_what(exc)})") from exc
        except httpx.ConnectError as exc:
            raise _connect_error(url, exc) from exc
        except (httpx.DecodingError, httpx.RemoteProtocolError) as exc:
            raise FetchError("network", f"bad response: {exc}") from exc
        except httpx.HTTPError as exc:
            raise FetchError("network", f"network error: {exc}") from exc


def _read_capped(resp: httpx.Response, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = resp.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchError("too-large", f"response too large ({int(declared):,} bytes, limit {max_bytes:,})")
    chunks: list[bytes] = []
    total = 0
    # iter_bytes yields *decoded* bytes, so the cap also bounds decompressed size.
    for chunk in resp.iter_bytes():
        total += len(chunk)
        if total > max_bytes:
            raise FetchError("too-large", f"response too large (over {max_bytes:,} bytes)")
        if time.monotonic() > deadline:
            raise FetchError("timeout", "download took too long (the server was too slow)")
        chunks.append(chunk)
    return b"".join(chunks)


def _client_read_timeout(client: httpx.Client) -> float:
    read = client.timeout.read
    return read if read is not None else DEFAULT_TIMEOUT


def _what(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connecting",
        httpx.ReadTimeout: "waiting for data",
        httpx.WriteTimeout: "sending",
        httpx.PoolTimeout: "waiting for a connection",
    }.get(type(exc), "request")


def _connect_error(url: str, exc: httpx.ConnectError) -> FetchError:
    host = urlsplit(url).hostname or url
    cause = exc.__cause__ or exc.__context__
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if isinstance(cause, socket.gaierror) or any(
        s in text
        for s in ("name or service not known", "nodename nor servname", "temporary failure in name resolution", "getaddrinfo")
    ):
        return FetchError("dns", f"DNS lookup failed for {host}")
    if "refused" in text:
        return FetchError("connect", f"connection refused by {host}")
    return FetchError("connect", f"could not connect to {host}: {exc}")
