# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Collect every page: VPC calls page with an opaque NextToken, KEC DescribeInstances with Marker/InstanceCount."""

from __future__ import annotations

from typing import Any, Callable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError


def collect_next_token(fetch: Callable[[Optional[str]], Mapping[str, Any]], key: str, what: str) -> List[Any]:
    """``fetch(token)`` returns one response dict; loops until no NextToken comes back."""
    items, token, seen = [], None, set()
    while True:
        response = fetch(token)
        items.extend(response.get(key) or [])
        token = response.get("NextToken")
        if not token:
            return items
        if token in seen:
            raise KsyunApiError(what, "PagingLoop", "the server returned NextToken %r twice" % token)
        seen.add(token)


def collect_marker(fetch: Callable[[int], Mapping[str, Any]], key: str, what: str) -> List[Any]:
    """``fetch(marker)`` returns one response dict; advances the offset by the page length until InstanceCount."""
    items, marker = [], 0
    while True:
        response = fetch(marker)
        page = response.get(key) or []
        items.extend(page)
        try:
            total = int(response.get("InstanceCount", len(items)))
        except (TypeError, ValueError):
            raise KsyunApiError(
                what, "InvalidResponse", "InstanceCount %r is not a number" % response.get("InstanceCount")
            ) from None
        if not page or len(items) >= total:
            return items
        marker += len(page)


def collect_offset(
    fetch: Callable[[int, int], Mapping[str, Any]], key: str, what: str, page_size: int, limit: int = 10000
) -> List[Any]:
    """``fetch(marker, page_size)`` returns one page (KCE: ``Marker`` is an offset, reference §1.6); the offset advances
    by the page's length until TotalCount items, an empty page, or (no TotalCount) a short page. The returned Marker is
    not trusted (its "0 when done" would loop on a server that echoes the request), as KSYUN's Terraform provider does.
    """
    items: List[Any] = []
    while True:
        response = fetch(len(items), page_size)
        page = response.get(key) or []
        items.extend(page)
        total, size = _number(response, "TotalCount", what), _number(response, "MaxResults", what)
        if not page or (total is not None and len(items) >= total):
            return items
        if total is None and len(page) < min(page_size, size or page_size):
            return items
        if len(items) >= limit:
            raise KsyunApiError(what, "PagingLoop", "more than %d items in pages of %d; stopped" % (limit, page_size))


def _number(response: Mapping[str, Any], name: str, what: str) -> Optional[int]:
    value = response.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise KsyunApiError(what, "InvalidResponse", "%s %r is not a number" % (name, value)) from None
