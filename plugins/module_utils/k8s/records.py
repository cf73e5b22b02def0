# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PodEni / PodEniIP records in the cluster: the one reservation store, with optimistic concurrency.

The flows, the node agent and the record modules all write records here. Works on any
``kubernetes.dynamic.DynamicClient`` (kubernetes.core's ``get_api_client().client`` is one). The
domain's flat reservation is split into the record's spec (what is reserved) and its status (where it
is bound, in which phase); updates are JSON merge patches carrying the resourceVersion last read, so
a stale write is refused, and they touch only the spec, the status and the collection's own labels:
labels, annotations, finalizers and owner references that others added are never dropped.
dry_run=True asks the API server what a write would do (check mode) and changes nothing.

Every record carries the finalizer k8s.ksyun.com/release-ip, so a record deleted by kubectl or with its
namespace stays (marked deleting) until a release or reclaim has freed its IP; the store's delete
removes the finalizer after deleting, so a flow's own delete completes at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode, Reservation, format_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import (
    LABEL_IP,
    LABEL_MANAGED_BY,
    LABEL_MODE,
    LABEL_POD_NAME,
    LABEL_POD_NAMESPACE,
    MANAGED_BY,
    pod_selector,
    reservation_labels,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, status_of

STATUS_KEYS = ("phase", "nodeName", "instanceId", "releasedAt")
# What the store writes to status: the domain's keys plus the derived reclaimAt.
STATUS_FIELDS = STATUS_KEYS + ("reclaimAt",)
OUR_LABELS = (LABEL_MANAGED_BY, LABEL_POD_NAMESPACE, LABEL_POD_NAME, LABEL_MODE, LABEL_IP)
MERGE_PATCH = "application/merge-patch+json"
# Keeps a record until its IP is freed: whoever deletes it (kubectl, its namespace) only asks for that.
FINALIZER = "k8s.ksyun.com/release-ip"


class RecordConflict(FixedIpError):
    """Someone else changed or created the record since it was read: read it again and plan again."""


class RecordsUnavailable(FixedIpError):
    """The PodEni/PodEniIP kinds are not served: the CRDs are missing or in another API group."""


@dataclass(frozen=True)
class StoredReservation:
    """A reservation as stored, with what optimistic concurrency needs and the whole object as the API returned it."""

    reservation: Reservation
    name: str
    namespace: str
    resource_version: str
    uid: str
    obj: Dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def kind(self) -> str:
        return KIND[self.reservation.mode]

    @property
    def label(self) -> str:
        return "%s %s/%s" % (self.kind, self.namespace, self.name)


def split(reservation: Reservation) -> tuple:
    """(spec, status) of the record; empty values are left out so schema formats (ipv4) hold."""
    flat = reservation.to_dict()
    spec = {k: v for k, v in flat.items() if k not in STATUS_KEYS and v not in ("", None)}
    status = {k: v for k, v in flat.items() if k in STATUS_KEYS and v not in ("", None)}
    reclaim_at = reservation.retention.reclaim_at(reservation.released_at) if reservation.released_at else None
    if reclaim_at is not None:
        status["reclaimAt"] = format_time(reclaim_at)
    return spec, status


def flat_record(obj: Mapping[str, Any]) -> Dict[str, Any]:
    """A stored record as the domain's flat camelCase dict: spec plus the status keys the domain knows."""
    flat = dict(obj.get("spec") or {})
    flat.update({k: v for k, v in (obj.get("status") or {}).items() if k in STATUS_KEYS})
    flat.setdefault("podNamespace", (obj.get("metadata") or {}).get("namespace"))
    return flat


def merge_patch(
    desired: Mapping[str, Any], current: Mapping[str, Any], keys: Optional[Iterable[str]] = None
) -> Dict[str, Any]:
    """A JSON merge patch turning current into desired: changed keys, and None for keys to remove (of keys, when given)."""
    patch = {k: v for k, v in desired.items() if current.get(k) != v}
    owned = set(current) if keys is None else set(keys) & set(current)
    patch.update({k: None for k in owned if k not in desired})
    return patch


class ReservationStore:
    """Create, read, update and delete PodEni/PodEniIP records of one API group/version."""

    def __init__(self, dynamic_client: Any, group: str = DEFAULT_GROUP, version: str = DEFAULT_VERSION) -> None:
        self.group, self.version = group, version
        self._client = dynamic_client
        self._resources: Dict[Mode, Any] = {}

    @property
    def api_version(self) -> str:
        return "%s/%s" % (self.group, self.version)

    def resource(self, mode: Mode) -> Any:
        if mode not in self._resources:
            try:
                self._resources[mode] = self._client.resources.get(api_version=self.api_version, kind=KIND[mode])
            except Exception as exc:  # the dynamic client raises ResourceNotFoundError, whose module may differ
                raise RecordsUnavailable(
                    "the cluster does not serve %s in %s (%s): install the CRDs with ksyun.kce.fixed_ip_crds, or set the group and "
                    "version your cluster uses" % (KIND[mode], self.api_version, exc)
                ) from exc
        return self._resources[mode]

    def stored(self, obj: Any) -> StoredReservation:
        data = as_dict(obj)
        meta = data["metadata"]
        reservation = dataclasses.replace(
            Reservation.from_dict(flat_record(data)), deleting=bool(meta.get("deletionTimestamp"))
        )
        return StoredReservation(
            reservation, meta["name"], meta["namespace"], meta.get("resourceVersion", ""), meta.get("uid", ""), data
        )

    def list(
        self,
        namespace: Optional[str] = None,
        label_selector: Optional[str] = None,
        modes: Iterable[Mode] = (Mode.EXCLUSIVE, Mode.SHARED),
    ) -> List[StoredReservation]:
        """Every record (one LIST call per kind), optionally in one namespace or matching a selector."""
        selector = LABEL_MANAGED_BY + "=" + MANAGED_BY
        if label_selector:
            selector += "," + label_selector
        found = []
        for mode in modes:
            result = self.resource(mode).get(namespace=namespace, label_selector=selector)
            found.extend(self.stored(item) for item in as_dict(result)["items"])
        return found

    def for_pod(self, namespace: str, pod_name: str) -> List[StoredReservation]:
        """The records of one pod, found by label (a PodEniIP is named after its IP, not the pod)."""
        return self.list(namespace=namespace, label_selector=pod_selector(namespace, pod_name))

    def get(self, mode: Mode, namespace: str, name: str) -> Optional[StoredReservation]:
        """The record, or None when there is none (any record of that name, whoever wrote it)."""
        try:
            return self.stored(self.resource(mode).get(namespace=namespace, name=name))
        except Exception as exc:
            if status_of(exc) == 404:
                return None
            raise

    def create(self, reservation: Reservation, dry_run: bool = False) -> StoredReservation:
        """Create the record; RecordConflict when it already exists (someone else got there first)."""
        spec, status = split(reservation)
        body = {
            "apiVersion": self.api_version,
            "kind": reservation.kind,
            "metadata": {
                "name": reservation.record_name(),
                "namespace": reservation.namespace,
                "labels": reservation_labels(reservation),
                "finalizers": [FINALIZER],
            },
            "spec": spec,
        }
        created = self._write(
            reservation.label(),
            lambda: self.resource(reservation.mode).create(
                body=body, namespace=reservation.namespace, dry_run=_dry(dry_run)
            ),
        )
        return self._write_status(self.stored(created), reservation, status, dry_run, exists=not dry_run)

    def update(self, stored: StoredReservation, reservation: Reservation, dry_run: bool = False) -> StoredReservation:
        """Merge-patch spec and the collection's labels, then status, each conditional on the resourceVersion just read."""
        if reservation.record_name() != stored.name or reservation.mode != stored.reservation.mode:
            raise FixedIpError(
                "reservation %s cannot be stored as %s: a record's kind and name never change; delete it and create a "
                "new one" % (reservation.label(), stored.label)
            )
        spec, status = split(reservation)
        meta = stored.obj.get("metadata") or {}
        spec_patch = merge_patch(spec, stored.obj.get("spec") or {})
        label_patch = merge_patch(reservation_labels(reservation), meta.get("labels") or {}, OUR_LABELS)
        finalizers = list(meta.get("finalizers") or [])
        # A record written before the finalizer existed gets it (a deleting one may not gain finalizers).
        add_finalizer = FINALIZER not in finalizers and not stored.reservation.deleting
        current = stored
        if spec_patch or label_patch or add_finalizer:
            body: Dict[str, Any] = {"metadata": {"resourceVersion": stored.resource_version}}
            if label_patch:
                body["metadata"]["labels"] = label_patch
            if add_finalizer:
                # A merge patch replaces the whole list; the resourceVersion keeps anyone else's change from being lost.
                body["metadata"]["finalizers"] = finalizers + [FINALIZER]
            if spec_patch:
                body["spec"] = spec_patch
            current = self.stored(
                self._write(
                    reservation.label(),
                    lambda: self.resource(reservation.mode).patch(
                        body=body,
                        name=stored.name,
                        namespace=stored.namespace,
                        content_type=MERGE_PATCH,
                        dry_run=_dry(dry_run),
                    ),
                )
            )
        return self._write_status(current, reservation, status, dry_run, exists=True)

    def _write_status(
        self, stored: StoredReservation, reservation: Reservation, status: Dict[str, Any], dry_run: bool, exists: bool
    ) -> StoredReservation:
        current = {k: v for k, v in (stored.obj.get("status") or {}).items() if k in STATUS_FIELDS}
        patch = merge_patch(status, current)
        if not patch:
            return stored
        if not exists:
            # A record created by a dry run does not exist, so its status is shown as it would be written.
            obj = dict(stored.obj, status=dict(stored.obj.get("status") or {}, **status))
            return self.stored(obj)
        body = {"metadata": {"resourceVersion": stored.resource_version}, "status": patch}
        updated = self._write(
            reservation.label(),
            lambda: self.resource(reservation.mode).status.patch(
                body=body, name=stored.name, namespace=stored.namespace, content_type=MERGE_PATCH, dry_run=_dry(dry_run)
            ),
        )
        return self.stored(updated)

    def delete(self, stored: StoredReservation, dry_run: bool = False) -> None:
        """Delete exactly the record that was read (preconditions on uid and resourceVersion), then drop the finalizer
        that keeps it (the caller has freed its IP); gone already is fine."""
        body: Dict[str, Any] = {"preconditions": {"uid": stored.uid, "resourceVersion": stored.resource_version}}
        if dry_run:
            # A DELETE's body (DeleteOptions) wins over its query parameters, so the dry run is asked for here.
            body["dryRun"] = ["All"]
        resource = self.resource(stored.reservation.mode)
        try:
            left = as_dict(resource.delete(name=stored.name, namespace=stored.namespace, body=body))
        except Exception as exc:
            if status_of(exc) == 404:
                return
            if status_of(exc) == 409:
                raise RecordConflict(
                    "%s changed since it was read; read it again before deleting" % stored.label
                ) from exc
            raise
        finalizers = list((left.get("metadata") or {}).get("finalizers") or [])
        if dry_run or FINALIZER not in finalizers:
            return
        patch = {
            "metadata": {
                "resourceVersion": left["metadata"]["resourceVersion"],
                "finalizers": [f for f in finalizers if f != FINALIZER] or None,
            }
        }
        try:
            resource.patch(body=patch, name=stored.name, namespace=stored.namespace, content_type=MERGE_PATCH)
        except Exception as exc:
            if status_of(exc) == 404:
                return
            if status_of(exc) == 409:
                raise RecordConflict(
                    "%s changed while it was being deleted; read it again and delete it again" % stored.label
                ) from exc
            raise

    @staticmethod
    def _write(label: str, call):
        try:
            return call()
        except Exception as exc:
            if status_of(exc) == 409:
                raise RecordConflict(
                    "%s changed or was created concurrently (%s); read it again and plan again"
                    % (label, getattr(exc, "reason", exc))
                ) from exc
            raise


def _dry(dry_run: bool) -> Optional[str]:
    return "All" if dry_run else None
