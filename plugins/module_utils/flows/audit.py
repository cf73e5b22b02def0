# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The audit of fixed IPs: one read of records, pods, nodes and the pod subnets, the drift between them, and safe repair.

Repair runs a finding's actions only when it is known to be older than the minimum age: by its own
creation time, or because a saved report (from an earlier run of the same cluster) already listed it
that long ago; with a report, only the report's findings are repaired (report, review, repair).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import UnreserveIp, WriteReservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.drift import KINDS, Finding, find_drift, subnet_picture
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import RequestRefused
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, format_time, parse_time
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import ZONE_LABEL
from ansible_collections.ksyun.kce.plugins.module_utils.flows.executor import execute_plan, stored_by_key
from ansible_collections.ksyun.kce.plugins.module_utils.flows.reclaim import read_live_pods
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict, error_text
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import parse_time as parse_k8s_time
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import resource

REPORT_FORMAT = "ksyun.kce/fixed-ip-audit/v1"


def check_report(report: Any, cluster_name: str, now: datetime) -> Dict[str, datetime]:
    """The findings a saved report lists, by key, with when it was made; refused by name when it is not a report of this cluster."""
    if (
        not isinstance(report, Mapping)
        or report.get("format") != REPORT_FORMAT
        or not isinstance(report.get("findings"), list)
    ):
        raise RequestRefused(
            "report: the file is not a fixed IP audit report (format %s); give the JSON file the audit playbook wrote"
            % REPORT_FORMAT
        )
    if report.get("cluster") != cluster_name:
        raise RequestRefused(
            "report: it was made for cluster %r, this is cluster %r; audit this cluster first"
            % (report.get("cluster"), cluster_name)
        )
    try:
        made = parse_time(str(report.get("generated_at")), "generated_at")
    except Exception:  # noqa: BLE001 - any unreadable time is the same refusal
        raise RequestRefused(
            "report: generated_at %r is not a time; give an unedited report" % (report.get("generated_at"),)
        ) from None
    if made > now:
        raise RequestRefused("report: generated_at %s lies in the future; give an unedited report" % format_time(made))
    return {str(item.get("key")): made for item in report["findings"] if isinstance(item, Mapping)}


def _age_ok(finding: Finding, listed: Optional[datetime], now: datetime, min_age: timedelta) -> str:
    """Empty when the finding is old enough to repair, else why not."""
    known = [when for when in (finding.since, listed) if when is not None]
    if not known:
        return (
            "its age is unknown (the API gives no creation time); save this report and repair from it after %s"
            % min_age
        )
    if now - min(known) < min_age:
        return "younger than the minimum age %s (known since %s)" % (min_age, format_time(min(known)))
    return ""


def _subnet_to_lock(actions: Iterable[Any]) -> str:
    """The subnet whose allocation lock a repair holds: an IP it unreserves, or the shared record it frees (a VpcIP of a
    gone pod: its IP is unassigned while binds of the subnet wait)."""
    for action in actions:
        if isinstance(action, UnreserveIp):
            return action.subnet_id
    for action in actions:
        if isinstance(action, WriteReservation) and action.reservation.mode is Mode.SHARED:
            return action.reservation.subnet_id
    return ""


def _node_zones(kube: Any) -> Dict[str, str]:
    nodes = as_dict(resource(kube, "v1", "Node").get()).get("items") or []
    return {n["metadata"]["name"]: (n["metadata"].get("labels") or {}).get(ZONE_LABEL, "") for n in nodes}


def run_audit(
    ctx: FlowContext,
    check_mode: bool,
    repair: bool = False,
    min_age: timedelta = timedelta(hours=1),
    report: Optional[Mapping[str, Any]] = None,
) -> Dict[str, Any]:
    """The drift report (findings, summary, per-subnet pictures); with repair, the findings old enough are repaired."""
    now = ctx.clock()
    listed = check_report(report, ctx.settings.cluster_name, now) if report is not None else None
    calls = ctx.cloud.call_log.calls()
    stored = ctx.store.list()
    records = [item.reservation for item in stored]
    created = {}
    for item in stored:
        when = parse_k8s_time(((item.obj.get("metadata") or {}).get("creationTimestamp")))
        if when is not None:
            created[item.reservation.label()] = when
    subnets = set(ctx.settings.all_subnets()) | {r.subnet_id for r in records if r.subnet_id}
    cloud = ctx.reader.cloud(subnets)
    eips = sorted({r.eip_id for r in records if r.eip_id})
    if eips:
        # Only records with an EIP cost this read (one paged DescribeAddresses).
        cloud = dataclasses.replace(cloud, addresses=tuple(ctx.reader.addresses(eips)))
    findings = find_drift(
        records, cloud, read_live_pods(ctx.kube), now, ctx.settings.cluster_name, _node_zones(ctx.kube), created
    )
    if listed is not None:
        newer = [f for f in findings if f.key in listed and f.since is not None and f.since > listed[f.key]]
        if newer:
            raise RequestRefused(
                "report: it is older than what it names (%s exists since %s, the report was made %s); audit again "
                "and repair from the new report"
                % (newer[0].subject, format_time(newer[0].since), format_time(listed[newer[0].key]))
            )
    out: List[Dict[str, Any]] = []
    by_key = stored_by_key(stored)
    changed = False
    for finding in findings:
        entry = dict(finding.as_dict(), repaired=[], not_repaired="")
        out.append(entry)
        if not repair or not finding.actions:
            continue
        if listed is not None and finding.key not in listed:
            entry["not_repaired"] = "not in the saved report; only the report's findings are repaired"
            continue
        why = _age_ok(finding, listed.get(finding.key) if listed else None, now, min_age)
        if why:
            entry["not_repaired"] = why
            continue
        # A repair freeing a gone pod's VpcIP needs no second look at the pods: its pod's UID was gone when they were
        # read (after the records), a UID never comes back, and its first write (Reclaiming) is conditional on the
        # record as read, so a bind that took it over since stops it before any cloud call.
        subnet = _subnet_to_lock(finding.actions)
        locks = ctx.locks([subnet]) if subnet and not check_mode else None
        if locks:
            locks.acquire()
        try:
            done = execute_plan(
                Plan(finding.actions),
                ctx.cloud,
                ctx.store,
                by_key,
                check_mode=check_mode,
                eni_wait_timeout=ctx.eni_wait_timeout,
                eni_wait_interval=ctx.eni_wait_interval,
            )
        finally:
            if locks:
                locks.release()
        entry["repaired"] = list(done.done)
        changed = changed or bool(done.done)
        if not done.ok:
            entry["not_repaired"] = "%s failed: %s" % (done.failed, error_text(done.error))
    summary = {kind: sum(1 for f in findings if f.kind == kind) for kind in KINDS}
    pictures = [subnet_picture(subnet, cloud, records) for subnet in cloud.subnets]
    return {
        "changed": changed,
        "format": REPORT_FORMAT,
        "cluster": ctx.settings.cluster_name,
        "generated_at": format_time(now),
        "findings": out,
        "summary": summary,
        "in_sync": not findings,
        "subnets": pictures,
        "records": len(records),
        "api_calls": {
            k: v - calls.get(k, 0) for k, v in sorted(ctx.cloud.call_log.calls().items()) if v - calls.get(k, 0)
        },
    }
