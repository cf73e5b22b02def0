# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ref: a value a plan cannot know yet because an earlier action of the same plan creates it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError

NEW_ENI = "new-eni"
NEW_EIP = "new-eip"


@dataclass(frozen=True)
class Ref:
    """An attribute (eni_id, primary_ip, mac) of the ENI that CreateEni(ref=name) returns, or (allocation_id, public_ip)
    of the EIP that AllocateEip(ref=name) returns."""

    name: str = NEW_ENI
    attribute: str = "eni_id"

    def __str__(self) -> str:
        return "<%s.%s>" % (self.name, self.attribute)


def resolve(value: Any, results: Mapping[str, Any]) -> Any:
    """The concrete value of a Ref from the executor's CreateEni results; other values unchanged."""
    if not isinstance(value, Ref):
        return value
    if value.name not in results:
        raise FixedIpError(
            "plan refers to %s before the action that creates %r ran; run the plan's actions in order"
            % (value, value.name)
        )
    return getattr(results[value.name], value.attribute)
