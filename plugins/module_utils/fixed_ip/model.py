# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reservation: the content of a PodEni, PodEniIP or VpcIP (shared, not fixed) record, and its vocabulary."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime, timezone
from typing import Any, Mapping, Optional, Union

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import InvalidReservation, InvalidRetention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention


class Mode(enum.Enum):
    """Shared: a secondary IP of an ENI shared with other pods. Exclusive: a whole ENI of its own."""

    SHARED = "shared"
    EXCLUSIVE = "exclusive"


class Phase(enum.Enum):
    """Binding and Releasing record intent before cloud calls, so a crashed run resumes from the record."""

    BINDING = "Binding"
    BOUND = "Bound"
    RELEASING = "Releasing"
    RESERVED = "Reserved"
    RECLAIMING = "Reclaiming"


# The kinds that keep a reservation (a fixed IP may outlive its pod in them).
KIND = {Mode.EXCLUSIVE: "PodEni", Mode.SHARED: "PodEniIP"}
# The product page's record of a shared-mode pod without a fixed IP: freed with its pod, never a reservation.
VPC_IP = "VpcIP"


def record_kind(mode: Mode, vpc_ip: bool = False) -> str:
    """PodEni, PodEniIP, or VpcIP."""
    return VPC_IP if vpc_ip else KIND[mode]


_DICT_KEYS = (
    ("namespace", "podNamespace"),
    ("pod_name", "podName"),
    ("pod_uid", "podUID"),
    ("mode", "mode"),
    ("fixed", "fixed"),
    ("ip", "ip"),
    ("subnet_id", "subnetId"),
    ("zone", "zone"),
    ("eni_id", "eniId"),
    ("mac", "mac"),
    ("instance_id", "instanceId"),
    ("node_name", "nodeName"),
    ("retention", "retention"),
    ("released_at", "releasedAt"),
    ("phase", "phase"),
    ("statefulset", "statefulSet"),
    ("eip_id", "eipId"),
)
_TEXT_FIELDS = (
    "pod_uid",
    "ip",
    "subnet_id",
    "zone",
    "eni_id",
    "mac",
    "instance_id",
    "node_name",
    "statefulset",
    "eip_id",
)


def _enum(enum_type, value, what):
    if isinstance(value, enum_type):
        return value
    try:
        return enum_type(value)
    except ValueError:
        accepted = ", ".join(member.value for member in enum_type)
        raise InvalidReservation("%s %r is not one of: %s" % (what, value, accepted)) from None


def _utc_seconds(value: Optional[datetime], what: str) -> Optional[datetime]:
    """RFC3339 in the record keeps whole seconds, so the model does too (round trips stay equal)."""
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidReservation(
            "%s %r must be a timezone-aware datetime (UTC), not a naive or other value" % (what, value)
        )
    return value.astimezone(timezone.utc).replace(microsecond=0)


def format_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(text: str, what: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except (TypeError, ValueError, AttributeError):
        raise InvalidReservation('%s %r is not an RFC3339 time such as "2026-01-02T03:04:05Z"' % (what, text)) from None
    if parsed.tzinfo is None:
        raise InvalidReservation("%s %r has no timezone; write it in UTC with a trailing Z" % (what, text))
    return parsed


@dataclass(frozen=True)
class Reservation:
    """Which pod last held which IP/ENI, where, under which retention, and how far a flow got (phase).

    pod_uid is empty for a pre-provisioned reservation no pod has held yet. While a plan is being
    built, eni_id, ip and mac may be a Ref to the ENI the same plan creates. statefulset names the
    StatefulSet that owned the pod (reclaim may follow its annotation, its deletion or its scale-down).
    eip_id is the allocation id of the elastic public IP that belongs with the IP: bind associates it with the IP
    wherever the IP lands.
    vpc_ip: the record is a VpcIP, not a PodEniIP: the product page's record of a shared-mode pod without a fixed
    IP. It is no reservation: its IP is never kept or reserved, it has no retention, no EIP and no StatefulSet, and it
    is deleted with its pod (its IP unassigned).
    deleting is not content but the record's state: someone deleted it (its namespace, kubectl), and its
    finalizer keeps it until the IP is freed, so no flow may keep that IP any longer.
    """

    namespace: str
    pod_name: str
    mode: Mode
    pod_uid: str = ""
    fixed: bool = True
    ip: Union[str, Ref] = ""
    subnet_id: str = ""
    zone: str = ""
    eni_id: Union[str, Ref] = ""
    mac: Union[str, Ref] = ""
    instance_id: str = ""
    node_name: str = ""
    retention: Retention = Retention()
    released_at: Optional[datetime] = None
    phase: Phase = Phase.BINDING
    statefulset: str = ""
    eip_id: str = ""
    vpc_ip: bool = False
    deleting: bool = field(default=False, compare=False)

    def __post_init__(self):
        if not self.namespace or not self.pod_name:
            raise InvalidReservation(
                "a reservation needs the pod's namespace and name, got namespace=%r name=%r"
                % (self.namespace, self.pod_name)
            )
        object.__setattr__(self, "mode", _enum(Mode, self.mode, "mode"))
        object.__setattr__(self, "phase", _enum(Phase, self.phase, "phase"))
        if not isinstance(self.fixed, bool):
            raise InvalidReservation("fixed %r must be true or false" % (self.fixed,))
        try:
            object.__setattr__(self, "retention", Retention.parse(self.retention))
        except InvalidRetention as err:
            raise InvalidReservation("reservation %s/%s: %s" % (self.namespace, self.pod_name, err)) from None
        object.__setattr__(self, "released_at", _utc_seconds(self.released_at, "releasedAt"))
        for name in _TEXT_FIELDS:
            value = getattr(self, name)
            if value is None:
                object.__setattr__(self, name, "")
            elif not isinstance(value, (str, Ref)):
                raise InvalidReservation(
                    "%s %r of reservation %s/%s must be text" % (name, value, self.namespace, self.pod_name)
                )
        if not isinstance(self.vpc_ip, bool):
            raise InvalidReservation("vpc_ip %r must be true or false" % (self.vpc_ip,))
        if self.vpc_ip:
            self._check_vpc_ip()

    def _check_vpc_ip(self) -> None:
        kept = [
            what
            for what, wrong in (
                ("mode %s" % self.mode.value, self.mode is not Mode.SHARED),
                ("fixed true", self.fixed),
                ("retention %s" % self.retention, not self.retention.is_never),
                ("a release time", self.released_at is not None),
                ("phase %s" % self.phase.value, self.phase in (Phase.RELEASING, Phase.RESERVED)),
                ("an EIP", bool(self.eip_id)),
                ("a StatefulSet", bool(self.statefulset)),
            )
            if wrong
        ]
        if kept:
            raise InvalidReservation(
                "the VpcIP of pod %s/%s cannot have %s: a VpcIP records a non-fixed shared-mode IP, which is never kept "
                "(a fixed IP is a PodEniIP)" % (self.namespace, self.pod_name, ", ".join(kept))
            )

    @property
    def kind(self) -> str:
        return record_kind(self.mode, self.vpc_ip)

    def record_name(self) -> str:
        """PodEni: the pod's name. PodEniIP and VpcIP: the IP, which must be chosen before the record exists."""
        if self.mode is Mode.EXCLUSIVE:
            return self.pod_name
        if not self.ip or isinstance(self.ip, Ref):
            raise InvalidReservation(
                "the %s of pod %s/%s has no IP yet, and a %s is named after its IP: choose the IP first"
                % (self.kind, self.namespace, self.pod_name, self.kind)
            )
        return self.ip

    def label(self) -> str:
        """How messages name the record, e.g. "PodEniIP default/10.0.0.236"."""
        try:
            return "%s %s/%s" % (self.kind, self.namespace, self.record_name())
        except InvalidReservation:
            return "%s for pod %s/%s (IP not chosen)" % (self.kind, self.namespace, self.pod_name)

    def has_refs(self) -> bool:
        return any(isinstance(getattr(self, item.name), Ref) for item in fields(self))

    def to_dict(self) -> dict:
        """The record content with camelCase keys; every key present (None clears releasedAt in a merge patch)."""
        if self.has_refs():
            raise InvalidReservation(
                "%s still refers to an ENI not created yet; resolve the plan's Refs before writing it" % self.label()
            )
        out: dict = {}
        for attribute, key in _DICT_KEYS:
            value = getattr(self, attribute)
            if isinstance(value, enum.Enum):
                value = value.value
            elif isinstance(value, Retention):
                value = str(value)
            elif isinstance(value, datetime):
                value = format_time(value)
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Reservation":
        """Read a record's content back; unknown keys are ignored so newer records still read."""
        if not isinstance(data, Mapping):
            raise InvalidReservation(
                "reservation content %r is not a mapping of fields such as podName, mode, ip" % (data,)
            )
        missing = [key for key in ("podNamespace", "podName", "mode") if not data.get(key)]
        if missing:
            raise InvalidReservation(
                "reservation content lacks %s; every PodEni/PodEniIP names its pod and mode: %r"
                % (", ".join(missing), dict(data))
            )
        kwargs: dict = {}
        for attribute, key in _DICT_KEYS:
            if key in data and data[key] is not None:
                kwargs[attribute] = data[key]
        if "released_at" in kwargs:
            kwargs["released_at"] = parse_time(kwargs["released_at"], "releasedAt")
        return cls(**kwargs)
