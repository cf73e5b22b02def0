# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three states of ksyun.kce.fixed_ip over many pods: reserved (pre-provision), bound and released (the flows).

Reads are batched: the records once (one LIST per kind), the cloud once per batch (CloudReader.cloud), and
the subnets' allocation locks are held for the whole batch, so requests of one task never pick the
same IP and no bind of another process picks one in between.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError, ReservationConflict
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import KIND, Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reserve import (
    ReserveRequest,
    plan_reserve,
    resolve_zone,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import (
    execute_plan,
    reservation_dict,
    stored_by_key,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, FlowError, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import error_text
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import StoredReservation


@dataclass
class ReserveResult:
    """What one request did (check mode: would do)."""

    request: ReserveRequest
    kind: str
    before: Optional[dict] = None
    reservation: Optional[dict] = None
    actions: List[str] = dataclasses.field(default_factory=list)
    reason: str = ""
    warnings: List[str] = dataclasses.field(default_factory=list)

    def as_dict(self) -> Dict[str, Any]:
        name = (self.reservation or {}).get("ip") if self.request.mode is Mode.SHARED else self.request.pod_name
        return {
            "namespace": self.request.namespace,
            "pod_name": self.request.pod_name,
            "kind": self.kind,
            "name": name or "",
            "changed": bool(self.actions),
            "actions": list(self.actions),
            "reservation": self.reservation,
            "reason": self.reason,
            "warnings": list(self.warnings),
        }


def existing_records(
    stored: Sequence[StoredReservation], requests: Sequence[ReserveRequest]
) -> Dict[Tuple[str, str], Any]:
    """The stored record of each requested pod (a pod has at most one)."""
    wanted = {(r.namespace, r.pod_name) for r in requests}
    found: Dict[Tuple[str, str], Any] = {}
    for item in stored:
        key = (item.reservation.namespace, item.reservation.pod_name)
        if key not in wanted:
            continue
        if key in found:
            raise ReservationConflict(
                "pod %s/%s has two reservations (%s %s/%s and %s %s/%s); a pod keeps one: delete the wrong one"
                % (key + (found[key].kind, found[key].namespace, found[key].name, item.kind, item.namespace, item.name))
            )
        found[key] = item
    return found


class ReserveError(FixedIpError):
    """A request could not be carried out; results says what was done before."""

    def __init__(self, message: str, results: List[ReserveResult]) -> None:
        super().__init__(message)
        self.results = results

    def partial_result(self) -> Dict[str, Any]:
        """What a failed task reports besides the message: what the requests before it did."""
        return {"reservations": [r.as_dict() for r in self.results], "changed": any(r.actions for r in self.results)}


def _label(kind: str, namespace: str, name: str) -> str:
    return "%s %s/%s" % (kind, namespace, name)


def _subnets_involved(ctx: FlowContext, requests: Sequence[ReserveRequest], found) -> List[str]:
    subnet_ids = set()
    for request in requests:
        zone = resolve_zone(request, ctx.settings)
        subnet_ids.update(ctx.settings.subnets_in(zone) if zone else ctx.settings.all_subnets())
    subnet_ids.update(item.reservation.subnet_id for item in found.values() if item.reservation.subnet_id)
    return sorted(subnet_ids)


def run_reserved(
    ctx: FlowContext, requests: Sequence[ReserveRequest], check_mode: bool
) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Pre-provision every request; returns the per-pod results and the diff (records before/after by label)."""
    seen = set()
    for request in requests:
        if (request.namespace, request.pod_name) in seen:
            raise ReservationConflict(
                "pod %s is listed twice; a pod keeps one reservation, so list it once" % request.ref
            )
        seen.add((request.namespace, request.pod_name))
        resolve_zone(request, ctx.settings)
    stored = ctx.store.list()
    found = existing_records(stored, requests)
    for item in found.values():
        if item.reservation.vpc_ip:
            raise ReservationConflict(
                "pod %s/%s holds the non-fixed IP %s (%s), which goes with the pod and is never kept; delete the pod (its "
                "VpcIP and IP are released with it), then reserve; nothing was changed"
                % (item.reservation.namespace, item.reservation.pod_name, item.reservation.ip, item.label)
            )
    subnet_ids = _subnets_involved(ctx, requests, found)
    locks = ctx.locks(subnet_ids) if subnet_ids and not check_mode else None
    results: List[ReserveResult] = []
    if locks:
        locks.acquire()
    try:
        cloud = ctx.reader.cloud(subnet_ids)
        eip_owners: Dict[str, str] = {}
        if any(request.wants_eip for request in requests):
            # Only a batch that wants EIPs costs this read: every EIP with its name (one paged DescribeAddresses).
            cloud = dataclasses.replace(cloud, addresses=tuple(ctx.reader.addresses()))
            eip_owners = {
                item.reservation.eip_id: item.reservation.label() for item in stored if item.reservation.eip_id
            }
        records = stored_by_key(stored)
        recorded = {
            item.reservation.ip: item.reservation
            for item in stored
            if item.reservation.mode is Mode.SHARED and isinstance(item.reservation.ip, str) and item.reservation.ip
        }
        taken = set()
        for request in requests:
            current = found.get((request.namespace, request.pod_name))
            before = current.reservation if current else None

            result = ReserveResult(request, KIND[request.mode], before=before.to_dict() if before else None)
            results.append(result)
            plan = plan_reserve(request, before, cloud, ctx.settings, recorded, taken, eip_owners)
            done = execute_plan(
                plan,
                ctx.cloud,
                ctx.store,
                records,
                check_mode=check_mode,
                before_action=locks.renew_if_due if locks else None,
                eni_wait_timeout=ctx.eni_wait_timeout,
                eni_wait_interval=ctx.eni_wait_interval,
            )
            result.actions, result.reason, result.warnings = list(done.done), plan.reason, list(plan.warnings)
            result.reservation = reservation_dict(done.reservation)
            if not done.ok:
                raise ReserveError(
                    "reserving an IP for pod %s failed at %s: %s; %s"
                    % (
                        request.ref,
                        done.failed,
                        error_text(done.error),
                        (
                            "done before: %s; run the task again to finish" % "; ".join(done.done)
                            if done.done
                            else "nothing was changed for it"
                        ),
                    ),
                    results,
                )
            records = done.records
            if done.reservation is not None and isinstance(done.reservation.eip_id, str) and done.reservation.eip_id:
                eip_owners[done.reservation.eip_id] = done.reservation.label()
            if plan.reservation is not None and isinstance(plan.reservation.ip, str) and plan.reservation.ip:
                taken.add(plan.reservation.ip)
                if plan.reservation.mode is Mode.SHARED:
                    recorded[plan.reservation.ip] = plan.reservation
    finally:
        if locks:
            locks.release()
    return [r.as_dict() for r in results], _diff((_result_label(r), r.before, r.reservation) for r in results)


def _result_label(result: ReserveResult) -> str:
    data = result.as_dict()
    return _label(result.kind, result.request.namespace, data["name"] or result.request.pod_name)


def run_flow(
    ctx: FlowContext, state: str, pods: Sequence[Tuple[str, str]], check_mode: bool
) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Run bind_pod (state bound) or release_pod (state released) for each (namespace, name), in order."""
    flow = bind_pod if state == "bound" else release_pod
    results, changes = [], []
    for namespace, name in pods:
        before = _one(ctx, namespace, name)
        try:
            outcome = flow(ctx, namespace, name, check_mode=check_mode)
        except FlowError as exc:
            raise FlowError(
                "%s; earlier pods of this task are done: %s" % (exc, ", ".join(r["pod"] for r in results) or "none"),
                exc.result,
            ) from exc
        data = outcome.as_dict()
        after = data["reservation"] if data["changed"] else (before.to_dict() if before else None)
        kind = before.kind if before else (outcome.kind or (KIND[Mode(after["mode"])] if after else ""))
        name_of = ((after or {}).get("ip") or (before.ip if before else "")) if kind != KIND[Mode.EXCLUSIVE] else name
        for key in ("pod", "rounds"):
            data.pop(key, None)
        data.update(namespace=namespace, pod_name=name, kind=kind, name=name_of or "", reservation=after)
        results.append(data)
        changes.append(
            (_label(kind or "record", namespace, name_of or name), before.to_dict() if before else None, after)
        )
    return results, _diff(changes)


def _one(ctx: FlowContext, namespace: str, name: str):
    found = ctx.store.for_pod(namespace, name)
    if len(found) > 1:
        raise FixedIpError(
            "pod %s/%s has %d reservations (%s); a pod keeps one: delete the wrong ones"
            % (namespace, name, len(found), ", ".join(_label(f.kind, f.namespace, f.name) for f in found))
        )
    return found[0].reservation if found else None


def _diff(changes) -> Dict[str, Any]:
    """before/after records by label, for the ones that change."""
    before, after = {}, {}
    for label, old, new in changes:
        if old != new:
            before[label], after[label] = old or {}, new or {}
    return {"before": before, "after": after}
