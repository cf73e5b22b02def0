# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bind_pod / release_pod: snapshot -> plan -> execute, again until the plan is done (a bounded number of rounds).

Each round reads the records first, then the cloud, then the live pods, plans, and runs the plan.
A failed action, a record written concurrently (RecordConflict) or a transient ENI state (Plan.retry)
ends the round; the next round starts from new snapshots, so a rerun finishes what a failure left.
Shared-mode flows hold the allocation lock of the subnets involved for the whole round.

The API (the node agent and the fixed_ip module use only this):

    config = read_cluster_config(kube)                      # flows.cluster_config
    ctx = FlowContext(kube, cloud, config, pod_network=None, identity=None, ...)
    result = bind_pod(ctx, namespace, name, check_mode=False, ordinary_as_shared=False)
    result = release_pod(ctx, namespace, name, pod=None, check_mode=False)
    result.as_dict()  # changed, actions, skipped, warnings, reservation, reason, rounds
    # FlowError (with .result) when a flow cannot finish; other FixedIpError when it must not start.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import WriteReservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.bind import plan_bind
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import VPC_IP, Mode, Phase
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import (
    NETWORK_ANNOTATION,
    SHARED_ANNOTATION,
    SHARED_RESOURCE,
    VPC_CNI_NETWORK,
    pod_request,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.release import plan_release
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import PodSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import ClusterConfig
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import (
    ExecutionResult,
    PodNetworkWriter,
    execute_plan,
    reservation_dict,
    stored_by_key,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import (
    DEFAULT_NAMESPACE,
    SubnetLocks,
    default_identity,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot, read_nodes
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import (
    as_dict,
    error_text,
    get_or_none,
    resource,
    utcnow,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import (
    SHARED_KINDS,
    ReservationStore,
    StoredReservation,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader


class FlowError(FixedIpError):
    """A flow could not finish; ``result`` says what was done before it stopped."""

    def __init__(self, message: str, result: "FlowResult") -> None:
        super().__init__(message)
        self.result = result

    def partial_result(self) -> Dict[str, Any]:
        """What a failed task reports besides the message: what the flow did before it stopped."""
        return {"reservations": [self.result.as_dict()], "changed": self.result.changed}


@dataclass
class FlowResult:
    """What a bind or release did, in a form a module can return (see as_dict)."""

    flow: str
    pod: str
    check_mode: bool = False
    actions: List[str] = field(default_factory=list)
    skipped: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    reservation: Optional[dict] = None
    reason: str = ""
    rounds: int = 0
    kind: str = ""  # of the record the flow left (or found): PodEni, PodEniIP or VpcIP; empty when none
    noted: set = field(default_factory=set, repr=False)  # what the flow has logged once already

    @property
    def changed(self) -> bool:
        return bool(self.actions)

    @property
    def pod_ip(self) -> str:
        return (self.reservation or {}).get("ip") or ""

    def warn(self, texts: Sequence[str]) -> None:
        self.warnings.extend(text for text in texts if text not in self.warnings)

    def as_dict(self) -> Dict[str, Any]:
        return {
            "changed": self.changed,
            "flow": self.flow,
            "pod": self.pod,
            "actions": list(self.actions),
            "skipped": list(self.skipped),
            "warnings": list(self.warnings),
            "reservation": self.reservation,
            "reason": self.reason,
            "rounds": self.rounds,
        }


class FlowContext:
    """Everything a flow needs: clients, configuration, the pod network writer and the knobs of the loop.

    kube: a kubernetes.dynamic.DynamicClient (kubernetes.core's get_api_client().client is one).
    cloud: a KsyunClient (reader: the cloud read model on it, with the configuration's CloudBehaviour).
    config: the ClusterConfig (read_cluster_config). pod_network: see execute_plan.
    identity: who holds the subnet locks (shown in the Lease). log: called with one line per flow step.
    """

    def __init__(
        self,
        kube: Any,
        cloud: KsyunClient,
        config: ClusterConfig,
        store: Optional[ReservationStore] = None,
        pod_network: Optional[PodNetworkWriter] = None,
        identity: Optional[str] = None,
        lock_namespace: str = DEFAULT_NAMESPACE,
        lock_duration: int = 30,
        lock_timeout: float = 60.0,
        max_rounds: int = 6,
        retry_delay: float = 0.5,
        eni_wait_timeout: float = 120.0,
        eni_wait_interval: float = 1.0,
        project_ids: Optional[Sequence[Any]] = None,
        log: Optional[Callable[[str], None]] = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if max_rounds < 1:
            raise ValueError("max_rounds must be at least 1, got %r" % (max_rounds,))
        self.kube, self.cloud, self.config = kube, cloud, config
        self.reader = CloudReader(cloud, config.settings.cloud)
        self.store = store or ReservationStore(kube, config.crd_group, config.crd_version)
        self.pod_network = pod_network
        self.identity = identity or default_identity()
        self.lock_options = {
            "namespace": lock_namespace,
            "duration": lock_duration,
            "timeout": lock_timeout,
            "sleep": sleep,
        }
        self.max_rounds, self.retry_delay = max_rounds, retry_delay
        self.eni_wait_timeout, self.eni_wait_interval = eni_wait_timeout, eni_wait_interval
        self.project_ids = project_ids
        self.log = log or (lambda line: None)
        self.sleep, self.clock = sleep, clock

    @property
    def settings(self) -> Settings:
        return self.config.settings

    def locks(self, subnet_ids: Iterable[str]) -> SubnetLocks:
        return SubnetLocks(self.kube, subnet_ids, self.identity, **self.lock_options)


def _as_ordinary_shared(pod: PodSnapshot) -> PodSnapshot:
    """A pod that asks for no VPC-CNI mode, as a non-fixed shared-ENI pod (how the sandbox networks ordinary pods)."""
    annotations = dict(pod.annotations)
    annotations.update({SHARED_ANNOTATION: "true", NETWORK_ANNOTATION: VPC_CNI_NETWORK})
    return dataclasses.replace(
        pod, annotations=annotations, resource_requests=dict(pod.resource_requests, **{SHARED_RESOURCE: 1})
    )


def _one_record(records: List[StoredReservation], pod: str) -> Optional[StoredReservation]:
    if len(records) > 1:
        names = ", ".join("%s %s/%s" % (item.kind, item.namespace, item.name) for item in records)
        raise FixedIpError(
            "pod %s has %d reservations (%s); a pod holds at most one: delete the ones that are wrong"
            % (pod, len(records), names)
        )
    return records[0] if records else None


def _live_uids(ctx: FlowContext, namespace: str) -> frozenset:
    """Uids of the pods the API server shows now in the namespace (a record only ever names a pod of its own namespace)."""
    pods = as_dict(resource(ctx.kube, "v1", "Pod").get(namespace=namespace))
    return frozenset((item.get("metadata") or {}).get("uid") for item in pods.get("items") or [])


def _records_of_pod(namespace: str, name: str, stored: List[StoredReservation]) -> Optional[StoredReservation]:
    mine = [item for item in stored if item.reservation.namespace == namespace and item.reservation.pod_name == name]
    return _one_record(mine, "%s/%s" % (namespace, name))


def _finish(result: FlowResult, done: ExecutionResult) -> None:
    result.actions.extend(done.done)
    result.skipped.extend(done.skipped)
    result.warn(done.warnings)
    result.reservation = reservation_dict(done.reservation)
    result.kind = done.reservation.kind if done.reservation is not None else ""


def _run_rounds(ctx: FlowContext, result: FlowResult, one_round: Callable[[], Optional[str]]) -> FlowResult:
    """Call one_round until it says it is done (returns None); it returns why it must go again otherwise."""
    why = ""
    for number in range(1, ctx.max_rounds + 1):
        result.rounds = number
        why = one_round()
        if why is None:
            return result
        ctx.log("%s %s: round %d ends: %s" % (result.flow, result.pod, number, why))
        if number < ctx.max_rounds:
            ctx.sleep(ctx.retry_delay * number)
    raise FlowError(
        "%s of pod %s did not finish after %d rounds: %s%s"
        % (
            result.flow,
            result.pod,
            ctx.max_rounds,
            why,
            "; done so far: %s" % "; ".join(result.actions) if result.actions else "; nothing was changed",
        ),
        result,
    )


def _execute(
    ctx: FlowContext, result: FlowResult, plan: Plan, stored, pod: dict, check_mode: bool, locks
) -> Optional[str]:
    """Run the plan; None when the flow is done, else why another round is needed."""
    result.warn(plan.warnings)
    if plan.retry:
        result.reason = plan.reason
        return plan.reason or "the cloud is in a transient state"
    if not plan.actions:
        result.reason = plan.reason
        if result.reservation is None:
            result.reservation = reservation_dict(plan.reservation)
            result.kind = plan.reservation.kind if plan.reservation is not None else ""
        return None
    ctx.log("%s %s: %d actions%s" % (result.flow, result.pod, len(plan.actions), " (check mode)" if check_mode else ""))
    done = execute_plan(
        plan,
        ctx.cloud,
        ctx.store,
        stored_by_key(stored),
        pod_network=ctx.pod_network,
        pod=pod,
        check_mode=check_mode,
        before_action=locks.renew_if_due if locks else None,
        log=lambda line: ctx.log("%s %s: %s" % (result.flow, result.pod, line)),
        eni_wait_timeout=ctx.eni_wait_timeout,
        eni_wait_interval=ctx.eni_wait_interval,
    )
    _finish(result, done)
    if not done.ok:
        return "%s failed: %s" % (done.failed, error_text(done.error))
    if plan.reason and not check_mode:
        return plan.reason
    result.reason = plan.reason
    return None


def bind_pod(
    ctx: FlowContext, namespace: str, name: str, check_mode: bool = False, ordinary_as_shared: bool = False
) -> FlowResult:
    """Give a scheduled pod its IP (the product page's bind, steps 3-5); FlowError if it cannot.

    ordinary_as_shared: a pod without VPC-CNI annotations gets a non-fixed shared-ENI IP (the sandbox's
    default network); otherwise such a pod is left alone and the result says why.
    """
    result = FlowResult("bind", "%s/%s" % (namespace, name), check_mode=check_mode)

    def one_round() -> Optional[str]:
        pod = get_or_none(ctx.kube, "v1", "Pod", name, namespace)
        if pod is None:
            raise FlowError("pod %s/%s does not exist; nothing to bind" % (namespace, name), result)
        snapshot = pod_snapshot(pod)
        if not snapshot.node_name:
            raise FlowError(
                "pod %s/%s is not scheduled to a node yet; bind it once it has spec.nodeName" % (namespace, name),
                result,
            )
        request = pod_request(snapshot)
        if request.mode is None and ordinary_as_shared:
            snapshot = _as_ordinary_shared(snapshot)
            request = pod_request(snapshot)
        node = get_or_none(ctx.kube, "v1", "Node", snapshot.node_name)
        if node is None:
            raise FlowError("node %s of pod %s/%s does not exist" % (snapshot.node_name, namespace, name), result)
        info = read_nodes(ctx.reader, [node], ctx.project_ids)[snapshot.node_name]
        zone_subnets = ctx.settings.subnets_in(info.snapshot.zone)
        locks = ctx.locks(zone_subnets) if request.mode is Mode.SHARED and not check_mode else None
        if locks:
            locks.acquire()
        try:
            shared = ctx.store.list(kinds=SHARED_KINDS)
            exclusive = ctx.store.get(Mode.EXCLUSIVE, namespace, name)
            stored = shared + ([exclusive] if exclusive else [])
            existing = _records_of_pod(namespace, name, stored)
            record = existing.reservation if existing else None
            # A bind cut short after AssignIp may have left the pod's IP assigned but still specific.
            binding = (
                [record.ip]
                if record and record.mode is Mode.SHARED and record.phase is Phase.BINDING and record.ip
                else []
            )
            subnets = set(zone_subnets) | ({record.subnet_id} if record and record.subnet_id else set())
            cloud = ctx.reader.cloud(subnets, [info.instance], maybe_specific=binding)
            if record and record.eip_id:
                # Only a reservation with an EIP costs the one extra read (DescribeAddresses).
                cloud = dataclasses.replace(cloud, addresses=tuple(ctx.reader.addresses([record.eip_id])))
            live = _live_uids(ctx, namespace)
            plan = plan_bind(
                snapshot,
                info.snapshot,
                record,
                cloud,
                ctx.settings,
                ctx.clock(),
                live_pod_uids=live,
                recorded_ips=frozenset(item.reservation.ip for item in shared if item.reservation.ip),
                vpc_ips=ctx.store.serves(VPC_IP),
            )
            _say_if_no_vpc_ip(ctx, result, plan)
            return _execute(ctx, result, plan, [existing] if existing else [], pod, check_mode, locks)
        finally:
            if locks:
                locks.release()

    return _run_rounds(ctx, result, one_round)


def _say_if_no_vpc_ip(ctx: FlowContext, result: FlowResult, plan: Plan) -> None:
    """Log (once a flow) that a non-fixed shared IP is recorded as a PodEniIP because the cluster lacks the VpcIP CRD."""
    older = any(
        isinstance(action, WriteReservation)
        and action.reservation.mode is Mode.SHARED
        and not action.reservation.fixed
        and not action.reservation.vpc_ip
        for action in plan.actions
    )
    if older and not ctx.store.serves(VPC_IP) and "no-vpcip" not in result.noted:
        result.noted.add("no-vpcip")
        ctx.log(
            "%s %s: the cluster does not serve VpcIP in %s (its CRDs predate it), so the pod's non-fixed IP is recorded "
            "as a PodEniIP with fixed false, as before, and released with the pod all the same; install the CRDs again "
            "(ksyun.kce.fixed_ip_crds or the vpc_cni role) to record it as a VpcIP"
            % (result.flow, result.pod, ctx.store.api_version)
        )


def _release_subject(ctx: FlowContext, namespace: str, name: str, last_known: Optional[dict], records) -> tuple:
    """(pod object, PodSnapshot) of the pod being released: the live one, else the last known one, else the record's pod."""
    pod = get_or_none(ctx.kube, "v1", "Pod", name, namespace)
    known = as_dict(last_known) if last_known is not None else None
    if known is not None and (
        pod is None or (pod.get("metadata") or {}).get("uid") != (known.get("metadata") or {}).get("uid")
    ):
        return known, dataclasses.replace(pod_snapshot(known), deleting=True)
    if pod is not None:
        return pod, pod_snapshot(pod)
    existing = _one_record(records, "%s/%s" % (namespace, name))
    uid = existing.reservation.pod_uid if existing else ""
    return {}, PodSnapshot(namespace=namespace, name=name, uid=uid, deleting=True)


def release_pod(
    ctx: FlowContext, namespace: str, name: str, pod: Optional[Any] = None, check_mode: bool = False
) -> FlowResult:
    """What a pod's deletion does to its reservation (product page, "When a pod is deleted").

    The pod must be terminating (deletionTimestamp) or gone; pod: its last known object, for a pod
    already gone or replaced by a new pod of the same name. A live pod's IP is never released.
    """
    result = FlowResult("release", "%s/%s" % (namespace, name), check_mode=check_mode)

    def one_round() -> Optional[str]:
        first = ctx.store.for_pod(namespace, name)
        current = _one_record(first, result.pod)
        if current is None:
            result.reason = "pod %s has no reservation; nothing to release" % result.pod
            return None
        shared = current.reservation.mode is Mode.SHARED and current.reservation.subnet_id
        locks = ctx.locks([current.reservation.subnet_id]) if shared and not check_mode else None
        if locks:
            locks.acquire()
        try:
            records = ctx.store.for_pod(namespace, name)
            existing = _one_record(records, result.pod)
            subject, snapshot = _release_subject(ctx, namespace, name, pod, records)
            record = existing.reservation if existing else None
            subnets = {record.subnet_id} if record and record.subnet_id else set(ctx.settings.all_subnets())
            cloud = ctx.reader.cloud(subnets)
            live = _live_uids(ctx, namespace)
            plan = plan_release(snapshot, record, cloud, ctx.settings, ctx.clock(), live)
            return _execute(ctx, result, plan, records, subject, check_mode, locks)
        finally:
            if locks:
                locks.release()

    return _run_rounds(ctx, result, one_round)
