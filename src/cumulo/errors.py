"""The one exception hierarchy of cumulo.

Every error a user can cause maps to an HTTP status (``http_status``) so the
API renders it as INDIGO does: ``{"code", "title", "message"}``. Code below
the API raises these and never builds responses itself.
"""

from __future__ import annotations


class CumuloError(Exception):
    """Base of every error cumulo raises on purpose."""

    http_status: int = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class BadRequest(CumuloError):
    """The request is malformed or its content is invalid (400)."""

    http_status = 400


class Unauthorized(CumuloError):
    http_status = 401


class Forbidden(CumuloError):
    http_status = 403


class NotFound(CumuloError):
    http_status = 404


class Conflict(CumuloError):
    """The request is valid but not in the current state (409)."""

    http_status = 409


class UnsupportedMediaType(CumuloError):
    http_status = 415


class ToscaError(BadRequest):
    """A TOSCA template or its parameters are invalid.

    ``issues`` holds every problem found (``cumulo.tosca.issues.Issue``), not
    only the first; the message summarises them with their locations.
    """

    def __init__(self, issues: list, message: str | None = None) -> None:
        self.issues = list(issues)
        if message is None:
            errors = [i for i in self.issues if getattr(i, "is_error", True)]
            message = "\n".join(str(i) for i in errors) or "invalid TOSCA template"
        super().__init__(message)


class SiteError(CumuloError):
    """A site (cloud backend) failed to do what was asked."""

    http_status = 502


class ImageNotFound(SiteError):
    """The requested image does not exist on the site."""


class DriverTimeout(SiteError):
    """A node did not become ready in time."""

    http_status = 504


class InvalidTransition(Conflict):
    """A status change the transition table (``cumulo.engine.states``) forbids."""
