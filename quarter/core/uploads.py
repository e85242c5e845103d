"""Uploads stay in memory, never in a temporary file on disk.

Every upload Quarter takes is small (a shop photo, a resident roster) and some
carry personal data that must not linger on disk. The handler keeps at most
`limit + 1` bytes of each file and reports the file's real size, so the
service that reads it refuses a file that is too large with its own message.
"""

from __future__ import annotations

import io
import re
import uuid
from pathlib import PurePath

from django.conf import settings
from django.core.files.uploadedfile import InMemoryUploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.utils.deconstruct import deconstructible

from quarter.core import clock

_EXTENSION = re.compile(r"\.[a-z0-9]{1,5}")


def upload_limit() -> int:
    """Return the largest upload any page accepts, in bytes."""
    return max(settings.QUARTER_UPLOAD_MAX_BYTES, settings.QUARTER_REGISTER_MAX_BYTES)


class MemoryOnlyUploadHandler(FileUploadHandler):
    """Keep each uploaded file in memory; bytes past the limit are dropped."""

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        self.buffer = io.BytesIO()
        self.limit = upload_limit()

    def receive_data_chunk(self, raw_data, start):
        room = self.limit + 1 - self.buffer.tell()
        if room > 0:
            self.buffer.write(raw_data[:room])
        return None

    def file_complete(self, file_size):
        self.buffer.seek(0)
        return InMemoryUploadedFile(
            file=self.buffer,
            field_name=self.field_name,
            name=self.file_name,
            content_type=self.content_type,
            size=file_size,
            charset=self.charset,
            content_type_extra=self.content_type_extra,
        )


def keep_uploads_in_memory(request) -> None:
    """Make `request` parse its uploads in memory (before anything reads POST)."""
    if not hasattr(request, "_files"):
        request.upload_handlers = [MemoryOnlyUploadHandler(request)]


@deconstructible
class UnguessableName:
    """`upload_to` for photos of people's reports: `folder/YYYY/MM/<128-bit hex>.ext`.

    Uploads are served from /media/ by path; a resident's photo must not be
    found by guessing its original name ("IMG_0001.jpg"). Only the page that
    shows it (to who may see it) knows the random name.
    """

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __call__(self, instance, filename: str) -> str:
        extension = PurePath(filename).suffix.lower()
        if not _EXTENSION.fullmatch(extension):
            extension = ""
        month = clock.local_now().strftime("%Y/%m")
        return f"{self.folder}/{month}/{uuid.uuid4().hex}{extension}"

    def __eq__(self, other) -> bool:
        return isinstance(other, UnguessableName) and other.folder == self.folder

    def __hash__(self) -> int:
        return hash(self.folder)
