"""The client's address, the one way every rate limit and audit record reads it.

Behind a reverse proxy REMOTE_ADDR is the proxy's own address: every resident
would share one per-IP limit (in a rush, 300 claims in 10 s for the whole
city). Set QUARTER_CLIENT_IP_HEADER to the META key of the header the proxy
overwrites with the client's address (e.g. HTTP_X_REAL_IP); only then is it
read, and only its first, well-formed address.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping

from django.conf import settings


def client_ip_of(meta: Mapping) -> str | None:
    """The client's address from a request's META or a WSGI environ, or None."""
    header = settings.QUARTER_CLIENT_IP_HEADER or "REMOTE_ADDR"
    raw = (meta.get(header) or "").split(",")[0].strip()
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


def client_ip(request) -> str | None:
    """`client_ip_of` a Django request (None for no request)."""
    if request is None:
        return None
    return client_ip_of(request.META)
