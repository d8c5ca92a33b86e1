"""Links taken from a feed never reach this machine or its network unless the
feed itself is served from there.

The rule is a function of two addresses (tested over the ranges that matter);
the fetch applies it to every address a link's host name resolves to before
connecting, and again to the address actually connected to. End to end, real
servers: one on 127.0.0.1 and one on this machine's private (non-loopback)
address, each serving a feed that links to the other."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from articles.web import fetch as web
from articles.web.fetch import FetchError, address_kind, host_kinds, link_allowed, make_client
from conftest import LocalServer

ROOT = Path(__file__).resolve().parent.parent
PAGE = (b"<html><head><title>Pier report</title></head><body><article>"
        + b"<p>The harbour board met on Tuesday and agreed to rebuild the northern pier before winter.</p>" * 6
        + b"</article></body></html>")


@pytest.mark.parametrize("ip, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("::1", "loopback"), ("0.0.0.0", "loopback"),
    ("::ffff:127.0.0.1", "loopback"),
    ("169.254.169.254", "link-local"), ("fe80::1", "link-local"),
    ("10.1.2.3", "private"), ("172.16.0.1", "private"), ("172.31.255.254", "private"),
    ("192.168.1.1", "private"), ("fc00::1", "private"), ("fd12:3456::1", "private"),
    ("::ffff:192.168.0.1", "private"),
    ("93.184.216.34", "public"), ("172.32.0.1", "public"), ("2606:4700::1111", "public"),
])
def test_address_kinds(ip, kind):
    assert address_kind(ip) == kind


def test_a_public_feed_may_link_only_to_public_addresses():
    public = {"public"}
    assert link_allowed(public, "public")
    for kind in ("loopback", "link-local", "private"):
        assert not link_allowed(public, kind)
    # A feed on this machine may link to this machine, not to the local network.
    assert link_allowed({"loopback"}, "loopback") and not link_allowed({"loopback"}, "private")
    assert link_allowed({"private"}, "private") and not link_allowed({"private"}, "loopback")


def test_a_host_name_is_resolved_before_connecting():
    assert set(host_kinds("localhost").values()) == {"loopback"}


def test_a_link_to_localhost_is_refused_without_a_request(local_server):
    local_server.routes["/page"] = (200, {"Content-Type": "text/html"}, PAGE)
    port = local_server.httpd.server_address[1]
    with make_client(5) as client:
        for url in (local_server.url("/page"), f"http://localhost:{port}/page"):
            with pytest.raises(FetchError) as err:
                web.fetch(client, url, allow=set())
            assert err.value.kind == "refused" and "loopback" in err.value.reason
        assert local_server.requests_for("/page") == []
        # The same link is fetched for a feed on this machine.
        assert web.fetch(client, local_server.url("/page"), allow={"loopback"}).status == 200


def test_a_name_that_resolves_elsewhere_on_connecting_is_refused(local_server, monkeypatch):
    # The name looked public when checked, then the connection went to 127.0.0.1
    # (a rebinding name server): the connected address is checked too.
    local_server.routes["/page"] = (200, {"Content-Type": "text/html"}, PAGE)
    monkeypatch.setattr(web, "host_kinds", lambda host: {"93.184.216.34": "public"})
    with make_client(5) as client, pytest.raises(FetchError) as err:
        web.fetch(client, local_server.url("/page"), allow=set())
    assert err.value.kind == "refused" and "127.0.0.1" in err.value.reason
    assert local_server.requests_for("/page") == []


def _private_address() -> str | None:
    """An address of this machine that is private but not loopback, or None."""
    for family, probe in ((socket.AF_INET, "10.255.255.255"), (socket.AF_INET6, "fd00::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as s:
                s.connect((probe, 9))  # no packet is sent: this only picks a source address
                ip = s.getsockname()[0]
        except OSError:
            continue
        if address_kind(ip) == "private":
            return ip
    return None


def _feed(base: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>Pier item {i}</title><link>{u}</link><guid>pier-{i}</guid>"
                    f"<description>Teaser {i}.</description></item>" for i, u in enumerate(links))
    return (f'<?xml version="1.0"?><rss version="2.0"><channel><title>Pier news</title>'
            f"<link>{base}/</link>{items}</channel></rss>").encode()


def _refresh(lib: Path, feed_url: str) -> dict:
    def run(*args):
        return subprocess.run([sys.executable, str(ROOT / "main.py"), "--library", str(lib), *args],
                              capture_output=True, text=True, timeout=120, cwd=ROOT)

    assert run("feeds", "add", feed_url).returncode == 0
    out = run("refresh", "--no-entities", "--json")
    assert "Traceback" not in out.stderr
    return json.loads(out.stdout)


def test_feed_links_across_address_kinds_are_refused_end_to_end(local_server, tmp_path):
    ip = _private_address()
    if ip is None:
        pytest.skip("this machine has no private non-loopback address to serve a second server on")
    lan = LocalServer(ip)
    try:
        for s in (local_server, lan):
            s.routes["/page"] = (200, {"Content-Type": "text/html"}, PAGE)
        # A feed on 127.0.0.1: its link to 127.0.0.1 is fetched, its link to the
        # private address is not (no request reaches that server).
        local_server.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                            _feed(local_server.base, [local_server.url("/page"), lan.url("/page")]))
        doc = _refresh(tmp_path / "a", local_server.url("/feed.xml"))
        [feed] = doc["feeds"]
        assert feed["added"] == 2 and feed["pages_fetched"] == 1
        assert lan.requests_for("/page") == []
        assert any("private address" in w and lan.url("/page") in w for w in feed["warnings"]), feed
        # A feed on the private address: its link to 127.0.0.1 is refused.
        lan.routes["/feed.xml"] = (200, {"Content-Type": "application/rss+xml"},
                                   _feed(lan.base, [local_server.url("/page") + "?from=lan"]))
        before = len(local_server.requests_for("/page"))
        doc = _refresh(tmp_path / "b", lan.url("/feed.xml"))
        [feed] = doc["feeds"]
        assert feed["added"] == 1 and feed["pages_fetched"] == 0
        assert len(local_server.requests_for("/page")) == before
        assert any("loopback address" in w for w in feed["warnings"]), feed
    finally:
        lan.close()
