"""Every response carries the security headers; the CSP allows no inline script."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from quarter.core.middleware import build_csp, tile_source
from quarter.people.models import User

pytestmark = pytest.mark.django_db


def _plain_paths(resolver=None, prefix: str = "") -> list[str]:
    """Return every URL of the project that takes no argument."""
    resolver = resolver or get_resolver()
    paths = []
    for entry in resolver.url_patterns:
        route = str(entry.pattern)
        if "<" in route or "(?P" in route or route.startswith("^"):
            continue
        if isinstance(entry, URLResolver):
            paths += _plain_paths(entry, prefix + route)
        elif isinstance(entry, URLPattern):
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def _directives(header: str) -> dict[str, list[str]]:
    out = {}
    for part in header.split(";"):
        name, *sources = part.split()
        out[name] = sources
    return out


def _assert_headers(response, path: str) -> None:
    csp = response.headers.get("Content-Security-Policy")
    assert csp, f"{path}: no Content-Security-Policy"
    policy = _directives(csp)
    assert policy["script-src"] == ["'self'"], path
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, path
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert "data:" in policy["img-src"]
    assert response.headers["X-Content-Type-Options"] == "nosniff", path
    assert response.headers["Referrer-Policy"] == "same-origin", path
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", path
    permissions = response.headers["Permissions-Policy"]
    assert "camera=(self)" in permissions and "geolocation=(self)" in permissions
    assert "microphone=()" in permissions and "payment=()" in permissions


def test_every_page_sends_security_headers_anonymous_and_as_admin():
    paths = _plain_paths()
    assert "/" in paths and "/map/" in paths and "/admin/" in paths
    admin = User.objects.create_superuser("root", password="a-strong-pass-2026")
    signed_in = Client()
    signed_in.force_login(admin)
    for client in (Client(), signed_in):
        seen_html = 0
        for path in paths:
            response = client.get(path)
            if response.headers.get("Content-Type", "").startswith("text/html"):
                seen_html += 1
            _assert_headers(response, path)
        assert seen_html > 5


def test_not_found_and_api_responses_carry_headers_too():
    client = Client()
    _assert_headers(client.get("/no-such-page/"), "404")
    _assert_headers(client.get("/api/openapi.json"), "openapi")


@override_settings(QUARTER_TILES="https://{s}.tile.example.cn/{z}/{x}/{y}.png")
def test_img_src_allows_configured_tile_server():
    response = Client().get("/")
    img = _directives(response.headers["Content-Security-Policy"])["img-src"]
    # Exactly the configured hosts: {s} expands to QUARTER_TILES_SUBDOMAINS.
    assert [h for h in img if "tile.example.cn" in h] == [
        "https://a.tile.example.cn",
        "https://b.tile.example.cn",
        "https://c.tile.example.cn",
    ]
    assert _directives(build_csp())["script-src"] == ["'self'"]


def test_tile_source_of_templates():
    assert tile_source("") is None
    assert tile_source("/tiles/{z}/{x}/{y}.png") is None
    assert tile_source("https://a.tiles.example/{z}/{x}/{y}.png") == (
        "https://a.tiles.example"
    )
    assert tile_source("http://{s}.t.example:8080/{z}/{x}/{y}") == (
        "http://*.t.example:8080"
    )
