# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight: which of the collection's conventions a cluster has, and what the collection will and will not do.

Pure functions from what was read (objects as the API returns them, and the results of the cloud modules) to a list of
checks, each {name, status, found, will, will_not}: ``ok`` (the convention holds), ``warn`` (it holds in part, or the
collection works around it), ``blocker`` (the collection must not write there as configured: the reason says why) or
``absent`` (not there yet; the collection's roles put it there). ``ksyun.kce.preflight_info`` reads the cluster and
calls preflight_cluster.cluster_checks; the preflight playbook adds preflight_cloud.cloud_checks from
``ksyun.kce.cluster_info``, ``ksyun.kce.subnet_info`` and ``ksyun.kce.fixed_ip_audit`` (check mode), and ``report``
here makes the table. This file holds what both share: the check, the configuration as read, the report.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Sequence, Tuple

OK, WARN, BLOCKER, ABSENT = "ok", "warn", "blocker", "absent"
STATUSES = (OK, WARN, BLOCKER, ABSENT)


@dataclass(frozen=True)
class Check:
    """One convention: status is one of STATUSES; found says what the cluster has, will / will_not what the collection
    does there."""

    name: str
    status: str
    found: str
    will: str = ""
    will_not: str = ""

    def as_dict(self) -> Dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class ConfigView:
    """The VPC-CNI ConfigMap as the flows' parser read it: found, the parser's error, or the settings it gave.

    daemon_mode is the platform's word as the ConfigMap says it, mode the ENI mode it means (shared, exclusive, or "").
    """

    source: str
    found: bool = False
    error: str = ""
    cluster_name: str = ""
    fixed_ip: bool = True
    retention: str = ""
    pod_subnets: Mapping[str, Tuple[str, ...]] = field(default_factory=dict)
    security_group_ids: Tuple[str, ...] = ()
    crd_group: str = ""
    crd_version: str = ""
    daemon_mode: str = ""
    mode: str = ""
    managers: Tuple[str, ...] = ()
    ours: bool = False

    @property
    def usable(self) -> bool:
        return self.found and not self.error

    def as_dict(self) -> Dict[str, Any]:
        out = dataclasses.asdict(self)
        out["pod_subnets"] = {zone: list(ids) for zone, ids in sorted(self.pod_subnets.items())}
        out["security_group_ids"] = list(self.security_group_ids)
        out["managers"] = list(self.managers)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ConfigView":
        known = {item.name for item in dataclasses.fields(cls)}
        values = {key: value for key, value in (data or {}).items() if key in known}
        values["pod_subnets"] = {zone: tuple(ids) for zone, ids in (values.get("pod_subnets") or {}).items()}
        values["security_group_ids"] = tuple(values.get("security_group_ids") or ())
        values["managers"] = tuple(values.get("managers") or ())
        return cls(**values)

    def subnet_zones(self) -> Dict[str, str]:
        """subnet id -> the zone the configuration lists it under."""
        return {subnet: zone for zone, ids in self.pod_subnets.items() for subnet in ids}


def few(names: Sequence[str], limit: int = 5) -> str:
    """ "a, b, c, d, e and 3 more", for messages that list names."""
    more = len(names) - limit
    return ", ".join(names[:limit]) + (" and %d more" % more if more > 0 else "")


# --- the report ------------------------------------------------------------------------------------------------------


def as_checks(items: Sequence[Any]) -> List[Check]:
    """Checks from Check objects or their dicts; an unknown status is refused by name."""
    out = []
    for item in items:
        check = (
            item
            if isinstance(item, Check)
            else Check(**{k: item.get(k, "") for k in ("name", "status", "found", "will", "will_not")})
        )
        if check.status not in STATUSES:
            raise ValueError(
                "check %s has status %r; a status is one of %s" % (check.name, check.status, ", ".join(STATUSES))
            )
        out.append(check)
    return out


def table(checks: Sequence[Check]) -> List[str]:
    """The readable report, one check per line and its will / will not beneath."""
    width = max([len(c.name) for c in checks] + [4])
    lines = []
    for check in checks:
        lines.append("%-7s  %-*s  %s" % (check.status.upper(), width, check.name, check.found))
        if check.will:
            lines.append("%-7s  %-*s  will: %s" % ("", width, "", check.will))
        if check.will_not:
            lines.append("%-7s  %-*s  will not: %s" % ("", width, "", check.will_not))
    return lines


def report(checks: Sequence[Any], skipped: Sequence[Mapping[str, str]] = ()) -> Dict[str, Any]:
    """{checks, counts (by status), blockers [name: why], skipped, table}: what the playbook prints and saves."""
    items = as_checks(checks)
    blockers = ["%s: %s" % (c.name, c.found) for c in items if c.status == BLOCKER]
    lines = table(items) + ["skipped  %s: %s" % (s.get("name"), s.get("reason")) for s in skipped or []]
    return {
        "checks": [c.as_dict() for c in items],
        "counts": {status: sum(1 for c in items if c.status == status) for status in STATUSES},
        "blockers": blockers,
        "skipped": [dict(s) for s in skipped or []],
        "table": lines,
    }
