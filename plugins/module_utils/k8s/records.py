# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""PodEni / PodEniIP / VpcIP records in the cluster: the one record store, with optimistic concurrency.

The flows, the node agent and the record modules all write records here. Works on any
``kubernetes.dynamic.DynamicClient`` (kubernetes.core's ``get_api_client().client`` is one). The
domain's flat reservation is split into the record's spec (what is reserved) and its status (where it
is bound, in which phase); updates are JSON merge patches carrying the resourceVersion last read, so
a stale write is refused, and they touch only the spec, the status and the collection's own labels:
labels, annotations, finalizers and owner references that others added are never dropped.
dry_run=True asks the API server what a write would do (check mode) and changes nothing.

A VpcIP (the record of a shared-mode pod without a fixed IP) has a layout of its own: spec ip, subnetId, zone,
eniId, mac, node, instanceId and pod {namespace, name, uid}; status phase. A cluster installed before the VpcIP
CRD does not serve it: readers then see no VpcIP (serves() says so, list() skips the kind), and binds record a
non-fixed shared IP as a PodEniIP with fixed false, as before.

Every record carries the finalizer k8s.ksyun.com/release-ip, so a record deleted by kubectl or with its
namespace stays (marked deleting) until a release or reclaim has freed its IP; the store's delete
removes the finalizer after deleting, so a flow's own delete completes at once.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import (
    KIND,
    VPC_IP,
    Mode,
    Phase,
    Reservation,
    format_time,
)
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
# Every kind of record, in the order list() reads them; the shared-mode ones (a pod's IP names them).
ALL_KINDS = (KIND[Mode.EXCLUSIVE], KIND[Mode.SHARED], VPC_IP)
SHARED_KINDS = (KIND[Mode.SHARED], VPC_IP)
# (key of the record content, key of the VpcIP spec): the flat part of its spec; pod {namespace, name, uid} is nested.
_VPC_IP_SPEC = (
    ("ip", "ip"),
    ("subnetId", "subnetId"),
    ("zone", "zone"),
    ("eniId", "eniId"),
    ("mac", "mac"),
    ("nodeName", "node"),
    ("instanceId", "instanceId"),
)


class RecordConflict(FixedIpError):
    """Someone else changed or created the record since it was read: read it again and plan again."""


class RecordsUnavailable(FixedIpError):
    """A record kind is not served: its CRD is missing or in another API group."""


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
        return self.reservation.kind

    @property
    def label(self) -> str:
        return "%s %s/%s" % (self.kind, self.namespace, self.name)


def split(reservation: Reservation) -> tuple:
    """(spec, status) of the record; empty values are left out so schema formats (ipv4) hold."""
    flat = reservation.to_dict()
    if reservation.vpc_ip:
        spec = {key: flat[attribute] for attribute, key in _VPC_IP_SPEC if flat[attribute] not in ("", None)}
        spec["pod"] = {"namespace": reservation.namespace, "name": reservation.pod_name, "uid": reservation.pod_uid}
        return spec, {"phase": reservation.phase.value}
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


def vpc_ip_reservation(obj: Mapping[str, Any]) -> Reservation:
    """A stored VpcIP as the domain's Reservation (vpc_ip, shared mode, not fixed)."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    pod = spec.get("pod") or {}
    flat = {attribute: spec.get(key) or "" for attribute, key in _VPC_IP_SPEC}
    return Reservation(
        namespace=pod.get("namespace") or (obj.get("metadata") or {}).get("namespace") or "",
        pod_name=pod.get("name") or "",
        mode=Mode.SHARED,
        pod_uid=pod.get("uid") or "",
        fixed=False,
        ip=flat["ip"],
        subnet_id=flat["subnetId"],
        zone=flat["zone"],
        eni_id=flat["eniId"],
        mac=flat["mac"],
        instance_id=flat["instanceId"],
        node_name=flat["nodeName"],
        phase=status.get("phase") or Phase.BINDING,
        vpc_ip=True,
    )


def merge_patch(
    desired: Mapping[str, Any], current: Mapping[str, Any], keys: Optional[Iterable[str]] = None
) -> Dict[str, Any]:
    """A JSON merge patch turning current into desired: changed keys, and None for keys to remove (of keys, when given)."""
    patch = {k: v for k, v in desired.items() if current.get(k) != v}
    owned = set(current) if keys is None else set(keys) & set(current)
    patch.update({k: None for k in owned if k not in desired})
    return patch


def _kind(what: Union[Mode, str]) -> str:
    """A record kind, given as a kind or (PodEni, PodEniIP) as the mode of a reservation."""
    return KIND[what] if isinstance(what, Mode) else what


class ReservationStore:
    """Create, read, update and delete PodEni/PodEniIP/VpcIP records of one API group/version."""

    def __init__(self, dynamic_client: Any, group: str = DEFAULT_GROUP, version: str = DEFAULT_VERSION) -> None:
        self.group, self.version = group, version
        self._client = dynamic_client
        self._resources: Dict[str, Any] = {}
        self._unserved: Dict[str, str] = {}
        self._listed: set = set()

    @property
    def api_version(self) -> str:
        return "%s/%s" % (self.group, self.version)

    def resource(self, what: Union[Mode, str]) -> Any:
        """The dynamic resource of a kind (or of a mode's reservation kind); RecordsUnavailable when not served."""
        kind = _kind(what)
        if kind not in self._resources:
            try:
                self._resources[kind] = self._client.resources.get(api_version=self.api_version, kind=kind)
            except Exception as exc:  # the dynamic client raises ResourceNotFoundError, whose module may differ
                self._unserved[kind] = str(exc)
                raise RecordsUnavailable(
                    "the cluster does not serve %s in %s (%s): install the CRDs with ksyun.kce.fixed_ip_crds, or set the group and "
                    "version your cluster uses" % (kind, self.api_version, exc)
                ) from exc
        return self._resources[kind]

    def serves(self, kind: str) -> bool:
        """Whether the cluster serves the kind (a cluster installed before VpcIP existed does not serve it); asked once.

        Discovery may be stale (the client caches it, also on disk): a CRD removed since still resolves, so the kind is
        asked itself (one LIST of at most one item), unless this store has listed it already.
        """
        if kind in self._listed:
            return True
        if kind in self._unserved:
            return False
        try:
            self.resource(kind).get(limit=1)
        except RecordsUnavailable:
            return False
        except Exception as exc:
            if status_of(exc) != 404:
                raise
            self._forget(kind, exc)
            return False
        self._listed.add(kind)
        return True

    def _forget(self, kind: str, exc: BaseException) -> None:
        """The kind is not served after all (its CRD was removed since discovery cached it)."""
        self._resources.pop(kind, None)
        self._unserved[kind] = str(exc)

    def stored(self, obj: Any, kind: Optional[str] = None) -> StoredReservation:
        data = as_dict(obj)
        meta = data["metadata"]
        if (kind or data.get("kind")) == VPC_IP:
            content = vpc_ip_reservation(data)
        else:
            content = Reservation.from_dict(flat_record(data))
        reservation = dataclasses.replace(content, deleting=bool(meta.get("deletionTimestamp")))
        return StoredReservation(
            reservation, meta["name"], meta["namespace"], meta.get("resourceVersion", ""), meta.get("uid", ""), data
        )

    def list(
        self,
        namespace: Optional[str] = None,
        label_selector: Optional[str] = None,
        kinds: Iterable[str] = ALL_KINDS,
    ) -> List[StoredReservation]:
        """Every record (one LIST call per kind), optionally in one namespace or matching a selector.

        A VpcIP kind the cluster does not serve (an install older than it) reads as no VpcIP.
        """
        selector = LABEL_MANAGED_BY + "=" + MANAGED_BY
        if label_selector:
            selector += "," + label_selector
        found = []
        for kind in kinds:
            optional = kind == VPC_IP
            if optional and kind in self._unserved:
                continue
            try:
                result = self.resource(kind).get(namespace=namespace, label_selector=selector)
            except RecordsUnavailable:
                if optional:
                    continue
                raise
            except Exception as exc:
                if optional and status_of(exc) == 404:
                    self._forget(kind, exc)  # removed since discovery cached it: as if never installed
                    continue
                raise
            self._listed.add(kind)
            found.extend(self.stored(item, kind) for item in as_dict(result)["items"])
        return found

    def for_pod(self, namespace: str, pod_name: str) -> List[StoredReservation]:
        """The records of one pod, found by label (a PodEniIP is named after its IP, not the pod)."""
        return self.list(namespace=namespace, label_selector=pod_selector(namespace, pod_name))

    def get(self, what: Union[Mode, str], namespace: str, name: str) -> Optional[StoredReservation]:
        """The record, or None when there is none (any record of that name, whoever wrote it)."""
        try:
            return self.stored(self.resource(what).get(namespace=namespace, name=name), _kind(what))
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
            lambda: self.resource(reservation.kind).create(
                body=body, namespace=reservation.namespace, dry_run=_dry(dry_run)
            ),
        )
        return self._write_status(
            self.stored(created, reservation.kind), reservation, status, dry_run, exists=not dry_run
        )

    def update(self, stored: StoredReservation, reservation: Reservation, dry_run: bool = False) -> StoredReservation:
        """Merge-patch spec and the collection's labels, then status, each conditional on the resourceVersion just read."""
        if reservation.record_name() != stored.name or reservation.kind != stored.kind:
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
                    lambda: self.resource(reservation.kind).patch(
                        body=body,
                        name=stored.name,
                        namespace=stored.namespace,
                        content_type=MERGE_PATCH,
                        dry_run=_dry(dry_run),
                    ),
                ),
                reservation.kind,
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
            return self.stored(obj, reservation.kind)
        body = {"metadata": {"resourceVersion": stored.resource_version}, "status": patch}
        updated = self._write(
            reservation.label(),
            lambda: self.resource(reservation.kind).status.patch(
                body=body, name=stored.name, namespace=stored.namespace, content_type=MERGE_PATCH, dry_run=_dry(dry_run)
            ),
        )
        return self.stored(updated, reservation.kind)

    def delete(self, stored: StoredReservation, dry_run: bool = False) -> None:
        """Delete exactly the record that was read (preconditions on uid and resourceVersion), then drop the finalizer
        that keeps it (the caller has freed its IP); gone already is fine."""
        body: Dict[str, Any] = {"preconditions": {"uid": stored.uid, "resourceVersion": stored.resource_version}}
        if dry_run:
            # A DELETE's body (DeleteOptions) wins over its query parameters, so the dry run is asked for here.
            body["dryRun"] = ["All"]
        resource = self.resource(stored.kind)
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
