"""Paging as the two APIs do it: VPC ``MaxResults``/``NextToken`` (opaque), KEC ``MaxResults``/``Marker`` (offset)."""

import base64

from .errors import invalid


def _token(offset):
    # Same shape as the one real token seen in the wild ("OA==" is base64 of "8", [C:S10]).
    return base64.b64encode(str(offset).encode()).decode()


def _offset(token):
    try:
        value = int(base64.b64decode(token.encode(), validate=True).decode())
    except (ValueError, UnicodeDecodeError):
        raise invalid("NextToken", token, "not a token returned by a previous page") from None
    if value < 0:
        raise invalid("NextToken", token, "not a token returned by a previous page")
    return value


def next_token_page(params, items, default_size):
    """``(page, response fields)`` for the VPC calls; NextToken only when more remain."""
    size = params.int("MaxResults", default=default_size, minimum=1, maximum=1000)
    token = params.str("NextToken")
    start = _offset(token) if token else 0
    page = items[start : start + size]
    extra = {"TotalCount": len(items)}
    if start + size < len(items):
        extra["NextToken"] = _token(start + size)
    return page, extra


def marker_page(params, items, default_size):
    """``(page, response fields)`` for KEC DescribeInstances: Marker is the offset of the next page."""
    size = params.int("MaxResults", default=default_size, minimum=5, maximum=1000)
    start = params.int("Marker", default=0, minimum=0)
    page = items[start : start + size]
    return page, {"Marker": start + len(page), "InstanceCount": len(items)}


def matches(filters, getters):
    """True when every ``(name, values)`` filter has a value in ``getters[name]()`` (values OR, filters AND)."""
    for name, values in filters:
        have = getters[name]()
        have = set(have) if isinstance(have, (list, set, tuple)) else {have}
        if not have & set(values):
            return False
    return True
