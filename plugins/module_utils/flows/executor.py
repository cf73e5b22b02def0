# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run a Plan against the cloud, the reservation store and (optionally) a pod network writer.

Actions run in order, each with its Refs resolved from earlier CreateEni results; the first failure
stops the run and is reported with what was done before it (plan again from new snapshots: the
planners are level-triggered). A record the snapshot did not show is created (and the create fails
if it exists meanwhile); a record the snapshot showed is updated or deleted conditionally on the
resourceVersion read with it, and later writes use the version the previous write returned.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.flows.kube import error_text
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import eni_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import StoredReservation

RecordKey = Tuple[Mode, str, str]
PodNetworkWriter = Callable[[act.SetPodNetwork, Mapping[str, Any]], None]


class ExecutionError(FixedIpError):
    """An action could not be run as planned (e.g. a record it deletes was not read with the snapshot)."""


def record_key(reservation: Reservation) -> RecordKey:
    return (reservation.mode, reservation.namespace, reservation.record_name())


def stored_by_key(stored: List[StoredReservation]) -> Dict[RecordKey, StoredReservation]:
    return {(item.reservation.mode, item.namespace, item.name): item for item in stored}


def reservation_dict(reservation: Optional[Reservation]) -> Optional[dict]:
    """The record content (camelCase); values not known yet (check mode) read like "<new-eni.primary_ip>"."""
    if reservation is None:
        return None
    refs = {item.name: str(getattr(reservation, item.name)) for item in dataclasses.fields(reservation)
            if isinstance(getattr(reservation, item.name), Ref)}
    return (dataclasses.replace(reservation, **refs) if refs else reservation).to_dict()


@dataclass
class ExecutionResult:
    """done: what ran (check mode: what would run), in order. failed/error: the action that stopped the run, and why.

    skipped: actions left to someone else (SetPodNetwork without a writer). records: the stored records after the run.
    """

    check_mode: bool = False
    done: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    reservation: Optional[Reservation] = None
    records: Dict[RecordKey, StoredReservation] = field(default_factory=dict)
    failed: str = ""
    error: Optional[BaseException] = None

    @property
    def changed(self) -> bool:
        return bool(self.done)

    @property
    def ok(self) -> bool:
        return self.error is None


class _Run:
    """One execution: the cloud, the store, Ref results and the records as last written."""

    def __init__(self, cloud, store, records, pod_network, pod, eni_wait_timeout, eni_wait_interval):
        self.cloud, self.store, self.records = cloud, store, records
        self.pod_network, self.pod = pod_network, pod or {}
        self.wait_timeout, self.wait_interval = eni_wait_timeout, eni_wait_interval
        self.results: Dict[str, Any] = {}
        self.skipped: List[str] = []

    def run(self, action) -> None:
        getattr(self, _HANDLERS[type(action)])(action)

    def write_reservation(self, action: act.WriteReservation) -> None:
        key = record_key(action.reservation)
        current = self.records.get(key)
        if current is None:
            self.records[key] = self.store.create(action.reservation)
        else:
            self.records[key] = self.store.update(current, action.reservation)

    def delete_reservation(self, action: act.DeleteReservation) -> None:
        key = (action.mode, action.namespace, action.name)
        current = self.records.get(key)
        if current is None:
            raise ExecutionError("the plan deletes %s %s/%s, which was not read with the snapshot; plan again"
                                 % (act.KIND[action.mode], action.namespace, action.name))
        self.store.delete(current)
        del self.records[key]

    def create_eni(self, action: act.CreateEni) -> None:
        eni_id = self.cloud.create_network_interface(action.subnet_id, list(action.security_group_ids), name=action.name,
                                                     private_ip=action.primary_ip)
        created = self.cloud.get_network_interface(eni_id)
        if created is None:
            raise ExecutionError("ENI %s (%s) was created but DescribeNetworkInterfaces does not show it yet; plan again "
                                 "(the next plan adopts it by its name)" % (eni_id, action.name))
        self.results[action.ref] = eni_snapshot(created)

    def attach_eni(self, action: act.AttachEni) -> None:
        self.cloud.attach_network_interface(action.instance_id, action.eni)
        self.cloud.wait_network_interface(action.eni, action.instance_id, timeout=self.wait_timeout, interval=self.wait_interval)

    def detach_eni(self, action: act.DetachEni) -> None:
        self.cloud.detach_network_interface(action.instance_id, action.eni)
        self.cloud.wait_network_interface(action.eni, None, timeout=self.wait_timeout, interval=self.wait_interval)

    def delete_eni(self, action: act.DeleteEni) -> None:
        self.cloud.delete_network_interface(action.eni)

    def assign_ip(self, action: act.AssignIp) -> None:
        self.cloud.assign_private_ips(action.eni, [action.ip])

    def unassign_ip(self, action: act.UnassignIp) -> None:
        self.cloud.unassign_private_ips(action.eni, [action.ip])

    def reserve_ip(self, action: act.ReserveIp) -> None:
        self.cloud.reserve_private_ip(action.subnet_id, action.ip)

    def unreserve_ip(self, action: act.UnreserveIp) -> None:
        self.cloud.release_private_ip_reservation(action.subnet_id, action.ip)

    def set_pod_network(self, action: act.SetPodNetwork) -> None:
        if self.pod_network is None:
            self.skipped.append("%s (left to the node's CNI: no pod network writer)" % action.describe())
            return
        self.pod_network(action, self.pod)


_HANDLERS = {
    act.WriteReservation: "write_reservation",
    act.DeleteReservation: "delete_reservation",
    act.CreateEni: "create_eni",
    act.AttachEni: "attach_eni",
    act.DetachEni: "detach_eni",
    act.DeleteEni: "delete_eni",
    act.AssignIp: "assign_ip",
    act.UnassignIp: "unassign_ip",
    act.ReserveIp: "reserve_ip",
    act.UnreserveIp: "unreserve_ip",
    act.SetPodNetwork: "set_pod_network",
}


def execute_plan(plan: Plan, cloud, store, records: Mapping[RecordKey, StoredReservation], pod_network: Optional[PodNetworkWriter] = None,
                 pod: Optional[Mapping[str, Any]] = None, check_mode: bool = False, before_action: Optional[Callable[[], None]] = None,
                 log: Optional[Callable[[str], None]] = None, eni_wait_timeout: float = 120.0, eni_wait_interval: float = 1.0) -> ExecutionResult:
    """Run plan.actions in order; stop at the first failure (reported, not raised). check_mode only describes.

    records: the PodEni/PodEniIP read with the snapshot, by (mode, namespace, name) (see stored_by_key).
    pod_network(action, pod): writes the pod's network for SetPodNetwork (it must check action.uid);
    without it, SetPodNetwork is reported as skipped. before_action: called before each action
    (the runner renews its locks there; an exception stops the run like a failed action).
    """
    result = ExecutionResult(check_mode=check_mode, warnings=list(plan.warnings), reservation=plan.reservation, records=dict(records))
    if check_mode:
        result.done = list(plan.describe())
        return result
    run = _Run(cloud, store, result.records, pod_network, pod, eni_wait_timeout, eni_wait_interval)
    for planned in plan.actions:
        action = planned
        try:
            action = act.resolve_refs(planned, run.results)
            if before_action is not None:
                before_action()
            run.run(action)
        except Exception as exc:  # every failure stops the run; the caller plans again from new snapshots
            result.failed, result.error = action.describe(), exc
            if log:
                log("failed: %s: %s" % (action.describe(), error_text(exc)))
            break
        if isinstance(action, act.SetPodNetwork) and pod_network is None:
            continue
        result.done.append(action.describe())
        if log:
            log(action.describe())
    result.skipped = run.skipped
    if plan.reservation is not None and result.ok:
        result.reservation = act.resolve_refs(act.WriteReservation(plan.reservation), run.results).reservation
    return result
