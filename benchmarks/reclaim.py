"""Reclaim and audit over N reservations, against the sandbox's apiserver and an in-process emulator, and the naive
alternative: one ansible-playbook loop over the due reservations with the existing modules.

Per N, N records (PodEniIP, every fifth a PodEni) are written to a CRD group of the benchmark's own, in four
namespaces of its own, with the matching cloud (shared IPs reserved ``specific`` in a /18 pod subnet, exclusive ENIs
detached) seeded straight into the emulator's state. Every record has retention 1d; the even ones were released two
days ago (due), the odd ones an hour ago (kept). Then, with the flows API (FlowContext, run_reclaim, run_audit):

- ``reclaim --check``: the plan only (no lock, no write).
- ``audit``: run_audit without repair.
- ``reclaim, concurrency 4`` (the module's default), then ``reclaim again``, which must make no mutating call (KSYUN
  or Kubernetes): the benchmark fails loudly if it does. Then the due half is seeded again and ``reclaim, concurrency
  1`` runs, and ``reclaim again`` once more.
- ``naive loop``: the due half seeded once more, and one ansible-playbook run that lists the records
  (kubernetes.core.k8s_info), selects the due ones by ``status.reclaimAt`` and frees each with one looped task per
  module: ksyun.kce.eni_private_ip (unreserve) and ksyun.kce.pod_eni_ip state=absent for a shared IP,
  ksyun.kce.eni state=absent and ksyun.kce.pod_eni state=absent for an exclusive ENI. Above ``NAIVE_ITEMS`` due
  reservations only the first ones are freed and the rest extrapolated linearly (per-item time and calls measured).
- ``audit: fixed_ip_audit in ansible-playbook`` (after the audit) and ``reclaim: fixed_ip_reclaim in ansible-playbook``
  (the due half seeded again): the same runs as users make them, with the memory of the playbook's process tree
  (benchmarks/playbook.py).
- ``naive audit`` (after the audit, on the same records): one ansible-playbook run that lists the records and runs one
  looped ksyun.kce.fixed_ip_info task per record (its namespace and pod: the record, the pod, the subnet and the ENIs,
  and the drift between them). Above ``NAIVE_AUDIT_ITEMS`` records only the first ones (shared and exclusive in
  proportion) are inspected and the rest extrapolated linearly, as for the naive reclaim.

Each run is timed once (it changes the state). Reads and writes are the KSYUN API calls the emulator counted; K8s
requests are the dynamic client's requests (discovery excluded), counted by wrapping its ``request``; the naive
loop's happen in ansible's module processes, so they are taken from the apiserver's own metrics (the records' group
and discovery; ``details.apiserver_metrics`` has them for every row, as a cross-check). The emulator runs in this
process, so its own work (DescribeSubnets is quadratic in a subnet's reserved addresses, and every page of
available addresses builds the subnet's list again) is part of the wall time: ``details.emulator_seconds`` and the
note say how much. Everything the benchmark makes is removed again: records, CRDs, namespaces (with the Leases), the emulator.
"""

from __future__ import annotations

import cProfile
import functools
import io
import os
import pstats
import sys
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from kubernetes import client, config, dynamic
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.naming import (
    LABEL_MANAGED_BY,
    MANAGED_BY,
    exclusive_eni_name,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import ReclaimOptions
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.flows.audit import run_audit
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import ClusterConfig
from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import DEFAULT_NAMESPACE, lease_name
from ansible_collections.ksyun.kce.plugins.module_utils.flows.reclaim import run_reclaim
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import utcnow
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import MERGE_PATCH, ReservationStore
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.ksyun_emulator import Emulator

from .common import Row, apiserver_request_lines, client_for, gone, wait_for
from .playbook import cluster_config_map, run_playbook, task_results

GROUP = "reclaim-bench.ksyun.com"
CLUSTER = "rbench"
REGION, ZONE = "cn-beijing-6", "cn-beijing-6a"
VPC = "5f2c7a10-0001-4a6e-9c1b-0000000000d1"
POD_SUBNET = "5f2c7a10-0002-4a6e-9c1b-0000000000d1"
# A /18 (16,381 usable addresses) holds 10,000 reservations; --pod-prefix 16 gives the /16 of a big cluster.
POD_PREFIX = 18
NODE_SUBNET = "5f2c7a10-0002-4a6e-9c1b-0000000000d2"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-0000000000d1"
NAMESPACES = 4
EXCLUSIVE_EVERY = 10
RETENTION = "1d"
SEED_THREADS = 8
# Above this many due reservations the naive loop frees only this many and extrapolates (about 100 module tasks).
NAIVE_ITEMS = 50
# Above this many records the naive audit asks fixed_ip_info about only this many and extrapolates.
NAIVE_AUDIT_ITEMS = 100
# The cluster configuration ConfigMap (in the first namespace) that the playbook rows' modules read.
CONFIG_MAP = "rbench-config"
INSPECT = "inspect each record"
AUDIT_PLAYBOOK_ROW = "audit: fixed_ip_audit in ansible-playbook"
MUTATING = ("POST", "PUT", "PATCH", "DELETE")
# The emulator's DescribeSubnets takes O(free x reserved addresses) (render.subnet builds the reserved set again for
# every free address): over 30 s, the client's default timeout, at 10,000 reservations on a busy 2-core machine.
CLOUD_TIMEOUT = 300.0
# What the flows look up besides the records: discovered before anything is measured.
WARM = (("v1", "Pod"), ("v1", "Node"), ("apps/v1", "StatefulSet"), ("coordination.k8s.io/v1", "Lease"))


def topology(prefix=POD_PREFIX):
    """One VPC with a pod subnet 10.16.0.0/prefix and a node subnet with two nodes, in one zone."""
    return {
        "region": REGION,
        "vpcs": [{"id": VPC, "name": "rbench-vpc", "cidr": "10.16.0.0/12"}],
        "subnets": [
            {"id": POD_SUBNET, "name": "rbench-pods", "cidr": "10.16.0.0/%d" % prefix, "zone": ZONE, "type": "Normal"},
            {"id": NODE_SUBNET, "name": "rbench-nodes", "cidr": "10.17.0.0/24", "zone": ZONE, "type": "Normal"},
        ],
        "security_groups": [{"id": SECURITY_GROUP, "name": "rbench-sg", "rules": []}],
        "instance_types": [
            {"type": "N3.2B", "family": "N3", "eni_quota": 4, "ip_quota": 10, "zones": [ZONE]},
        ],
        "instances": [
            {
                "id": "5f2c7a10-0004-4a6e-9c1b-0000000000d%d" % n,
                "name": "10.17.0.%d" % (10 + n),
                "type": "N3.2B",
                "zone": ZONE,
                "subnet": NODE_SUBNET,
                "primary_ip": "10.17.0.%d" % (10 + n),
                "primary_eni_id": "5f2c7a10-0005-4a6e-9c1b-0000000000d%d" % n,
            }
            for n in (1, 2)
        ],
    }


def settings():
    return Settings(cluster_name=CLUSTER, security_group_ids=(SECURITY_GROUP,), pod_subnets={ZONE: (POD_SUBNET,)})


def ip_of(index):
    host = 10 + index
    return "10.16.%d.%d" % (host // 256, host % 256)


def eni_id_of(index):
    return str(uuid.UUID(int=0xC1A10000 + index, version=4))


def is_exclusive(index):
    return index % EXCLUSIVE_EVERY == EXCLUSIVE_EVERY - 1 or index % EXCLUSIVE_EVERY == EXCLUSIVE_EVERY // 2 - 1


def is_due(index):
    return index % 2 == 0


class KubeCounter:
    """Counts the dynamic client's requests as "<METHOD or LIST> <resource>[/<subresource>]" (discovery is not seen)."""

    def __init__(self, dyn):
        self.counts = Counter()
        self.lock = threading.Lock()
        original = dyn.request

        def request(method, path, body=None, **params):
            key = self.key(method, path)
            with self.lock:
                self.counts[key] += 1
            return original(method, path, body=body, **params)

        dyn.request = request

    @staticmethod
    def key(method, path):
        parts = [part for part in path.split("?")[0].split("/") if part]
        rest = parts[2:] if parts and parts[0] == "api" else parts[3:]
        if len(rest) >= 2 and rest[0] == "namespaces" and len(rest) != 2:
            rest = rest[2:]
        verb = method.upper()
        if verb == "GET" and len(rest) == 1:
            verb = "LIST"
        return "%s %s%s" % (verb, rest[0] if rest else "?", "/" + rest[2] if len(rest) > 2 else "")

    def snapshot(self):
        with self.lock:
            return Counter(self.counts)


def apiserver_requests(api, group=GROUP):
    """The apiserver's own request counts (its /metrics) for the benchmark's group and for discovery, by kind.

    They see requests from other processes too (ansible's modules), unlike KubeCounter; WATCH is left out (the
    controllers watch every resource) and so are health checks.
    """
    counts = Counter()
    for label, value in apiserver_request_lines(api):
        if label.get("group") == group:
            kind = label["resource"] + ("/" + label["subresource"] if label.get("subresource") else "")
        elif not label.get("resource"):
            kind = "discovery"
        else:
            continue
        counts["%s %s" % (label["verb"], kind)] += value
    return counts


def cpu_seconds(pids):
    """CPU seconds used so far by the sandbox's processes (Linux /proc; empty elsewhere), by this process (the
    client and the in-process emulator, all threads) and by its finished child processes (ansible-playbook)."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    out = {}
    for name, pid in pids.items():
        try:
            with open("/proc/%d/stat" % pid, encoding="ascii") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[name] = (int(fields[11]) + int(fields[12])) / ticks
    times = os.times()
    out["benchmark process (client + emulator)"] = times.user + times.system
    out["ansible (child processes)"] = times.children_user + times.children_system
    return out


class EmulatorClock:
    """Seconds the emulator spent answering (it runs in this process, so they are part of every wall time here)."""

    def __init__(self, emulator):
        self.seconds = 0.0
        self.lock = threading.Lock()
        original = emulator.execute

        def execute(flat, headers):
            start = time.perf_counter()
            try:
                return original(flat, headers)
            finally:
                with self.lock:
                    self.seconds += time.perf_counter() - start

        emulator.execute = execute


def reservation(index, namespace, now):
    """The record of index: Reserved, retention 1d, released two days ago (due) or an hour ago (kept)."""
    pod = "web-%d" % index
    released = now - (timedelta(days=2) if is_due(index) else timedelta(hours=1))
    common = {
        "namespace": namespace,
        "pod_name": pod,
        "pod_uid": str(uuid.UUID(int=0xF0D0000 + index, version=4)),
        "fixed": True,
        "subnet_id": POD_SUBNET,
        "zone": ZONE,
        "retention": RETENTION,
        "released_at": released,
        "phase": Phase.RESERVED,
        "statefulset": "web",
    }
    if is_exclusive(index):
        return Reservation(mode=Mode.EXCLUSIVE, ip=ip_of(index), eni_id=eni_id_of(index), mac=mac_of(index), **common)
    return Reservation(mode=Mode.SHARED, ip=ip_of(index), **common)


def mac_of(index):
    return "fa:16:3f:%02x:%02x:%02x" % (index >> 16 & 255, index >> 8 & 255, index & 255)


def seed_cloud(emulator, indices, namespace_of):
    """Shared IPs reserved (specific), exclusive ENIs detached and named for their pod, straight into the state."""
    with emulator.state.lock:
        attributes = emulator.state.data["ip_attributes"].setdefault(POD_SUBNET, {})
        enis = emulator.state.data["network_interfaces"]
        for index in indices:
            if not is_exclusive(index):
                attributes[ip_of(index)] = {"allocate_status": "specific"}
                continue
            eni_id = eni_id_of(index)
            enis[eni_id] = {
                "id": eni_id,
                "name": exclusive_eni_name(CLUSTER, namespace_of(index), "web-%d" % index),
                "type": "extension",
                "subnet_id": POD_SUBNET,
                "primary_ip": ip_of(index),
                "secondary_ips": [],
                "security_group_ids": [SECURITY_GROUP],
                "mac": mac_of(index),
                "instance_id": None,
                "state": "available",
                "until": None,
                "created": "2026-01-01T00:00:00Z",
            }


class Bench:
    """The CRDs in the benchmark's own group, its namespaces, and the counters; close() removes all of it."""

    def __init__(self, api, pids=None, group=GROUP, prefix="rbench"):
        self.api, self.pids, self.group = api, dict(pids or {}), group
        self.core, self.ext = client.CoreV1Api(api), client.ApiextensionsV1Api(api)
        self.run_id = uuid.uuid4().hex[:6]
        self.namespaces = ["%s-%s-%d" % (prefix, self.run_id, n) for n in range(NAMESPACES)]
        self.crds = [crd(kind, group=group)["metadata"]["name"] for kind in KINDS]
        for kind in KINDS:
            self.ext.create_custom_resource_definition(crd(kind, group=group))
        for name in self.crds:
            wait_for(
                "CRD %s Established" % name,
                lambda name=name: any(
                    c.type == "Established" and c.status == "True"
                    for c in self.ext.read_custom_resource_definition(name).status.conditions or []
                ),
            )
        for namespace in self.namespaces:
            self.core.create_namespace({"metadata": {"name": namespace}})
        self.dyn = dynamic.DynamicClient(api)
        self.kube = KubeCounter(self.dyn)
        self.store = ReservationStore(self.dyn, group=group)
        for mode in (Mode.SHARED, Mode.EXCLUSIVE):
            self.store.resource(mode)  # discovery once, before threads share the client and before any is counted
        for api_version, kind in WARM:
            self.dyn.resources.get(api_version=api_version, kind=kind)
        self.config = ClusterConfig(settings=settings(), crd_group=group)

    def namespace_of(self, index):
        return self.namespaces[index % NAMESPACES]

    def seed(self, emulator, indices, now):
        """Write the records of indices with the store (create + status, in parallel) and their cloud state."""
        seed_cloud(emulator, indices, self.namespace_of)
        records = [reservation(index, self.namespace_of(index), now) for index in indices]
        with ThreadPoolExecutor(max_workers=SEED_THREADS) as pool:
            list(pool.map(self.store.create, records))

    def context(self, emulator):
        return FlowContext(
            self.dyn,
            client_for(emulator, timeout=CLOUD_TIMEOUT),
            self.config,
            store=self.store,
            lock_namespace=self.namespaces[0],
            eni_wait_interval=0.02,
            retry_delay=0.0,
        )

    def clear_records(self):
        """Drop the finalizer of every record left (so the CRDs can go), in parallel."""
        left = self.store.list()

        def unfinalize(stored):
            try:
                self.store.resource(stored.reservation.mode).patch(
                    body={"metadata": {"finalizers": None}},
                    name=stored.name,
                    namespace=stored.namespace,
                    content_type=MERGE_PATCH,
                )
            except ApiException as exc:
                if exc.status != 404:
                    raise

        with ThreadPoolExecutor(max_workers=SEED_THREADS) as pool:
            list(pool.map(unfinalize, left))
        return len(left)

    def close(self):
        """Records, CRDs and namespaces (with the Leases in them) deleted, and checked gone."""
        try:
            self.clear_records()
        finally:
            for name in self.crds:
                gone(lambda name=name: self.ext.delete_custom_resource_definition(name))
            for namespace in self.namespaces:
                gone(lambda namespace=namespace: self.core.delete_namespace(namespace))
        wait_for(
            "the benchmark's CRDs gone",
            lambda: all(gone(lambda n=n: self.ext.read_custom_resource_definition(n)) for n in self.crds),
        )
        wait_for(
            "the benchmark's namespaces gone",
            lambda: all(gone(lambda n=n: self.core.read_namespace(n)) for n in self.namespaces),
        )


def _split(counts):
    reads = {k: v for k, v in counts.items() if not k.startswith(MUTATING)}
    writes = {k: v for k, v in counts.items() if k.startswith(MUTATING)}
    return dict(sorted(reads.items())), dict(sorted(writes.items()))


def measured(bench, emulator, clock, call):
    """(seconds, result, details) of call(); details: KSYUN calls by kind, K8s requests by kind, emulator seconds."""
    server_before = apiserver_requests(bench.api, bench.group)
    cpu_before = cpu_seconds(bench.pids)
    emulator.counters.reset()
    kube_before, emulator_before = bench.kube.snapshot(), clock.seconds
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    counts = emulator.counters.as_dict()
    kube = bench.kube.snapshot()
    kube.subtract(kube_before)
    kube_reads, kube_writes = _split(+kube)
    cpu = cpu_seconds(bench.pids)
    server = apiserver_requests(bench.api, bench.group)
    server.subtract(server_before)
    details = {
        "api_reads": dict(sorted(counts["reads"].items())),
        "api_writes": dict(sorted(counts["writes"].items())),
        "k8s_reads": kube_reads,
        "k8s_writes": kube_writes,
        "emulator_seconds": round(clock.seconds - emulator_before, 3),
        "apiserver_metrics": dict(sorted((+server).items())),
        "cpu_seconds": {
            name: round(used - cpu_before.get(name, 0.0), 2)
            for name, used in cpu.items()
            if used - cpu_before.get(name, 0.0) >= 0.01
        },
    }
    return seconds, result, details


def _row(name, size, seconds, details, note=""):
    """A table row of a measured run; the note says how much of the wall time the in-process emulator took."""
    note = "; ".join(part for part in (note, "emulator %.1f s" % details["emulator_seconds"]) if part)
    return Row(
        name,
        size,
        seconds,
        sum(details["api_reads"].values()),
        sum(details["api_writes"].values()),
        kube=sum(details["k8s_reads"].values()) + sum(details["k8s_writes"].values()),
        note=note,
        details=details,
    )


def _check_reclaimed(result, details, due, what):
    if result["failed"] or result["reclaimed"] != len(due):
        errors = [item["error"] for item in result["items"] if item["error"]][:3]
        raise RuntimeError(
            "%s freed %d of %d due reservations, %d failed: %s"
            % (what, result["reclaimed"], len(due), result["failed"], errors)
        )
    if result["api_calls"] != dict(sorted({**details["api_reads"], **details["api_writes"]}.items())):
        raise RuntimeError("%s reports api_calls %s, the emulator counted %s" % (what, result["api_calls"], details))


def _check_noop(result, details, what):
    """The second run: no change, and no mutating call to either API; anything else fails the benchmark loudly."""
    if result["changed"] or details["api_writes"] or details["k8s_writes"]:
        raise RuntimeError(
            "SECOND RUN IS NOT A NO-OP: %s changed=%s, KSYUN writes %s, Kubernetes writes %s"
            % (what, result["changed"], details["api_writes"], details["k8s_writes"])
        )


def _check_cloud(emulator, size):
    """After a reclaim: the due half's IPs random again and ENIs gone, the kept half untouched."""
    with emulator.state.lock:
        attributes = emulator.state.data["ip_attributes"].get(POD_SUBNET, {})
        enis = emulator.state.data["network_interfaces"]
        for index in range(size):
            there = eni_id_of(index) in enis if is_exclusive(index) else ip_of(index) in attributes
            if there == is_due(index):
                raise RuntimeError(
                    "after reclaim, reservation %d (%s, %s) is %s in the cloud"
                    % (
                        index,
                        "exclusive" if is_exclusive(index) else "shared",
                        "due" if is_due(index) else "kept",
                        "still held" if there else "freed",
                    )
                )


def _profiled(call, path, log):
    """call() under cProfile (the thread that calls it only); the stats go to path, the top of them to the log."""

    def run():
        profile = cProfile.Profile()
        profile.enable()
        try:
            return call()
        finally:
            profile.disable()
            profile.dump_stats(str(path))
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(12)
            log("profile of %s (by own time; stats in %s):\n%s" % (path.stem, path, text.getvalue().strip()))

    return run


def run_flows(bench, emulator, clock, size, log, profile_dir=None, after_audit=None):
    """The flows' rows for one N: check, audit, reclaim (concurrency 4, then 1), each followed by a second run.

    profile_dir: profile the concurrency-1 run (all in this thread) and keep its stats there; its row says so.
    after_audit: called with the rows so far while every record is still there and in sync; returns more rows.
    """
    rows = []
    now = utcnow()
    due = [index for index in range(size) if is_due(index)]
    started = time.perf_counter()
    bench.seed(emulator, range(size), now)
    log("N=%d: seeded %d records and their cloud in %.1f s" % (size, size, time.perf_counter() - started))
    ctx = bench.context(emulator)
    options = ReclaimOptions()

    seconds, result, details = measured(bench, emulator, clock, lambda: run_reclaim(ctx, options, check_mode=True))
    if result["reclaimed"] != len(due) or details["api_writes"] or details["k8s_writes"]:
        raise RuntimeError(
            "reclaim --check would free %d of %d due, writes %s" % (result["reclaimed"], len(due), details)
        )
    rows.append(_row("reclaim --check (plan only)", size, seconds, details))

    seconds, result, details = measured(bench, emulator, clock, lambda: run_audit(ctx, check_mode=True))
    if result["records"] != size or details["api_writes"] or details["k8s_writes"]:
        raise RuntimeError("audit saw %d of %d records, writes %s" % (result["records"], size, details))
    note = "in sync" if result["in_sync"] else "%d findings" % len(result["findings"])
    rows.append(_row("audit (no repair)", size, seconds, details, note))
    log("N=%d: check and audit done" % size)
    if after_audit is not None:
        rows += after_audit(list(rows))

    for concurrency in (4, 1):
        if concurrency != 4:
            bench.seed(emulator, due, now)
        call = functools.partial(run_reclaim, ctx, options, check_mode=False, concurrency=concurrency)
        note = "%d freed" % len(due)
        if profile_dir is not None and concurrency == 1:
            call = _profiled(call, Path(profile_dir) / ("reclaim-c1-n%d.prof" % size), log)
            note += " (under cProfile: slower)"
        seconds, result, details = measured(bench, emulator, clock, call)
        _check_reclaimed(result, details, due, "reclaim (concurrency %d)" % concurrency)
        _check_cloud(emulator, size)
        rows.append(_row("reclaim, concurrency %d" % concurrency, size, seconds, details, note))
        log("N=%d: reclaim, concurrency %d: %.1f s" % (size, concurrency, seconds))
        seconds, result, details = measured(bench, emulator, clock, lambda: run_reclaim(ctx, options, check_mode=False))
        _check_noop(result, details, "reclaim again after concurrency %d" % concurrency)
        rows.append(
            _row("reclaim again (no-op), after concurrency %d" % concurrency, size, seconds, details, "0 writes")
        )
    return rows


def list_records_tasks():
    """The naive loops' first two tasks: every PodEniIP and PodEni the collection manages (registered as shared and
    exclusive)."""
    selector = "%s=%s" % (LABEL_MANAGED_BY, MANAGED_BY)
    return [
        {
            "name": "list " + kind,
            "kubernetes.core.k8s_info": {"api_version": GROUP + "/v1", "kind": kind, "label_selectors": [selector]},
            "register": register,
        }
        for kind, register in (("PodEniIP", "shared"), ("PodEni", "exclusive"))
    ]


def naive_playbook(shared_limit, exclusive_limit):
    """The loop a user writes without fixed_ip_reclaim: list the records, select the due ones, free them one by one."""
    due = "selectattr('status.reclaimAt', 'defined') | selectattr('status.reclaimAt', '<', checked_at) | list"
    tasks = [
        *list_records_tasks(),
        {
            "name": "select the due ones",
            "ansible.builtin.set_fact": {
                "due_shared": "{{ (shared.resources | %s)[:%d] }}" % (due, shared_limit),
                "due_exclusive": "{{ (exclusive.resources | %s)[:%d] }}" % (due, exclusive_limit),
                "due_total": "{{ (shared.resources | %s | length) + (exclusive.resources | %s | length) }}"
                % (due, due),
            },
        },
        {
            "name": "unreserve each due shared IP",
            "ksyun.kce.eni_private_ip": {
                "subnet_id": "{{ item.spec.subnetId }}",
                "private_ip_addresses": ["{{ item.spec.ip }}"],
                "reserved": False,
            },
            "loop": "{{ due_shared }}",
        },
        {
            "name": "delete each due PodEniIP",
            "ksyun.kce.pod_eni_ip": {
                "namespace": "{{ item.metadata.namespace }}",
                "ip": "{{ item.metadata.name }}",
                "group": GROUP,
                "state": "absent",
            },
            "loop": "{{ due_shared }}",
        },
        {
            "name": "delete each due exclusive ENI",
            "ksyun.kce.eni": {"network_interface_id": "{{ item.spec.eniId }}", "state": "absent"},
            "loop": "{{ due_exclusive }}",
        },
        {
            "name": "delete each due PodEni",
            "ksyun.kce.pod_eni": {
                "namespace": "{{ item.metadata.namespace }}",
                "pod_name": "{{ item.metadata.name }}",
                "group": GROUP,
                "state": "absent",
            },
            "loop": "{{ due_exclusive }}",
        },
        {"name": "how many were due", "ansible.builtin.debug": {"var": "due_total"}},
    ]
    return [
        {
            "name": "naive reclaim",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": {"checked_at": "{{ now(utc=true, fmt='%Y-%m-%dT%H:%M:%SZ') }}"},
            "tasks": tasks,
        }
    ]


LOOPED = (
    "unreserve each due shared IP",
    "delete each due PodEniIP",
    "delete each due exclusive ENI",
    "delete each due PodEni",
)


def _duration(task):
    """Seconds a task ran, from the json callback's start and end times."""
    duration = task["task"]["duration"]
    start, end = (datetime.fromisoformat(duration[key].replace("Z", "+00:00")) for key in ("start", "end"))
    return (end - start).total_seconds()


def run_naive(bench, emulator, clock, size, kubeconfig, reclaim_rows, log):
    """One ansible-playbook run of the naive loop over the due reservations (the first NAIVE_ITEMS above that)."""
    due = [index for index in range(size) if is_due(index)]
    bench.seed(emulator, due, utcnow())
    exclusive_limit = sum(1 for index in due if is_exclusive(index))
    shared_limit = len(due) - exclusive_limit
    if len(due) > NAIVE_ITEMS:
        # The first NAIVE_ITEMS, shared and exclusive in the proportion of all that are due.
        exclusive_limit = max(1, round(NAIVE_ITEMS * exclusive_limit / len(due)))
        shared_limit = NAIVE_ITEMS - exclusive_limit
    seconds, (report, memory), details = measured(
        bench,
        emulator,
        clock,
        lambda: run_playbook(
            naive_playbook(shared_limit, exclusive_limit), kubeconfig, emulator.url, REGION, what="naive playbook"
        ),
    )
    details.update(memory)
    tasks = {entry["task"]["name"]: entry for entry in report["plays"][0]["tasks"]}
    items = sum(len(tasks[name]["hosts"]["localhost"].get("results") or []) for name in LOOPED if name in tasks)
    freed = sum(
        1
        for name in ("delete each due PodEniIP", "delete each due PodEni")
        if name in tasks
        for result in tasks[name]["hosts"]["localhost"].get("results") or []
        if result.get("changed")
    )
    total_due = int(tasks["how many were due"]["hosts"]["localhost"]["due_total"])
    if total_due != len(due):
        raise RuntimeError("the naive playbook found %d due reservations, %d are" % (total_due, len(due)))
    looped = sum(_duration(tasks[name]) for name in LOOPED if name in tasks)
    details.update(
        {
            "module_tasks": items,
            "reservations_freed": freed,
            "reservations_due": len(due),
            "measured_seconds": round(seconds, 3),
            "looped_seconds": round(looped, 3),
            "k8s": "from the apiserver's metrics: the records' group and discovery",
        }
    )
    scale = len(due) / freed if freed else 0.0
    reads, writes = sum(details["api_reads"].values()), sum(details["api_writes"].values())
    note = "%d module tasks for %d reservations" % (items, freed)
    if freed != len(due):
        # Listing and selecting once; the looped tasks grow with the reservations freed.
        seconds = (seconds - looped) + looped * scale
        reads, writes = round(reads * scale), round(writes * scale)
        note = "extrapolated x%.0f from %d tasks freeing %d of %d" % (scale, items, freed, len(due))
        details["extrapolated_from"] = {"reservations": freed, "module_tasks": items, "scale": round(scale, 3)}
    reference = next(row for row in reclaim_rows if row.name == "reclaim, concurrency 4" and row.size == size)
    calls_ratio = (reads + writes) / max(1, reference.reads + reference.writes)
    note += "; %.0fx the wall time, %.1fx the API calls of reclaim (concurrency 4)" % (
        seconds / reference.seconds,
        calls_ratio,
    )
    details["ratio_wall"] = round(seconds / reference.seconds, 2)
    details["ratio_api_calls"] = round(calls_ratio, 2)
    note += "; " + _memory_note(details)
    log("N=%d: naive loop %.1f s (%s)" % (size, seconds, note))
    kube = sum(details["apiserver_metrics"].values())
    if freed != len(due):
        lists = sum(n for kind, n in details["apiserver_metrics"].items() if kind.startswith("LIST "))
        kube = lists + round((kube - lists) * scale)
    return Row(
        "naive loop: one ansible task per reservation and module", size, seconds, reads, writes, kube, note, details
    )


def _memory_note(details):
    return "max RSS %.0f MiB (one process), peak %.0f MiB (tree PSS)" % (
        details["max_rss_one_process_mib"],
        details["peak_tree_pss_mib"],
    )


def _played(bench, emulator, clock, plays, kubeconfig, what):
    """(seconds, report, details) of one ansible-playbook run; details: as measured() gives, plus its memory."""
    seconds, (report, memory), details = measured(
        bench, emulator, clock, lambda: run_playbook(plays, kubeconfig, emulator.url, REGION, what=what)
    )
    details.update(memory)
    # The modules' requests are made in ansible's processes: the in-process counter sees none, the apiserver all.
    del details["k8s_reads"], details["k8s_writes"]
    details["k8s"] = "from the apiserver's metrics: the records' group and discovery"
    details["k8s_writes_apiserver"] = sum(
        n for kind, n in details["apiserver_metrics"].items() if kind.startswith(MUTATING)
    )
    return seconds, report, details


def _played_row(name, size, seconds, details, note):
    return Row(
        name,
        size,
        seconds,
        sum(details["api_reads"].values()),
        sum(details["api_writes"].values()),
        kube=sum(details["apiserver_metrics"].values()),
        note="; ".join(part for part in (note, _memory_note(details)) if part),
        details=details,
    )


def _play(name, task):
    return [{"name": name, "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": [task]}]


def run_audit_playbook(bench, emulator, clock, size, kubeconfig, log):
    """The audit row again, as users run it: one fixed_ip_audit task (check mode, no repair) in ansible-playbook."""
    task = {
        "name": "audit",
        "ksyun.kce.fixed_ip_audit": {"cluster_config": "%s/%s" % (bench.namespaces[0], CONFIG_MAP)},
        "check_mode": True,
    }
    seconds, report, details = _played(bench, emulator, clock, _play("audit", task), kubeconfig, "audit playbook")
    result = task_results(report, "audit")[0]
    if result["records"] != size or details["api_writes"] or details["k8s_writes_apiserver"] or not result["in_sync"]:
        raise RuntimeError(
            "fixed_ip_audit saw %d of %d records, in sync %s, KSYUN writes %s, Kubernetes writes %d"
            % (result["records"], size, result["in_sync"], details["api_writes"], details["k8s_writes_apiserver"])
        )
    log("N=%d: fixed_ip_audit in ansible-playbook %.1f s" % (size, seconds))
    return _played_row(AUDIT_PLAYBOOK_ROW, size, seconds, details, "in sync")


def run_reclaim_playbook(bench, emulator, clock, size, kubeconfig, log):
    """The due half seeded again and freed as users run it: one fixed_ip_reclaim task (concurrency 4) in ansible-playbook."""
    due = [index for index in range(size) if is_due(index)]
    bench.seed(emulator, due, utcnow())
    task = {
        "name": "reclaim",
        "ksyun.kce.fixed_ip_reclaim": {"cluster_config": "%s/%s" % (bench.namespaces[0], CONFIG_MAP)},
    }
    try:
        seconds, report, details = _played(
            bench, emulator, clock, _play("reclaim", task), kubeconfig, "reclaim playbook"
        )
    finally:
        # The module takes the subnet's allocation Lease in kube-system (the flows above take it in the first namespace).
        gone(
            lambda: client.CoordinationV1Api(bench.api).delete_namespaced_lease(
                lease_name(POD_SUBNET), DEFAULT_NAMESPACE
            )
        )
    result = dict(task_results(report, "reclaim")[0])
    # Ansible reads a module's "failed" as the task's status: a count of 0 arrives as false, or not at all.
    result["failed"] = int(result.get("failed") or 0)
    _check_reclaimed(result, details, due, "fixed_ip_reclaim in ansible-playbook")
    _check_cloud(emulator, size)
    log("N=%d: fixed_ip_reclaim in ansible-playbook %.1f s" % (size, seconds))
    return _played_row(
        "reclaim: fixed_ip_reclaim in ansible-playbook", size, seconds, details, "%d freed, concurrency 4" % len(due)
    )


def audit_naive_playbook(namespace, shared_limit, exclusive_limit):
    """The loop a user writes without fixed_ip_audit: list the records, then one fixed_ip_info task per record.

    fixed_ip_info with the record's namespace and pod answers "is this reservation in sync": it reads the record, the
    pod, and the record's subnet (its available and allocated addresses) and ENIs, and lists the drift between them.
    """
    tasks = [
        *list_records_tasks(),
        {
            "name": "pick the records",
            "ansible.builtin.set_fact": {
                "records": "{{ (shared.resources | list)[:%d] + (exclusive.resources | list)[:%d] }}"
                % (shared_limit, exclusive_limit),
                "listed": "{{ (shared.resources | length) + (exclusive.resources | length) }}",
            },
        },
        {
            "name": INSPECT,
            "ksyun.kce.fixed_ip_info": {
                "cluster_config": "%s/%s" % (namespace, CONFIG_MAP),
                "namespace": "{{ item.metadata.namespace }}",
                "pod_name": "{{ item.spec.podName }}",
            },
            "loop": "{{ records }}",
            "loop_control": {"label": "{{ item.metadata.namespace }}/{{ item.spec.podName }}"},
        },
        {"name": "how many were listed", "ansible.builtin.debug": {"var": "listed"}},
    ]
    return [{"name": "naive audit", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}]


def run_naive_audit(bench, emulator, clock, size, kubeconfig, rows, log):
    """One ansible-playbook run of the naive audit over every record (the first NAIVE_AUDIT_ITEMS above that)."""
    exclusive_total = sum(1 for index in range(size) if is_exclusive(index))
    shared_limit, exclusive_limit = size - exclusive_total, exclusive_total
    if size > NAIVE_AUDIT_ITEMS:
        # The first NAIVE_AUDIT_ITEMS records, shared and exclusive in the proportion of all.
        exclusive_limit = max(1, round(NAIVE_AUDIT_ITEMS * exclusive_total / size))
        shared_limit = NAIVE_AUDIT_ITEMS - exclusive_limit
    plays = audit_naive_playbook(bench.namespaces[0], shared_limit, exclusive_limit)
    seconds, report, details = _played(bench, emulator, clock, plays, kubeconfig, "naive audit playbook")
    results = task_results(report, INSPECT)
    wrong = [result.get("item", {}).get("metadata", {}).get("name") for result in results]
    wrong = [name for name, result in zip(wrong, results) if len(result.get("reservations") or []) != 1]
    if wrong or len(results) != shared_limit + exclusive_limit:
        raise RuntimeError(
            "the naive audit ran %d of %d fixed_ip_info tasks; not exactly one reservation for %s"
            % (len(results), shared_limit + exclusive_limit, wrong[:5])
        )
    listed = int(task_results(report, "how many were listed")[0]["listed"])
    if listed != size:
        raise RuntimeError("the naive audit listed %d records, %d are there" % (listed, size))
    drifted = sum(result["drifted"] for result in results)
    tasks = {entry["task"]["name"]: entry for entry in report["plays"][0]["tasks"]}
    looped = _duration(tasks[INSPECT])
    items = len(results)
    details.update(
        {
            "module_tasks": items,
            "records": size,
            "drifted": drifted,
            "measured_seconds": round(seconds, 3),
            "looped_seconds": round(looped, 3),
        }
    )
    reads, writes = sum(details["api_reads"].values()), sum(details["api_writes"].values())
    kube = sum(details["apiserver_metrics"].values())
    state = "in sync" if not drifted else "%d drifted" % drifted
    note = "%d fixed_ip_info tasks, %s" % (items, state)
    if items != size:
        # Listing once (two LISTs of records); the looped task grows with the records.
        scale = size / items
        seconds = (seconds - looped) + looped * scale
        reads, writes = round(reads * scale), round(writes * scale)
        kube = 2 + round((kube - 2) * scale)
        note = "extrapolated x%.0f from %d fixed_ip_info tasks of %d records, %s" % (scale, items, size, state)
        details["extrapolated_from"] = {"records": items, "module_tasks": items, "scale": round(scale, 3)}
    audit = next(row for row in rows if row.name == "audit (no repair)" and row.size == size)
    calls_ratio = (reads + writes) / max(1, audit.reads + audit.writes)
    details["ratio_wall"] = round(seconds / audit.seconds, 2)
    details["ratio_api_calls"] = round(calls_ratio, 2)
    note += "; %.0fx the wall time, %.1fx the API calls of audit (no repair)" % (seconds / audit.seconds, calls_ratio)
    played = next((row for row in rows if row.name == AUDIT_PLAYBOOK_ROW and row.size == size), None)
    if played is not None:
        details["ratio_wall_playbook"] = round(seconds / played.seconds, 2)
        note += ", %.0fx fixed_ip_audit in ansible-playbook" % (seconds / played.seconds)
    note += "; " + _memory_note(details)
    log("N=%d: naive audit %.1f s (%s)" % (size, seconds, note))
    return Row("naive audit: one fixed_ip_info task per record", size, seconds, reads, writes, kube, note, details)


def run(
    sizes,
    naive_sizes,
    prefix=POD_PREFIX,
    profile_dir=None,
    log=lambda line: print(line, file=sys.stderr),
    audit_naive_sizes=(),
):
    """Rows per N; the sandbox is started if needed and then stopped again, everything made here is removed.

    Besides the flows' rows, per N: fixed_ip_audit and fixed_ip_reclaim in ansible-playbook (time and memory), the
    naive audit at audit_naive_sizes and the naive reclaim at naive_sizes.
    """
    room = 2 ** (32 - prefix) - 12
    if max(sizes) > room:
        raise ValueError("a /%d pod subnet holds at most %d reservations here, not %d" % (prefix, room, max(sizes)))
    was_running = sandbox_cluster.running(sandbox_cluster.read_state())
    state = sandbox_cluster.up()
    kubeconfig = state["kubeconfig"]
    rows = []
    try:
        api = config.new_client_from_config(config_file=kubeconfig)
        for size in sizes:
            bench = Bench(api, state.get("pids"))
            try:
                namespace = bench.namespaces[0]
                bench.core.create_namespaced_config_map(
                    namespace, cluster_config_map(namespace, CONFIG_MAP, GROUP, settings())
                )
                with Emulator(topology(prefix), settings={"transition_seconds": 0}) as emulator:
                    clock = EmulatorClock(emulator)

                    def after_audit(found, emulator=emulator, clock=clock, size=size, bench=bench):
                        more = [run_audit_playbook(bench, emulator, clock, size, kubeconfig, log)]
                        if size in audit_naive_sizes:
                            more.append(run_naive_audit(bench, emulator, clock, size, kubeconfig, found + more, log))
                        return more

                    found = run_flows(bench, emulator, clock, size, log, profile_dir, after_audit)
                    found.append(run_reclaim_playbook(bench, emulator, clock, size, kubeconfig, log))
                    rows += found
                    if size in naive_sizes:
                        rows.append(run_naive(bench, emulator, clock, size, kubeconfig, found, log))
            finally:
                bench.close()
            log("N=%d: cleaned up (records, CRDs, namespaces, emulator, the kube-system Lease)" % size)
    finally:
        if not was_running:
            sandbox_cluster.down()
    return rows
