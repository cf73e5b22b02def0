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
