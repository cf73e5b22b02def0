# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Small helpers over a ``kubernetes.dynamic.DynamicClient`` (duck-typed, so this file imports no client library)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Dict, Optional


def as_dict(obj: Any) -> Dict[str, Any]:
    """A plain camelCase dict of an API object (a dynamic ResourceInstance, a dict, or None)."""
    if obj is None:
        return {}
    if isinstance(obj, dict):
        return obj
    return obj.to_dict()


def status_of(exc: BaseException) -> Optional[int]:
    """HTTP status of an API error from the dynamic client (or the typed client), else None."""
    return getattr(exc, "status", None)


def unreachable(exc: BaseException) -> bool:
    """Whether exc is the HTTP library's failure to reach the API server at all (refused, reset, timed out) rather than
    an answer of the server: an error of urllib3 (the kubernetes client's transport), recognised by its module."""
    return status_of(exc) is None and any(cls.__module__.split(".")[0] == "urllib3" for cls in type(exc).__mro__)


def resource(kube: Any, api_version: str, kind: str) -> Any:
    return kube.resources.get(api_version=api_version, kind=kind)


def get_or_none(
    kube: Any, api_version: str, kind: str, name: str, namespace: Optional[str] = None
) -> Optional[Dict[str, Any]]:
    """The object as a dict, or None when the API answers 404."""
    try:
        return as_dict(resource(kube, api_version, kind).get(name=name, namespace=namespace))
    except Exception as exc:  # the dynamic client raises NotFoundError, whose module may differ
        if status_of(exc) == 404:
            return None
        raise


def micro_time(moment: datetime) -> str:
    """MicroTime, the format of Lease renewTime/acquireTime."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: Optional[str]) -> Optional[datetime]:
    """An RFC3339 (micro)time from the API, or None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def error_text(exc: BaseException) -> str:
    """One readable line for an error: the API's message for a Kubernetes API error, else the error's own text."""
    summary = getattr(exc, "summary", None)
    if callable(summary) and status_of(exc) is not None:
        return "HTTP %s: %s" % (status_of(exc), " ".join(str(summary()).split()))
    return " ".join(str(exc).split()) or type(exc).__name__
