# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Input checks every module shares: each refuses a bad value naming the option, the value and what to give instead."""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from typing import Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import parse_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import ModuleError

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_GROUP = re.compile(r"%s(\.%s)+" % (_DNS_LABEL.pattern, _DNS_LABEL.pattern))
_VERSION = re.compile(r"[a-z]([-a-z0-9]*[a-z0-9])?")


def parse_ipv4(value: str, option: str = "ip") -> str:
    """value as a normalised dotted quad."""
    try:
        return str(ipaddress.IPv4Address(str(value).strip()))
    except ValueError:
        raise ModuleError(
            "%s: %r is not an IPv4 address; give a dotted quad such as 10.0.0.236" % (option, value)
        ) from None


def check_pod(namespace: str, pod_name: Optional[str], prefix: str = "") -> None:
    """A namespace and pod name Kubernetes would accept."""
    if not _DNS_LABEL.fullmatch(namespace or "") or len(namespace) > 63:
        raise ModuleError(
            "%snamespace: %r is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)"
            % (prefix, namespace)
        )
    if pod_name is not None and (not _DNS_SUBDOMAIN.fullmatch(pod_name) or len(pod_name) > 253):
        raise ModuleError(
            "%spod_name: %r is not a pod name (lower-case letters, digits, '-' and '.', at most 253)"
            % (prefix, pod_name)
        )


def check_id(option: str, value: Optional[str]) -> None:
    if value and not _UUID.fullmatch(value):
        raise ModuleError(
            "%s: %r is not a KSYUN resource id; give a UUID such as 5f2c7a10-0002-4a6e-9c1b-000000000001"
            % (option, value)
        )


def parse_retention(value: Optional[str], prefix: str = "") -> Optional[Retention]:
    if value is None:
        return None
    try:
        return Retention.parse(value)
    except FixedIpError as exc:
        raise ModuleError(prefix + str(exc)) from None


def check_time(option: str, value: Optional[str]) -> None:
    if value:
        try:
            parse_time(value, option)
        except FixedIpError as exc:
            raise ModuleError(str(exc)) from None


def check_group_version(group: str, version: str) -> str:
    """``group/version`` once both are valid Kubernetes names; a CRD's group must contain a dot."""
    if not isinstance(group, str) or len(group) > 253 or not _GROUP.fullmatch(group):
        raise ModuleError(
            "group %r is not a valid API group: use a lower-case DNS name with at least one dot, such as k8s.ksyun.com"
            % (group,)
        )
    if not isinstance(version, str) or len(version) > 63 or not _VERSION.fullmatch(version):
        raise ModuleError(
            "version %r is not a valid API version: use a lower-case name starting with a letter, such as v1 or v1beta1"
            % (version,)
        )
    return "%s/%s" % (group, version)


def check_positive(option: str, value: Optional[float], least: float = 0) -> None:
    if value is not None and value < least:
        raise ModuleError("%s must be at least %s, got %s" % (option, least, value))


def parse_duration(value: str, option: str) -> timedelta:
    """A positive duration of days, hours, minutes and seconds, such as 30m, 1h, 7d or 1h30m."""
    text = str(value or "").strip().lower()
    parts = re.findall(r"(\d+)([dhms])", text)
    seconds = sum(int(number) * {"d": 86400, "h": 3600, "m": 60, "s": 1}[unit] for number, unit in parts)
    if not re.fullmatch(r"(\d+[dhms])+", text) or seconds <= 0:
        raise ModuleError(
            '%s: %r is not a duration; give days, hours, minutes or seconds such as "30m", "1h" or "7d"'
            % (option, value)
        )
    return timedelta(seconds=seconds)
