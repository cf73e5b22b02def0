# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Errors raised by the KSYUN client and the helpers that classify them (modules turn them into fail_json)."""

from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

NETWORK_ERROR = "ClientNetworkError"

_THROTTLE_MARKERS = ("throttl", "requestlimitexceeded", "toomanyrequests", "ratelimit", "limitexceeded.request")
_SERVER_MARKERS = ("internal_failure", "internalfailure", "internalerror", "serviceunavailable")
# Terraform's notFoundError also matches "invalid", which would misread InvalidParameterValue; left out on purpose.
_NOT_FOUND_MARKERS = ("notfound", "not found", "not_found", "not exist", "does not exist")
_IN_USE_MARKERS = ("inuse", "in use", "in_use", "already attached", "is attached")
_QUOTA_MARKERS = ("quotaexceeded", "quota exceeded", "limitexceeded")


class KsyunError(Exception):
    """Base class of everything this client raises."""


class KsyunConfigError(KsyunError, ValueError):
    """Missing or invalid credentials, region, endpoint or SDK; the message says which setting to fix."""


class KsyunApiError(KsyunError):
    """A failed API call: ``Failed to <verb> <thing>: <code>: <message> (request <id>)``."""

    def __init__(
        self,
        what: str,
        code: Optional[str],
        message: Optional[str],
        request_id: Optional[str] = None,
        status: Optional[int] = None,
        retryable: bool = False,
        attempts: int = 1,
        action: Optional[str] = None,
        ambiguous: bool = False,
    ) -> None:
        self.what = what
        self.code = code or "UnknownError"
        self.message = message or ""
        self.request_id = request_id
        self.status = status
        self.retryable = retryable
        self.attempts = attempts
        self.action = action
        self.ambiguous = ambiguous
        super().__init__(str(self))

    def __str__(self):
        text = "Failed to %s: %s: %s (request %s)" % (self.what, self.code, self.message, self.request_id or "unknown")
        if self.ambiguous:
            text += "; the connection failed after the request was sent, so it may have been applied: describe the resource before retrying"
        if self.attempts > 1:
            text += " [gave up after %d attempts]" % self.attempts
        return text

    def __repr__(self):
        return "KsyunApiError(action=%r, code=%r, status=%r, request_id=%r, retryable=%r, attempts=%r)" % (
            self.action,
            self.code,
            self.status,
            self.request_id,
            self.retryable,
            self.attempts,
        )


class KsyunTimeoutError(KsyunError):
    """A wait for a resource state ran out of time; the message names the resource and its last state."""


class KsyunGoneError(KsyunTimeoutError):
    """The resource waited for was deleted meanwhile."""


class KsyunStateError(KsyunError):
    """The resource waited for reached a failed state; the message names it, the goal and what the platform said."""


def _text(code, message):
    return ("%s %s" % (code or "", message or "")).lower()


def classify_retryable(status: Optional[int], code: Optional[str], message: Optional[str]) -> bool:
    """Throttling, 5xx and network failures may succeed later; any other 4xx never will."""
    text = _text(code, message)
    if code == NETWORK_ERROR or any(m in text for m in _THROTTLE_MARKERS):
        return True
    if status is not None and (status == 429 or status >= 500):
        return True
    return any(m in (code or "").lower() for m in _SERVER_MARKERS)


def is_throttled(err: BaseException) -> bool:
    return isinstance(err, KsyunApiError) and (
        err.status == 429 or any(m in _text(err.code, err.message) for m in _THROTTLE_MARKERS)
    )


def is_not_found(err: BaseException) -> bool:
    """HTTP 404 or a not-found code/message (classified by substring, as KSYUN's Terraform provider does: docs/sandbox.md, Error codes)."""
    if not isinstance(err, KsyunApiError):
        return False
    return err.status == 404 or any(m in _text(err.code, err.message) for m in _NOT_FOUND_MARKERS)


def is_in_use(err: BaseException) -> bool:
    return isinstance(err, KsyunApiError) and any(m in _text(err.code, err.message) for m in _IN_USE_MARKERS)


def is_quota_exceeded(err: BaseException) -> bool:
    return (
        isinstance(err, KsyunApiError)
        and any(m in _text(err.code, err.message) for m in _QUOTA_MARKERS)
        and not is_throttled(err)
    )


def first_or_none(read: Callable[[], Sequence[Any]]) -> Any:
    """The one not-found rule of every getter: an empty answer and a not-found error both mean the resource does not exist."""
    try:
        found = read()
    except KsyunApiError as err:
        if is_not_found(err):
            return None
        raise
    return found[0] if found else None
