# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""1-based list and filter parameters for the SDK (a Python list would be flattened 0-based, reference §1.3)."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Mapping, Optional


def one_based(values: Optional[Iterable[Any]]) -> Optional[Dict[str, Any]]:
    """``["a", "b"]`` -> ``{"1": "a", "2": "b"}`` (the SDK flattens it to ``X.1=a&X.2=b``); None when empty."""
    if values is None:
        return None
    if isinstance(values, (str, bytes)):
        values = [values]
    items = [v for v in values if v is not None]
    return {str(i): v for i, v in enumerate(items, start=1)} or None


def filters(spec: Optional[Mapping[str, Any]], name_as_list: bool = False) -> Optional[Dict[str, Dict[str, Any]]]:
    """``{"vpc-id": "x", "subnet-id": ["a", "b"]}`` -> ``{"1": {"Name": "vpc-id", "Value": {"1": "x"}}, ...}``.

    ``name_as_list`` sends ``Filter.N.Name.1`` (the generated models' form for DescribeInstanceTypeConfigs).
    """
    if not spec:
        return None
    out = {}
    for index, (name, values) in enumerate(spec.items(), start=1):
        out[str(index)] = {"Name": {"1": name} if name_as_list else name, "Value": one_based(values)}
    return out
