"""Serving uploads under /media/: shop photos to anyone, people's photos only to
whom may see what they belong to.

Each app says, in its `access.py`, who may read the files of its upload
folder:

    media.public("merchants/")                       # a shop's own photos
    media.protect("civic/", may_read_civic_photo)    # (actor, name) -> bool

A file in a protected folder is served only when its guard allows the actor,
with `Cache-Control: private` so no shared cache keeps it; otherwise the
answer is 404, which says nothing about whether it exists. A file in a folder
nobody declared is never served: fail closed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.views.static import serve

Guard = Callable[[object, str], bool]

_PUBLIC: set[str] = set()
_GUARDS: dict[str, Guard] = {}


def public(folder: str) -> None:
    """Serve every file under `folder` (e.g. "merchants/") to anyone."""
    _PUBLIC.add(_folder(folder))


def protect(folder: str, guard: Guard) -> None:
    """Serve files under `folder` only to actors `guard(actor, name)` allows."""
    _GUARDS[_folder(folder)] = guard


def _folder(folder: str) -> str:
    return folder.strip("/") + "/"


def serve_upload(request: HttpRequest, path: str) -> HttpResponse:
    """The /media/ view: check the folder's rule, then send the file."""
    name = posixpath.normpath(path).lstrip("/")
    if name.startswith("..") or name != path.lstrip("/"):
        raise Http404("no such file")
    folder = name.split("/", 1)[0] + "/"
    if folder in _PUBLIC:
        return serve(request, name, document_root=settings.MEDIA_ROOT)
    guard = _GUARDS.get(folder)
    if guard is None or not guard(request.user, name):
        raise Http404("no such file")
    response = serve(request, name, document_root=settings.MEDIA_ROOT)
    response["Cache-Control"] = "private, max-age=3600"
    response["Vary"] = "Cookie"
    return response
