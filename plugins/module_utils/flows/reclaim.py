# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reclaim carried out: the IP reclaim policy, the sweeps of leaks, and the product FAQ's manual reclaim.

One run reads everything once (all records, the StatefulSets, the pod subnets with their ENIs, every
pod), plans with the domain's plan_reclaim, then frees subnet by subnet: it takes the subnet's
allocation lock (the one binds take), reads the pods again and re-plans each item against them, so a
pod that started since the first read keeps its IP, and only then runs the items, a few at a time
(each with a client of its own). A second run finds nothing due and makes no mutating call.
"""

from __future__ import annotations

import dataclasses
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import ReleaseEip
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError, RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import (
    ANNOTATION_RETENTION,
    KEEP,
    RECLAIM,
    RELEASE,
    LivePods,
    ReclaimItem,
    ReclaimOptions,
    StatefulSetSnapshot,
    plan_manual_reclaim,
    plan_reclaim,
    reservation_item,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, PodSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import execute_plan, stored_by_key
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, error_text, resource
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import StoredReservation


def read_live_pods(kube: Any) -> List[PodSnapshot]:
    """Every pod the API server shows (one LIST across namespaces)."""
    return [pod_snapshot(item) for item in as_dict(resource(kube, "v1", "Pod").get()).get("items") or []]


def read_statefulsets(kube: Any) -> Dict[Tuple[str, str], StatefulSetSnapshot]:
    """Every StatefulSet (one LIST across namespaces), with the retention its annotation sets; a bad annotation is refused by name."""
    out = {}
    for item in as_dict(resource(kube, "apps/v1", "StatefulSet").get()).get("items") or []:
        meta, spec = item.get("metadata") or {}, item.get("spec") or {}
        text = (meta.get("annotations") or {}).get(ANNOTATION_RETENTION)
        try:
            retention = Retention.parse(text) if text is not None else None
        except FixedIpError as err:
            raise RequestRefused(
                "StatefulSet %s/%s: annotation %s: %s"
                % (meta.get("namespace"), meta.get("name"), ANNOTATION_RETENTION, err)
            ) from None
        out[(meta.get("namespace", ""), meta.get("name", ""))] = StatefulSetSnapshot(
            namespace=meta.get("namespace", ""),
            name=meta.get("name", ""),
            replicas=int(spec.get("replicas", 1) or 0),
            retention=retention,
            deleting=bool(meta.get("deletionTimestamp")),
        )
    return out


def _subnet_of(item: ReclaimItem, records: Mapping[str, Reservation], cloud: CloudSnapshot) -> str:
    if item.kind == "reservation":
        return records[item.target].subnet_id
    if item.kind == "eni":
        eni = cloud.eni(item.target)
        return eni.subnet_id if eni else ""
    return next((s.subnet_id for s in cloud.subnets if s.contains(item.target)), "")


class _Runner:
    """Runs reclaim items a few at a time, each with its own cloud client, renewing the held locks one thread at a time."""

    def __init__(self, ctx: FlowContext, records: Dict[Any, StoredReservation], concurrency: int):
        self.ctx, self.records, self.concurrency = ctx, records, max(1, int(concurrency))
        self.local = threading.local()
        self.guard = threading.Lock()
        self.results: Dict[str, Dict[str, Any]] = {}

    def client(self) -> Any:
        if not hasattr(self.local, "client"):
            self.local.client = self.ctx.cloud.clone()
        return self.local.client

    def run_one(self, item: ReclaimItem, locks: Any) -> None:
        def renew() -> None:
            if locks is not None:
                with self.guard:
                    locks.renew_if_due()

        with self.guard:
            records = dict(self.records)
        done = execute_plan(
            Plan(item.actions),
            self.client(),
            self.ctx.store,
            records,
            before_action=renew,
            eni_wait_timeout=self.ctx.eni_wait_timeout,
            eni_wait_interval=self.ctx.eni_wait_interval,
        )
        outcome = {
            "done": list(done.done),
            "error": "" if done.ok else "%s failed: %s" % (done.failed, error_text(done.error)),
        }
        with self.guard:
            self.results[item.name] = outcome

    def run(self, items: List[ReclaimItem], locks: Any) -> None:
        if self.concurrency == 1 or len(items) < 2:
            for item in items:
                self.run_one(item, locks)
            return
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for future in [pool.submit(self.run_one, item, locks) for item in items]:
                future.result()


def _calls(ctx: FlowContext, before: Mapping[str, int]) -> Dict[str, int]:
    after = ctx.cloud.call_log.calls()
    return {
        action: count - before.get(action, 0)
        for action, count in sorted(after.items())
        if count - before.get(action, 0)
    }


def _report(
    plan_items: Iterable[ReclaimItem],
    results: Mapping[str, Dict[str, Any]],
    rechecked: Mapping[str, ReclaimItem],
    check_mode: bool,
) -> List[Dict[str, Any]]:
    out = []
    for item in plan_items:
        entry = item.as_dict()
        if item.name in rechecked:
            entry.update(
                decision=KEEP,
                reason="kept at the last check under the subnet lock: %s" % rechecked[item.name].reason,
                actions=[],
            )
        outcome = results.get(item.name)
        entry["done"] = outcome["done"] if outcome else []
        entry["error"] = outcome["error"] if outcome else ""
        if check_mode and entry["decision"] == RECLAIM:
            entry["done"] = list(entry["actions"])
        out.append(entry)
    return out


def _eip_entry(item: ReclaimItem, record: Reservation, **extra: Any) -> Dict[str, Any]:
    return dict({"eip_id": item.eip.eip_id, "reservation": record.label(), "ip": record.ip}, **extra)


def eip_results(
    plan_items: Iterable[ReclaimItem], items: List[Dict[str, Any]], by_label: Mapping[str, Reservation]
) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """(eips_kept, eips_released) of the reservations freed (in check mode, to be freed).

    Kept: every EIP a freed reservation named that reclaim did not release (release_eips off, or the EIP was moved to
    something other than the record's IP), with the reason, so a public IP in someone's allow-list is never lost
    silently. Released: every EIP whose ReleaseAddress ran (would run), even if a later step of its item stopped.
    """
    kept, released = [], []
    for plan_item, entry in zip(plan_items, items):
        record = by_label.get(plan_item.target) if plan_item.kind == "reservation" else None
        if record is None or plan_item.eip is None or entry["decision"] != RECLAIM:
            continue
        if plan_item.eip.decision == RELEASE:
            if ReleaseEip(plan_item.eip.eip_id).describe() in entry["done"]:
                released.append(_eip_entry(plan_item, record, public_ip=plan_item.eip.public_ip))
        elif plan_item.eip.decision == KEEP and entry["done"] and not entry["error"]:
            kept.append(_eip_entry(plan_item, record, reason=plan_item.eip.reason))
    return kept, released


def _with_eips(ctx: FlowContext, cloud: CloudSnapshot, eip_ids: Iterable[str]) -> CloudSnapshot:
    """cloud with the EIPs of the reservations to free; only those cost this read (one paged DescribeAddresses)."""
    wanted = sorted({eip_id for eip_id in eip_ids if eip_id})
    return dataclasses.replace(cloud, addresses=tuple(ctx.reader.addresses(wanted))) if wanted else cloud


def run_reclaim(
    ctx: FlowContext,
    options: ReclaimOptions,
    check_mode: bool,
    concurrency: int = 4,
    only: Optional[Iterable[str]] = None,
) -> Dict[str, Any]:
    """Reclaim what is due (check mode: say what would be); only: restrict to the items of these names.

    Returns items (each with its decision, reason, actions and what was done), the API calls made by kind, changed,
    and failed (the items whose actions stopped: a rerun finishes them, the records say how far they got).
    """
    calls = ctx.cloud.call_log.calls()
    stored = ctx.store.list()
    by_label = {item.reservation.label(): item.reservation for item in stored}
    statefulsets = read_statefulsets(ctx.kube)
    subnets = set(ctx.settings.all_subnets()) | {r.subnet_id for r in by_label.values() if r.subnet_id}
    cloud = ctx.reader.cloud(subnets)
    live_pods = read_live_pods(ctx.kube)
    now = ctx.clock()
    plan = plan_reclaim(by_label.values(), cloud, live_pods, now, ctx.settings.cluster_name, options, statefulsets)
    wanted = set(only) if only is not None else None
    if options.release_eips:
        # Which reservations are due does not depend on their EIPs: read those of the due ones, then plan their steps.
        due_eips = [
            by_label[item.target].eip_id
            for item in plan.reclaimable
            if item.kind == "reservation" and (wanted is None or item.name in wanted)
        ]
        with_eips = _with_eips(ctx, cloud, due_eips)
        if with_eips is not cloud:
            cloud = with_eips
            plan = plan_reclaim(
                by_label.values(), cloud, live_pods, now, ctx.settings.cluster_name, options, statefulsets
            )
    due = [item for item in plan.reclaimable if wanted is None or item.name in wanted]
    runner = _Runner(ctx, stored_by_key(stored), concurrency)
    rechecked: Dict[str, ReclaimItem] = {}
    if not check_mode:
        by_subnet: Dict[str, List[ReclaimItem]] = {}
        for item in due:
            by_subnet.setdefault(_subnet_of(item, by_label, cloud), []).append(item)
        for subnet_id in sorted(by_subnet):
            locks = ctx.locks([subnet_id]) if subnet_id else None
            if locks:
                locks.acquire()
            try:
                live = LivePods(read_live_pods(ctx.kube))
                ready = []
                for item in by_subnet[subnet_id]:
                    if item.kind == "reservation":
                        again = reservation_item(
                            by_label[item.target],
                            cloud,
                            live,
                            ctx.clock(),
                            ctx.settings.cluster_name,
                            options,
                            statefulsets,
                        )
                        if again.decision != RECLAIM:
                            rechecked[item.name] = again
                            continue
                    ready.append(item)
                runner.run(ready, locks)
            finally:
                if locks:
                    locks.release()
    shown = [item for item in plan.items if wanted is None or item.name in wanted]
    items = _report(shown, runner.results, rechecked, check_mode)
    failed = [item for item in items if item["error"]]
    kept, released = eip_results(shown, items, by_label)
    return {
        "changed": any(item["done"] for item in items),
        "items": items,
        "eips_kept": kept,
        "eips_released": released,
        "api_calls": _calls(ctx, calls),
        "reclaimed": sum(1 for item in items if item["done"] and not item["error"]),
        "failed": len(failed),
    }


def find_records(
    ctx: FlowContext, ip: Optional[str] = None, namespace: Optional[str] = None, pod_name: Optional[str] = None
) -> List[StoredReservation]:
    """The records a manual reclaim is about: the pod's, or whichever keeps ip (a PodEniIP is named after it)."""
    if pod_name:
        return ctx.store.for_pod(namespace, pod_name)
    return [item for item in ctx.store.list(namespace=namespace) if item.reservation.ip == ip]


def run_manual_reclaim(
    ctx: FlowContext,
    check_mode: bool,
    ip: Optional[str] = None,
    namespace: Optional[str] = None,
    pod_name: Optional[str] = None,
    force: bool = False,
    release_eips: bool = False,
) -> Dict[str, Any]:
    """Free one reservation now, as the product FAQ does by hand; refused while a running pod uses it unless force.
    release_eips: also release the reservation's EIP (read then, and only then), unless it was moved elsewhere."""
    calls = ctx.cloud.call_log.calls()
    if ip and not any(s.contains(ip) for s in ctx.reader.subnets(list(ctx.settings.all_subnets()))):
        raise RequestRefused(
            "ip: %s is not in any container subnet of the cluster configuration (%s); give an IP of a pod subnet"
            % (ip, ", ".join(ctx.settings.all_subnets()) or "none")
        )
    found = find_records(ctx, ip, namespace, pod_name)
    what = "pod %s/%s" % (namespace, pod_name) if pod_name else "IP %s" % ip
    if not found:
        # Already freed (a rerun, or a run killed after this one finished): nothing to do, as for any desired state
        # that holds; said in a warning, since a mistyped name looks the same.
        return {
            "changed": False,
            "items": [],
            "freed": {"ip": "", "eni_id": "", "record": ""},
            "eips_kept": [],
            "eips_released": [],
            "nothing": "%s: no PodEni, PodEniIP or VpcIP records it, so there is nothing to reclaim (freed already?); the "
            "audit playbook lists IPs and ENIs no record keeps" % what,
            "api_calls": _calls(ctx, calls),
            "reclaimed": 0,
            "failed": 0,
        }
    if len(found) > 1:
        raise RequestRefused(
            "%s is kept by %d records (%s); reclaim them one at a time by namespace and pod name"
            % (what, len(found), ", ".join(s.label for s in found))
        )
    stored = found[0]
    record = stored.reservation
    locks = (
        ctx.locks([record.subnet_id]) if record.subnet_id and record.mode is Mode.SHARED and not check_mode else None
    )
    if locks:
        locks.acquire()
    try:
        cloud = ctx.reader.cloud([record.subnet_id] if record.subnet_id else [])
        live_pods = read_live_pods(ctx.kube)
        item = plan_manual_reclaim(record, cloud, live_pods, ctx.settings.cluster_name, force, release_eips)
        if item.decision == RECLAIM and release_eips and record.eip_id:
            cloud = _with_eips(ctx, cloud, [record.eip_id])
            item = plan_manual_reclaim(record, cloud, live_pods, ctx.settings.cluster_name, force, release_eips)
        if item.decision != RECLAIM:
            raise RequestRefused("%s (%s): %s" % (what, stored.label, item.reason))
        done = execute_plan(
            Plan(item.actions),
            ctx.cloud,
            ctx.store,
            stored_by_key([stored]),
            check_mode=check_mode,
            eni_wait_timeout=ctx.eni_wait_timeout,
            eni_wait_interval=ctx.eni_wait_interval,
        )
    finally:
        if locks:
            locks.release()
    if not done.ok:
        raise RequestRefused(
            "reclaiming %s stopped at %s: %s; done before: %s; run it again to finish (the record is Reclaiming)"
            % (stored.label, done.failed, error_text(done.error), "; ".join(done.done) or "nothing")
        )
    entry = dict(item.as_dict(), done=list(done.done), error="")
    kept, released = eip_results([item], [entry], {item.target: record})
    return {
        "changed": bool(done.done),
        "items": [entry],
        "freed": {
            "ip": record.ip if isinstance(record.ip, str) else "",
            "eni_id": record.eni_id if record.mode is Mode.EXCLUSIVE else "",
            "record": stored.label,
        },
        "eips_kept": kept,
        "eips_released": released,
        "api_calls": _calls(ctx, calls),
        "reclaimed": 1 if done.done else 0,
        "failed": 0,
    }
