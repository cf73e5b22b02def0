# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One PodEni or PodEniIP as desired state (the ksyun.kce.pod_eni and ksyun.kce.pod_eni_ip modules).

Typed options are merged over the record as stored, checked by the domain (``Reservation``), split into
spec and status the way ``records.split`` does, and written through kubernetes.core's ``K8sService``
(server-side dry run in check mode). Status lives in the status subresource, so it is written with a
second merge patch there, only when it differs; every write carries the resourceVersion just read.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any, Dict, Optional

from ansible_collections.kubernetes.core.plugins.module_utils.k8s.exceptions import CoreException
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode, Phase, Reservation, parse_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import (
    LABEL_IP, LABEL_MANAGED_BY, LABEL_MODE, LABEL_POD_NAME, LABEL_POD_NAMESPACE, reservation_labels)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.common import K8sFailure, find_kind, http_status, object_diff, shown
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import STATUS_KEYS, split

OUR_LABELS = (LABEL_MANAGED_BY, LABEL_POD_NAMESPACE, LABEL_POD_NAME, LABEL_MODE, LABEL_IP)
STATUS_FIELDS = STATUS_KEYS + ("reclaimAt",)
# Option name -> record key; status keys go to the status subresource.
OPTION_KEYS = (
    ("pod_name", "podName"), ("pod_uid", "podUID"), ("fixed", "fixed"), ("ip", "ip"), ("subnet_id", "subnetId"),
    ("zone", "zone"), ("eni_id", "eniId"), ("mac", "mac"), ("retention", "retention"), ("phase", "phase"),
    ("node_name", "nodeName"), ("instance_id", "instanceId"), ("released_at", "releasedAt"),
)
PHASES = [phase.value for phase in Phase]
NEW_RECORD_DEFAULTS = {"fixed": True, "retention": "never", "phase": Phase.RESERVED.value}

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def record_argument_spec(mode: Mode) -> Dict[str, Any]:
    """Options of pod_eni (exclusive) and pod_eni_ip (shared); group/version and auth are added by the module."""
    return {
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
        "namespace": {"type": "str", "required": True},
        "pod_name": {"type": "str", "required": mode is Mode.EXCLUSIVE},
        "ip": {"type": "str", "required": mode is Mode.SHARED},
        "pod_uid": {"type": "str"},
        "fixed": {"type": "bool"},
        "subnet_id": {"type": "str"},
        "zone": {"type": "str"},
        "eni_id": {"type": "str"},
        "mac": {"type": "str"},
        "retention": {"type": "str"},
        "phase": {"type": "str", "choices": PHASES},
        "node_name": {"type": "str"},
        "instance_id": {"type": "str"},
        "released_at": {"type": "str"},
    }


def parse_ipv4(value: str, option: str = "ip") -> str:
    try:
        return str(ipaddress.IPv4Address(value.strip()))
    except ValueError:
        raise K8sFailure("%s: %r is not an IPv4 address; give a dotted quad such as 10.0.0.236" % (option, value)) from None


def check_pod(namespace: str, pod_name: Optional[str], prefix: str = "") -> None:
    """Refuse a namespace or pod name Kubernetes would refuse, naming the option and the value."""
    if not _DNS_LABEL.fullmatch(namespace or "") or len(namespace) > 63:
        raise K8sFailure("%snamespace: %r is not a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)"
                         % (prefix, namespace))
    if pod_name is not None and (not _DNS_SUBDOMAIN.fullmatch(pod_name) or len(pod_name) > 253):
        raise K8sFailure("%spod_name: %r is not a pod name (lower-case letters, digits, '-' and '.', at most 253)" % (prefix, pod_name))


def check_id(option: str, value: Optional[str]) -> None:
    if value and not _UUID.fullmatch(value):
        raise K8sFailure("%s: %r is not a KSYUN resource id; give a UUID such as 5f2c7a10-0002-4a6e-9c1b-000000000001" % (option, value))


def parse_retention(value: Optional[str], prefix: str = "") -> Optional[Retention]:
    if value is None:
        return None
    try:
        return Retention.parse(value)
    except FixedIpError as exc:
        raise K8sFailure(prefix + str(exc)) from None


def check_options(mode: Mode, params: Dict[str, Any]) -> None:
    """Refuse malformed input with the option and value, before anything is read or written."""
    check_pod(params["namespace"], params["pod_name"])
    if params["ip"] or mode is Mode.SHARED:
        params["ip"] = parse_ipv4(params["ip"] or "")
    check_id("subnet_id", params["subnet_id"])
    check_id("eni_id", params["eni_id"])
    parse_retention(params["retention"])
    if params["released_at"]:
        try:
            parse_time(params["released_at"], "released_at")
        except FixedIpError as exc:
            raise K8sFailure(str(exc)) from None


def record_name(mode: Mode, params: Dict[str, Any]) -> str:
    """PodEni: the pod's name. PodEniIP: the IP."""
    return params["pod_name"] if mode is Mode.EXCLUSIVE else params["ip"]


def _flat(obj: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """A stored record as the domain's flat camelCase dict (spec plus the status keys the domain knows)."""
    if not obj:
        return {}
    flat = dict(obj.get("spec") or {})
    flat.update({k: v for k, v in (obj.get("status") or {}).items() if k in STATUS_KEYS})
    return flat


def desired_reservation(mode: Mode, params: Dict[str, Any], existing: Optional[Dict[str, Any]]) -> Reservation:
    """The record after this task: the stored one (or new-record defaults) with every given option applied."""
    flat = _flat(existing) or dict(NEW_RECORD_DEFAULTS)
    flat.update(podNamespace=params["namespace"], mode=mode.value)
    for option, key in OPTION_KEYS:
        value = params.get(option)
        if value is None:
            continue
        if value == "" and key == "releasedAt":
            flat.pop(key, None)
        else:
            flat[key] = value
    if existing is None and not flat.get("podName"):
        raise K8sFailure("pod_name is required to create %s %s/%s: a record names the pod that keeps the IP"
                         % (KIND[mode], params["namespace"], record_name(mode, params)))
    try:
        reservation = Reservation.from_dict(flat)
    except FixedIpError as exc:
        raise K8sFailure("%s %s/%s cannot be written: %s" % (KIND[mode], params["namespace"], record_name(mode, params), exc)) from None
    if mode is Mode.SHARED and reservation.ip != params["ip"]:
        raise K8sFailure("PodEniIP %s/%s records IP %r; a PodEniIP is named after its IP, so create a new one for another IP"
                         % (params["namespace"], params["ip"], reservation.ip))
    return reservation


def _patch(desired: Dict[str, Any], current: Dict[str, Any]) -> Dict[str, Any]:
    """A merge patch turning current into desired: changed keys, and None for keys to remove."""
    patch = {k: v for k, v in desired.items() if current.get(k) != v}
    patch.update({k: None for k in current if k not in desired})
    return patch


class RecordState:
    """Reads, plans and writes one record; ``run()`` returns the module result."""

    def __init__(self, svc, mode: Mode, group: str, version: str):
        self.svc, self.mode = svc, mode
        self.kind, self.api_version = KIND[mode], "%s/%s" % (group, version)
        self.resource = find_kind(svc, self.kind, self.api_version, "install the CRDs with ksyun.kce.fixed_ip_crds (group %s, version %s), "
                                  "or set group and version to the ones your cluster serves" % (group, version))

    @property
    def check_mode(self) -> bool:
        return self.svc.module.check_mode

    def _get(self, namespace: str, name: str) -> Optional[Dict[str, Any]]:
        existing = self.svc.retrieve(self.resource, {"kind": self.kind, "metadata": {"name": name, "namespace": namespace}})
        return existing.to_dict() if existing else None

    def _conflict(self, exc: CoreException, label: str) -> K8sFailure:
        if http_status(exc) == 409:
            return K8sFailure("%s changed while this task ran (someone else wrote it); run the task again to apply it to the new version"
                              % label)
        return K8sFailure("could not write %s: %s" % (label, exc))

    def run(self, params: Dict[str, Any]) -> Dict[str, Any]:
        """The module result; call check_options(mode, params) first."""
        namespace, name = params["namespace"], record_name(self.mode, params)
        label = "%s %s/%s" % (self.kind, namespace, name)
        existing = self._get(namespace, name)
        try:
            if params["state"] == "absent":
                final = self._delete(existing)
                reservation = None
            else:
                reservation = desired_reservation(self.mode, params, existing)
                final = self._write(existing, reservation)
        except CoreException as exc:
            raise self._conflict(exc, label) from exc
        unchanged, diff = object_diff(existing, final)
        return {"changed": not unchanged, "name": name, "namespace": namespace, "kind": self.kind, "result": shown(final),
                "reservation": reservation.to_dict() if reservation else {}, "diff": diff}

    def _delete(self, existing: Optional[Dict[str, Any]]) -> None:
        if existing:
            meta = existing["metadata"]
            # Delete exactly the record that was read, as records.ReservationStore does.
            self.svc.module.params["delete_options"] = {"preconditions": {"uid": meta["uid"], "resourceVersion": meta["resourceVersion"]}}
            self.svc.delete(self.resource, existing, _Stored(existing))
        return None

    def _write(self, existing: Optional[Dict[str, Any]], reservation: Reservation) -> Dict[str, Any]:
        spec, status = split(reservation)
        labels = reservation_labels(reservation)
        meta = {"name": reservation.record_name(), "namespace": reservation.namespace}
        if existing is None:
            body = {"apiVersion": self.api_version, "kind": self.kind, "metadata": dict(meta, labels=labels), "spec": spec}
            current, _warnings = self.svc.create(self.resource, body)
        else:
            current = existing
            old_labels = {k: v for k, v in (existing["metadata"].get("labels") or {}).items() if k in OUR_LABELS}
            spec_patch, label_patch = _patch(spec, existing.get("spec") or {}), _patch(labels, old_labels)
            if spec_patch or label_patch:
                body = {"apiVersion": self.api_version, "kind": self.kind, "spec": spec_patch,
                        "metadata": dict(meta, labels=label_patch, resourceVersion=existing["metadata"]["resourceVersion"])}
                current, _warnings = self.svc.update(self.resource, body, _Stored(existing))
        return self._write_status(current, status, dry_run_created=existing is None and self.check_mode)

    def _write_status(self, current: Dict[str, Any], status: Dict[str, Any], dry_run_created: bool) -> Dict[str, Any]:
        stored = {k: v for k, v in (current.get("status") or {}).items() if k in STATUS_FIELDS}
        patch = _patch(status, stored)
        if not patch:
            return current
        if dry_run_created:
            # A record created by a dry run does not exist, so its status is shown as it would be written.
            return dict(current, status=dict(current.get("status") or {}, **status))
        meta = current["metadata"]
        body = {"metadata": {"resourceVersion": meta["resourceVersion"]}, "status": patch}
        client = self.svc.client
        try:
            response = client.patch(self.resource.status, body, name=meta["name"], namespace=meta["namespace"],
                                    content_type="application/merge-patch+json")
        except Exception as exc:
            what = "%s %s/%s" % (self.kind, meta["namespace"], meta["name"])
            raise CoreException("Failed to patch the status of %s: %s" % (what, getattr(exc, "body", exc))) from exc
        return response.to_dict()


class _Stored(dict):
    """A stored object as kubernetes.core's service takes it (it calls to_dict() for client-side dry runs)."""

    def to_dict(self) -> Dict[str, Any]:
        return dict(self)
