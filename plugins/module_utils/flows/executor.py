# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one executor: runs a Plan's actions against the cloud, the reservation store and (optionally) a pod network writer.

Actions run in order, each with its Refs resolved from earlier CreateEni results; consecutive
AssignIp (or UnassignIp) actions on one ENI go out as one API call. The first failure stops the run
and is reported with what was done before it: the flows plan again from new snapshots (the
planners are level-triggered); a caller with no record to resume from (a cloud module) asks for
compensation, and the domain's compensation steps close the window the failure left open.

A record the snapshot did not show is created (the create fails if it exists meanwhile); a record
the snapshot showed is updated or deleted conditionally on the resourceVersion read with it, and
later writes use the version the previous write returned.

Check mode sends no cloud call; with dry_run_records the record writes are sent to the API server
as dry runs, so check mode shows what the server would store (the record modules).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.compensate import compensation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import Ref
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import error_text
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore, StoredReservation
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.eip import EIP_NAME_TAG
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import address_snapshot, eni_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.waiter import attached_to, settled, wait_for_eni

RecordKey = Tuple[str, str, str]  # kind, namespace, name
PodNetworkWriter = Callable[[act.SetPodNetwork, Mapping[str, Any]], None]
_BATCHED = (act.AssignIp, act.UnassignIp)


class ExecutionError(FixedIpError):
    """An action could not be run as planned (e.g. a record it deletes was not read with the snapshot)."""


def record_key(reservation: Reservation) -> RecordKey:
    return (reservation.kind, reservation.namespace, reservation.record_name())


def stored_by_key(stored: Sequence[StoredReservation]) -> Dict[RecordKey, StoredReservation]:
    return {(item.kind, item.namespace, item.name): item for item in stored}


def reservation_dict(reservation: Optional[Reservation]) -> Optional[dict]:
    """The record content (camelCase); values not known yet (check mode) read like "<new-eni.primary_ip>"."""
    if reservation is None:
        return None
    refs = {
        item.name: str(getattr(reservation, item.name))
        for item in dataclasses.fields(reservation)
        if isinstance(getattr(reservation, item.name), Ref)
    }
    return (dataclasses.replace(reservation, **refs) if refs else reservation).to_dict()


@dataclass
class ExecutionResult:
    """done: what ran (check mode: what would run), in order. failed/error: the action that stopped the run, and why.

    skipped: actions left to someone else (SetPodNetwork without a writer). records: the stored records after the
    run. created: the ENIs CreateEni made, by ref. compensated: the compensation steps that ran after the failure, and
    undone what they achieved; compensation_error: why they did not all run, and left_open what that leaves (a message
    must say so).
    """

    check_mode: bool = False
    done: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    reservation: Optional[Reservation] = None
    records: Dict[RecordKey, StoredReservation] = field(default_factory=dict)
    created: Dict[str, Any] = field(default_factory=dict)
    failed: str = ""
    error: Optional[BaseException] = None
    compensated: List[str] = field(default_factory=list)
    compensation_error: Optional[BaseException] = None
    undone: str = ""
    left_open: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.done)

    @property
    def ok(self) -> bool:
        return self.error is None


class _Run:
    """One execution: the cloud, the store, Ref results and the records as last written."""

    def __init__(
        self,
        cloud: KsyunClient,
        store: Optional[ReservationStore],
        records: Dict[RecordKey, StoredReservation],
        pod_network: Optional[PodNetworkWriter],
        pod: Optional[Mapping[str, Any]],
        eni_wait_timeout: float,
        eni_wait_interval: Optional[float],
        dry_run: bool,
    ) -> None:
        self.cloud, self.store, self.records = cloud, store, records
        self.pod_network, self.pod = pod_network, pod or {}
        self.wait_timeout, self.wait_interval = eni_wait_timeout, eni_wait_interval
        self.dry_run = dry_run
        self.no_wait: Optional[act.Action] = None
        self.results: Dict[str, Any] = {}
        self.skipped: List[str] = []

    def run(self, batch: Sequence[act.Action]) -> None:
        action = batch[0]
        if isinstance(action, _BATCHED):
            ips = [each.ip for each in batch]
            if isinstance(action, act.AssignIp):
                self.cloud.assign_private_ips(action.eni, ips)
            else:
                self.cloud.unassign_private_ips(action.eni, ips)
            return
        getattr(self, _HANDLERS[type(action)])(action)

    def _store(self):
        if self.store is None:
            raise ExecutionError("the plan writes PodEni/PodEniIP records but no record store was given; this is a bug")
        return self.store

    def write_reservation(self, action: act.WriteReservation) -> None:
        key = record_key(action.reservation)
        current = self.records.get(key)
        if current is None:
            self.records[key] = self._store().create(action.reservation, dry_run=self.dry_run)
        else:
            self.records[key] = self._store().update(current, action.reservation, dry_run=self.dry_run)

    def delete_reservation(self, action: act.DeleteReservation) -> None:
        key = (action.kind, action.namespace, action.name)
        current = self.records.get(key)
        if current is None:
            raise ExecutionError(
                "the plan deletes %s %s/%s, which was not read with the snapshot; plan again"
                % (action.kind, action.namespace, action.name)
            )
        self._store().delete(current, dry_run=self.dry_run)
        del self.records[key]

    def _wait(self, eni_id: str, predicate) -> Mapping[str, Any]:
        return wait_for_eni(self.cloud, eni_id, predicate, self.wait_timeout, self.wait_interval)

    def create_eni(self, action: act.CreateEni) -> None:
        eni_id = self.cloud.create_network_interface(
            action.subnet_id, list(action.security_group_ids), name=action.name, private_ip=action.primary_ip
        )
        created = self.cloud.get_network_interface(eni_id)
        if created is None:
            raise ExecutionError(
                "ENI %s (%s) was created but DescribeNetworkInterfaces does not show it yet; plan again "
                "(the next plan adopts it by its name)" % (eni_id, action.name)
            )
        self.results[action.ref] = eni_snapshot(created)

    def rename_eni(self, action: act.RenameEni) -> None:
        self.cloud.modify_network_interface(action.eni, action.name)

    def set_eni_security_groups(self, action: act.SetEniSecurityGroups) -> None:
        self.cloud.modify_network_interface_attribute(
            action.instance_id, action.eni, action.subnet_id, list(action.security_group_ids)
        )

    def allocate_eip(self, action: act.AllocateEip) -> None:
        made = self.cloud.allocate_address(
            action.band_width, action.line_id, action.charge_type, action.project_id, action.purchase_time
        )
        allocation_id = made["AllocationId"]
        found = self.cloud.get_address(allocation_id)
        self.results[action.ref] = address_snapshot(
            found or {"AllocationId": allocation_id, "PublicIp": made.get("PublicIp")}
        )

    def name_eip(self, action: act.NameEip) -> None:
        self.cloud.tag_address(action.eip, EIP_NAME_TAG, action.name)

    def release_eip(self, action: act.ReleaseEip) -> None:
        self.cloud.release_address(action.eip)

    def associate_eip(self, action: act.AssociateEip) -> None:
        self.cloud.associate_address(action.eip, action.instance_id, action.eni, action.private_ip)

    def disassociate_eip(self, action: act.DisassociateEip) -> None:
        self.cloud.disassociate_address(action.eip)

    def attach_eni(self, action: act.AttachEni) -> None:
        self.cloud.attach_network_interface(action.instance_id, action.eni)
        if action != self.no_wait:
            self._wait(action.eni, attached_to(action.instance_id))

    def detach_eni(self, action: act.DetachEni) -> None:
        self.cloud.detach_network_interface(action.instance_id, action.eni)
        if action != self.no_wait:
            self._wait(action.eni, attached_to(None))

    def needed(self, step: act.Action) -> bool:
        """Whether a compensation step still applies once the failed action's ENI has settled (an attach may not have happened)."""
        if not isinstance(step, (act.DetachEni, act.AttachEni)):
            return True
        eni = eni_snapshot(self._wait(step.eni, settled))
        return eni.instance_id == step.instance_id if isinstance(step, act.DetachEni) else eni.instance_id is None

    def delete_eni(self, action: act.DeleteEni) -> None:
        self.cloud.delete_network_interface(action.eni)

    def assign_random_ips(self, action: act.AssignRandomIps) -> None:
        self.cloud.assign_private_ips(action.eni, count=action.count)

    def reserve_ip(self, action: act.ReserveIp) -> None:
        self.cloud.reserve_private_ip(action.subnet_id, action.ip)

    def unreserve_ip(self, action: act.UnreserveIp) -> None:
        self.cloud.release_private_ip_reservation(action.subnet_id, action.ip)

    def modify_cluster_vpc_cni(self, action: act.ModifyClusterVpcCni) -> None:
        self.cloud.modify_cluster_vpc_cni(action.cluster_id, action.settings)
        if action.wait:
            self.cloud.wait_cluster_vpc_cni(action.cluster_id, action.settings, self.wait_timeout)

    def set_pod_network(self, action: act.SetPodNetwork) -> None:
        if self.pod_network is None:
            self.skipped.append("%s (left to the node's CNI: no pod network writer)" % action.describe())
            return
        self.pod_network(action, self.pod)


_HANDLERS = {
    act.WriteReservation: "write_reservation",
    act.DeleteReservation: "delete_reservation",
    act.CreateEni: "create_eni",
    act.RenameEni: "rename_eni",
    act.SetEniSecurityGroups: "set_eni_security_groups",
    act.AllocateEip: "allocate_eip",
    act.NameEip: "name_eip",
    act.ReleaseEip: "release_eip",
    act.AssociateEip: "associate_eip",
    act.DisassociateEip: "disassociate_eip",
    act.AttachEni: "attach_eni",
    act.DetachEni: "detach_eni",
    act.DeleteEni: "delete_eni",
    act.AssignRandomIps: "assign_random_ips",
    act.ReserveIp: "reserve_ip",
    act.UnreserveIp: "unreserve_ip",
    act.SetPodNetwork: "set_pod_network",
    act.ModifyClusterVpcCni: "modify_cluster_vpc_cni",
}


def _batches(actions: Sequence[act.Action]) -> List[List[act.Action]]:
    """Consecutive AssignIp (or UnassignIp) actions on one ENI in one batch; every other action alone."""
    out: List[List[act.Action]] = []
    for action in actions:
        last = out[-1][-1] if out else None
        if isinstance(action, _BATCHED) and type(last) is type(action) and last.eni == action.eni:
            out[-1].append(action)
        else:
            out.append([action])
    return out


def _compensate(run: _Run, result: ExecutionResult, failed: act.Action, done: List[act.Action], log) -> None:
    created = [made.eni_id for made in run.results.values() if hasattr(made, "eni_id")]
    plan = compensation(failed, done, created[0] if created else None)
    for step in plan.actions:
        try:
            if not run.needed(step):
                continue
            run.run([step])
        except Exception as exc:  # the window stays open; the caller's message must name it
            result.compensation_error = exc
            result.left_open = "undoing it failed too (%s: %s): %s" % (step.describe(), error_text(exc), plan.left_open)
            if log:
                log("compensation failed: %s: %s" % (step.describe(), error_text(exc)))
            return
        result.compensated.append(step.describe())
        if log:
            log("compensated: %s" % step.describe())
    if result.compensated or not plan.actions:
        result.undone = plan.undone


def execute_plan(
    plan: Plan,
    cloud: KsyunClient,
    store: Optional[ReservationStore],
    records: Mapping[RecordKey, StoredReservation],
    pod_network: Optional[PodNetworkWriter] = None,
    pod: Optional[Mapping[str, Any]] = None,
    check_mode: bool = False,
    before_action: Optional[Callable[[], None]] = None,
    log: Optional[Callable[[str], None]] = None,
    eni_wait_timeout: float = 120.0,
    eni_wait_interval: Optional[float] = 1.0,
    compensate: bool = False,
    dry_run_records: bool = False,
    settle_last: bool = True,
) -> ExecutionResult:
    """Run plan.actions in order; stop at the first failure (reported, not raised). check_mode only describes.

    cloud: a KsyunClient. store: a ReservationStore (None when the plan writes no record). records: the
    PodEni/PodEniIP/VpcIP read with the snapshot, by (kind, namespace, name) (see stored_by_key). pod_network(action,
    pod): writes the pod's network for SetPodNetwork (it must check action.uid); without it, SetPodNetwork is
    reported as skipped. before_action: called before each action (the runner renews its locks there; an
    exception stops the run like a failed action). compensate: after a failure, run the domain's compensation
    steps (callers without a record to resume from). dry_run_records: in check mode, send record writes as
    server-side dry runs. eni_wait_interval None polls quickly first, then sparingly. settle_last False: the last
    action, if an attach or detach, does not wait for the ENI to settle.
    """
    result = ExecutionResult(
        check_mode=check_mode, warnings=list(plan.warnings), reservation=plan.reservation, records=dict(records)
    )
    if check_mode and not dry_run_records:
        result.done = list(plan.describe())
        return result
    run = _Run(cloud, store, result.records, pod_network, pod, eni_wait_timeout, eni_wait_interval, dry_run=check_mode)
    if not settle_last and plan.actions:
        run.no_wait = plan.actions[-1]
    done: List[act.Action] = []
    for batch in _batches(plan.actions):
        resolved = batch
        try:
            resolved = [act.resolve_refs(action, run.results) for action in batch]
            if check_mode and not isinstance(resolved[0], (act.WriteReservation, act.DeleteReservation)):
                raise ExecutionError("check mode would send %s to the cloud; this is a bug" % resolved[0].describe())
            if before_action is not None:
                before_action()
            run.run(resolved)
        except Exception as exc:  # every failure stops the run; the caller plans again or compensates
            result.failed, result.error = resolved[0].describe(), exc
            if log:
                log("failed: %s: %s" % (resolved[0].describe(), error_text(exc)))
            if compensate:
                _compensate(run, result, resolved[0], done, log)
            break
        for action in resolved:
            done.append(action)
            if isinstance(action, act.SetPodNetwork) and pod_network is None:
                continue
            result.done.append(action.describe())
            if log:
                log(action.describe())
    result.skipped = run.skipped
    result.created = dict(run.results)
    if plan.reservation is not None and result.ok:
        result.reservation = act.resolve_refs(act.WriteReservation(plan.reservation), run.results).reservation
    return result
