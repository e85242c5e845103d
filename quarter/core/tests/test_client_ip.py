"""The client's address: one reader (`quarter.core.clientip`), proxy-aware."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from quarter.core.clientip import client_ip_of

ROOT = Path(__file__).resolve().parents[2]
READS_REMOTE_ADDR = re.compile(r"""(META|environ)\s*(\.get\(|\[)\s*["']REMOTE_ADDR""")


@pytest.mark.parametrize(
    ("header", "meta", "expected"),
    [
        ("", {"REMOTE_ADDR": "10.1.2.3", "HTTP_X_REAL_IP": "1.1.1.1"}, "10.1.2.3"),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "1.1.1.1"},
            "1.1.1.1",
        ),
        # The first address of a list; junk is nobody, never the raw text.
        (
            "HTTP_X_FORWARDED_FOR",
            {"HTTP_X_FORWARDED_FOR": "2.2.2.2, 127.0.0.1"},
            "2.2.2.2",
        ),
        (
            "HTTP_X_REAL_IP",
            {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "x'; --"},
            None,
        ),
        ("HTTP_X_REAL_IP", {"REMOTE_ADDR": "127.0.0.1"}, None),
        ("", {"REMOTE_ADDR": "::1"}, "::1"),
    ],
)
def test_client_address_comes_from_the_configured_header(
    settings, header, meta, expected
):
    settings.QUARTER_CLIENT_IP_HEADER = header
    assert client_ip_of(meta) == expected


def test_no_module_reads_remote_addr_but_the_one_reader():
    """A view reading REMOTE_ADDR itself would, behind a proxy, put every
    resident on the proxy's one address (one shared per-IP limit)."""
    readers = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if "tests" not in path.parts and READS_REMOTE_ADDR.search(path.read_text())
    ]
    assert readers == []
