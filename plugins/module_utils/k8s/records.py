# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PodEni / PodEniIP records in the cluster: the reservation store, with optimistic concurrency.

Works on any ``kubernetes.dynamic.DynamicClient`` (kubernetes.core's ``get_api_client().client`` is
one), so modules reuse kubernetes.core's auth options and the sandbox uses the plain client.
The flat reservation dict of the domain is split into the record's spec (what is reserved) and its
status (where it is bound and in which phase); both are written with the resourceVersion last read.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode, Reservation, format_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import LABEL_MANAGED_BY, MANAGED_BY, pod_selector, reservation_labels
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION

STATUS_KEYS = ("phase", "nodeName", "instanceId", "releasedAt")


class RecordConflict(FixedIpError):
    """Someone else changed or created the record since it was read: read again and plan again."""


class RecordsUnavailable(FixedIpError):
    """The PodEni/PodEniIP kinds are not served: the CRDs are missing or in another API group."""


@dataclass(frozen=True)
class StoredReservation:
    """A reservation as stored, with what optimistic concurrency needs."""

    reservation: Reservation
    name: str
    namespace: str
    resource_version: str
    uid: str

    @property
    def kind(self) -> str:
        return KIND[self.reservation.mode]


def split(reservation: Reservation) -> tuple:
    """(spec, status) of the record; empty values are left out so schema formats (ipv4) hold."""
    flat = reservation.to_dict()
    spec = {k: v for k, v in flat.items() if k not in STATUS_KEYS and v not in ("", None)}
    status = {k: v for k, v in flat.items() if k in STATUS_KEYS and v not in ("", None)}
    reclaim_at = reservation.retention.reclaim_at(reservation.released_at) if reservation.released_at else None
    if reclaim_at is not None:
        status["reclaimAt"] = format_time(reclaim_at)
    return spec, status


def join(obj: Dict[str, Any]) -> Reservation:
    flat = dict(obj.get("spec") or {})
    flat.update({k: v for k, v in (obj.get("status") or {}).items() if k in STATUS_KEYS})
    flat.setdefault("podNamespace", obj["metadata"]["namespace"])
    return Reservation.from_dict(flat)


def _to_dict(obj) -> Dict[str, Any]:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


class ReservationStore:
    """Create, read, update and delete PodEni/PodEniIP records of one API group/version."""

    def __init__(self, dynamic_client, group: str = DEFAULT_GROUP, version: str = DEFAULT_VERSION):
        self.group, self.version = group, version
        self._client = dynamic_client
        self._resources: Dict[Mode, Any] = {}

    def resource(self, mode: Mode):
        if mode not in self._resources:
            api_version = "%s/%s" % (self.group, self.version)
            try:
                self._resources[mode] = self._client.resources.get(api_version=api_version, kind=KIND[mode])
            except Exception as exc:  # the dynamic client raises ResourceNotFoundError, whose module may differ
                raise RecordsUnavailable(
                    "the cluster does not serve %s in %s (%s): install the ksyun.kce CRDs (role ksyun.kce.vpc_cni) "
                    "or set the group/version your cluster uses" % (KIND[mode], api_version, exc)) from exc
        return self._resources[mode]

    def _stored(self, obj) -> StoredReservation:
        data = _to_dict(obj)
        meta = data["metadata"]
        return StoredReservation(join(data), meta["name"], meta["namespace"], meta["resourceVersion"], meta["uid"])

    def list(self, namespace: Optional[str] = None, label_selector: Optional[str] = None,
             modes=(Mode.EXCLUSIVE, Mode.SHARED)) -> List[StoredReservation]:
        """Every record (one LIST call per kind), optionally in one namespace or matching a selector."""
        selector = LABEL_MANAGED_BY + "=" + MANAGED_BY
        if label_selector:
            selector += "," + label_selector
        found = []
        for mode in modes:
            result = self.resource(mode).get(namespace=namespace, label_selector=selector)
            found.extend(self._stored(item) for item in _to_dict(result)["items"])
        return found

    def for_pod(self, namespace: str, pod_name: str) -> List[StoredReservation]:
        """The records of one pod, found by label (a PodEniIP is named after its IP, not the pod)."""
        return self.list(namespace=namespace, label_selector=pod_selector(namespace, pod_name))

    def get(self, mode: Mode, namespace: str, name: str) -> Optional[StoredReservation]:
        try:
            return self._stored(self.resource(mode).get(namespace=namespace, name=name))
        except Exception as exc:
            if getattr(exc, "status", None) == 404:
                return None
            raise

    def create(self, reservation: Reservation) -> StoredReservation:
        """Create the record; fails with RecordConflict when it already exists (someone else got there first)."""
        spec, status = split(reservation)
        body = {"apiVersion": "%s/%s" % (self.group, self.version), "kind": KIND[reservation.mode],
                "metadata": {"name": reservation.record_name(), "namespace": reservation.namespace,
                             "labels": reservation_labels(reservation)},
                "spec": spec}
        created = self._write(lambda: self.resource(reservation.mode).create(body=body, namespace=reservation.namespace), reservation)
        return self._write_status(self._stored(created), reservation, status)

    def update(self, stored: StoredReservation, reservation: Reservation) -> StoredReservation:
        """Replace spec and labels, then status, each conditional on the resourceVersion just read."""
        if reservation.record_name() != stored.name or reservation.mode != stored.reservation.mode:
            raise FixedIpError("reservation %s cannot be stored as %s %s/%s: a record's kind and name never change; "
                               "delete it and create a new one" % (reservation.label(), stored.kind, stored.namespace, stored.name))
        spec, status = split(reservation)
        body = {"apiVersion": "%s/%s" % (self.group, self.version), "kind": stored.kind,
                "metadata": {"name": stored.name, "namespace": stored.namespace, "resourceVersion": stored.resource_version,
                             "labels": reservation_labels(reservation)},
                "spec": spec}
        current = stored
        if spec != split(stored.reservation)[0] or reservation_labels(reservation) != reservation_labels(stored.reservation):
            current = self._stored(self._write(lambda: self.resource(reservation.mode).replace(body=body), reservation))
        return self._write_status(current, reservation, status)

    def _write_status(self, stored: StoredReservation, reservation: Reservation, status: Dict[str, Any]) -> StoredReservation:
        if split(stored.reservation)[1] == status:
            return stored
        body = {"apiVersion": "%s/%s" % (self.group, self.version), "kind": stored.kind,
                "metadata": {"name": stored.name, "namespace": stored.namespace, "resourceVersion": stored.resource_version},
                "status": status}
        updated = self._write(lambda: self.resource(reservation.mode).status.replace(body=body), reservation)
        return self._stored(updated)

    def delete(self, stored: StoredReservation) -> None:
        """Delete exactly the record that was read (preconditions on uid and resourceVersion)."""
        body = {"preconditions": {"uid": stored.uid, "resourceVersion": stored.resource_version}}
        try:
            self.resource(stored.reservation.mode).delete(name=stored.name, namespace=stored.namespace, body=body)
        except Exception as exc:
            status = getattr(exc, "status", None)
            if status == 404:
                return
            if status == 409:
                raise RecordConflict("%s %s/%s changed since it was read; read it again before deleting"
                                     % (stored.kind, stored.namespace, stored.name)) from exc
            raise

    def _write(self, call, reservation: Reservation):
        try:
            return call()
        except Exception as exc:
            if getattr(exc, "status", None) == 409:
                raise RecordConflict("%s changed or was created concurrently (%s); read it again and plan again"
                                     % (reservation.label(), getattr(exc, "reason", exc))) from exc
            raise
