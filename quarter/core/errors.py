"""The one domain exception every service raises,
turned into one error shape at the edges."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A refusal a user can understand and act on.

    `code` is stable (an app's `errors.py` StrEnum value); `message` is in the
    user's language and may change; `field` names the input at fault, if any.
    """

    status_code = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        field: str | None = None,
        params: dict[str, Any] | None = None,
        status_code: int | None = None,
    ) -> None:
        super().__init__(str(message))
        self.code = str(code)
        self.message = str(message)
        self.field = field
        self.params = params or {}
        if status_code is not None:
            self.status_code = status_code

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "field": self.field, "message": self.message}


class PermissionDenied(DomainError):
    """The actor may not do this to this object."""

    status_code = 403


class NotFound(DomainError):
    status_code = 404
