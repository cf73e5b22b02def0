"""Pod storm: N fixed-IP StatefulSet pods deleted at once, timed until all run again with the same IPs.

Per ENI mode, a sandbox of the benchmark's own (state in ``<sandbox dir>-storm``, so a running sandbox is left alone;
stopped again at the end, also when a run fails) with the add-ons (VPC-CNI, multus) and a topology written here: the
default topology's VPC, subnets and instance types, and only N3.2B nodes (4 ENIs with 10 IPs each, the primary ENI and
IP included) in cn-beijing-6a, as many as N pods need: 27 shared-mode pod IPs or 3 exclusive-mode ENIs per node
(sandbox/node_agent/devices.py counts them so), plus a spare node. Its nodes have their primary IPs in a node subnet
of their own, so the pod subnet 10.0.0.0/24 holds pod IPs and pod ENIs only.

Then a StatefulSet of N replicas (podManagementPolicy Parallel; built with the collection's fixed_ip_statefulset
filter) comes up, and its pods' IPs are noted. Per emulator latency (0 ms, 20 ms: ``latency_ms`` through the
emulator's admin API, on every KSYUN call), every pod is deleted with one DELETE (deletecollection), and the clock
runs until every pod of the StatefulSet is a new pod (new uid), Running, with its IP. Each pod must have the IP it
had: the benchmark fails loudly (RuntimeError "IP CHANGED") otherwise, that is correctness, not timing.

Counted during the storm: the KSYUN calls of the node agent's VPC-CNI flows (release and bind: the emulator's
counters for the access key ``sandbox``) by kind, and separately those of the sandbox's device plugin; the
apiserver's requests (its /metrics, WATCH and health checks left out) by verb and resource, from every client (the
node agent, the StatefulSet controller, the scheduler, the node heartbeats).
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml
from kubernetes import client, config, watch

from ansible_collections.ksyun.kce.plugins.filter.fixed_ip_statefulset import fixed_ip_statefulset
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import eni_capacity, pod_ip_capacity
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import NodeSnapshot
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator.admin_client import AdminClient
from sandbox.paths import state_dir

from .common import Row, apiserver_request_lines

ZONE = "cn-beijing-6a"
INSTANCE_TYPE = "N3.2B"
NODE_SUBNET = "5f2c7a10-0002-4a6e-9c1b-0000000000f1"
NAMESPACE = "storm"
STATEFULSET = "storm"
AGENT_CALLER = "sandbox"  # the access key the node agent's flows sign with (sandbox/node_agent/__main__.py)
DEVICE_CALLER = "sandbox-device-plugin"
READY_TIMEOUT = 900.0
# What the product needs per pod at the least, release and bind together (plugins/module_utils/fixed_ip/release.py
# keep_steps, bind.py _bind_shared / _bind_exclusive).
MINIMUM_WRITES = {
    "shared": (
        4,
        "release: ModifyPrivateIpAddressAttribute (reserve, specific) + UnassignPrivateIpAddress; bind: "
        "AssignPrivateIpAddress naming the IP on the node's shared ENI + ModifyPrivateIpAddressAttribute (back to "
        "random)",
    ),
    "exclusive": (2, "release: DetachNetworkInterface; bind: AttachNetworkInterface of the pod's own ENI"),
}


def empty_node():
    with open(DEFAULT_TOPOLOGY, encoding="utf-8") as handle:
        types = {item["type"]: item for item in yaml.safe_load(handle)["instance_types"]}
    kind = types[INSTANCE_TYPE]
    return NodeSnapshot("n", "i", ZONE, INSTANCE_TYPE, int(kind["eni_quota"]), int(kind["ip_quota"]))


def nodes_for(mode, size):
    """Nodes that hold size pods of mode, and one more (the scheduler spreads, the device plugin syncs late)."""
    per_node = (pod_ip_capacity if mode == "shared" else eni_capacity)(empty_node(), CloudBehaviour())
    return -(-size // per_node) + 1, per_node


def topology(nodes):
    """The default topology with nodes N3.2B nodes in cn-beijing-6a, in a node subnet 10.0.4.0/24 of their own."""
    with open(DEFAULT_TOPOLOGY, encoding="utf-8") as handle:
        topo = yaml.safe_load(handle)
    if nodes > 240:
        raise ValueError("the node subnet holds 240 nodes, not %d" % nodes)
    topo["subnets"].append(
        {"id": NODE_SUBNET, "name": "storm-nodes-6a", "cidr": "10.0.4.0/24", "zone": ZONE, "type": "Normal"}
    )
    topo["instances"] = [
        {
            "id": "5f2c7a10-0004-4a6e-9c1b-0000000f%04d" % number,
            "name": "10.0.4.%d" % (10 + number),
            "type": INSTANCE_TYPE,
            "zone": ZONE,
            "subnet": NODE_SUBNET,
            "primary_ip": "10.0.4.%d" % (10 + number),
            "primary_eni_id": "5f2c7a10-0005-4a6e-9c1b-0000000f%04d" % number,
        }
        for number in range(nodes)
    ]
    return topo


def statefulset(mode, size):
    definition = {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": STATEFULSET, "namespace": NAMESPACE},
        "spec": {
            "replicas": size,
            "serviceName": STATEFULSET,
            "podManagementPolicy": "Parallel",
            "selector": {"matchLabels": {"app": STATEFULSET}},
            "template": {
                "metadata": {"labels": {"app": STATEFULSET}},
                "spec": {"containers": [{"name": "app", "image": "hub.kce.ksyun.com/ksyun/nginx:1.25"}]},
            },
        },
    }
    return fixed_ip_statefulset(definition, mode, ZONE)


def apiserver_requests(api):
    """Every request the apiserver counted (its /metrics) by "VERB resource[/subresource]"; WATCH and health left out."""
    counts = Counter()
    for label, value in apiserver_request_lines(api):
        kind = label.get("resource") or "discovery"
        if label.get("subresource") and label.get("resource"):
            kind += "/" + label["subresource"]
        counts["%s %s" % (label["verb"], kind)] += value
    return counts


def _pod_state(pod):
    """(uid, running with an IP and not terminating, IP) of a V1Pod."""
    meta, status = pod.metadata, pod.status
    running = status is not None and status.phase == "Running" and bool(status.pod_ip) and not meta.deletion_timestamp
    return meta.uid, running, (status.pod_ip if status else None)


class Storm:
    """The benchmark's StatefulSet on a storm sandbox; wait_all / storm report pods by name."""

    def __init__(self, state, mode, size, log):
        self.state, self.mode, self.size, self.log = state, mode, size, log
        self.api = config.new_client_from_config(config_file=state["kubeconfig"])
        self.core, self.apps = client.CoreV1Api(self.api), client.AppsV1Api(self.api)
        self.admin = AdminClient("http://" + state["ksyun_endpoint"])
        self.names = ["%s-%d" % (STATEFULSET, ordinal) for ordinal in range(size)]

    def deploy(self):
        self.core.create_namespace({"metadata": {"name": NAMESPACE}})
        self.apps.create_namespaced_stateful_set(NAMESPACE, statefulset(self.mode, self.size))

    def _follow(self, until, resource_version, timeout):
        """Watch the namespace's pods from resource_version; {name: (uid, running, ip)} once until(pods) is true."""
        pods = {}
        listed = self.core.list_namespaced_pod(NAMESPACE, resource_version=resource_version)
        for pod in listed.items:
            pods[pod.metadata.name] = _pod_state(pod)
        version = listed.metadata.resource_version
        deadline = time.monotonic() + timeout
        while not until(pods):
            left = deadline - time.monotonic()
            if left <= 0:
                waiting = sorted(name for name in self.names if not until({name: pods.get(name)}, one=True))
                raise RuntimeError(
                    "timed out after %.0f s: %d of %d pods not back (%s)"
                    % (timeout, len(waiting), self.size, ", ".join(waiting[:10]))
                )
            stream = watch.Watch().stream(
                self.core.list_namespaced_pod,
                NAMESPACE,
                resource_version=version,
                timeout_seconds=max(1, min(30, int(left))),
            )
            for event in stream:
                pod = event["object"]
                version = pod.metadata.resource_version
                if event["type"] == "DELETED":
                    pods.pop(pod.metadata.name, None)
                else:
                    pods[pod.metadata.name] = _pod_state(pod)
                if until(pods):
                    break
        return pods

    def wait_all(self, timeout=READY_TIMEOUT):
        """{name: (uid, ip)} once every pod runs with its IP."""

        def done(pods, one=False):
            return all(pods.get(name) and pods[name][1] for name in (pods if one else self.names))

        pods = self._follow(done, None, timeout)
        return {name: (pods[name][0], pods[name][2]) for name in self.names}

    def storm(self, before, latency):
        """Delete every pod at once; the row of the time until all are back with the IPs of before."""
        self.admin.faults(latency_ms=latency)
        try:
            listed = self.core.list_namespaced_pod(NAMESPACE)
            server_before = apiserver_requests(self.api)
            self.admin.reset_counters()
            start = time.perf_counter()
            self.core.delete_collection_namespaced_pod(NAMESPACE, label_selector="app=" + STATEFULSET)

            def back(pods, one=False):
                names = list(pods) if one else self.names
                return all(pods.get(name) and pods[name][1] and pods[name][0] != before[name][0] for name in names)

            pods = self._follow(back, listed.metadata.resource_version, READY_TIMEOUT)
            seconds = time.perf_counter() - start
            agent = self.admin.counters(AGENT_CALLER)
            device = self.admin.counters(DEVICE_CALLER)
            server = apiserver_requests(self.api)
        finally:
            self.admin.faults(latency_ms=0)
        changed = {name: (before[name][1], pods[name][2]) for name in self.names if pods[name][2] != before[name][1]}
        if changed:
            raise RuntimeError(
                "IP CHANGED in the %s-mode storm at %d ms: %d of %d pods came back with another IP (was, now): %s"
                % (self.mode, latency, len(changed), self.size, dict(sorted(changed.items())[:10]))
            )
        server.subtract(server_before)
        kube = dict(sorted((+server).items()))
        return seconds, agent, device, kube


def _row(mode, size, latency, nodes, per_node, seconds, agent, device, kube):
    reads, writes = agent["total_reads"], agent["total_writes"]
    minimum, why = MINIMUM_WRITES[mode]
    kube_writes = sum(n for kind, n in kube.items() if kind.split()[0] in ("POST", "PUT", "PATCH", "DELETE"))
    note = (
        "%d %s nodes (%d %s each; N fits); per pod (release + bind): %.2f reads, %.2f writes (minimum %d); "
        "%.1f K8s writes/pod; device plugin %d reads"
        % (
            nodes,
            INSTANCE_TYPE,
            per_node,
            "pod IPs" if mode == "shared" else "ENIs",
            reads / size,
            writes / size,
            minimum,
            kube_writes / size,
            device["total_reads"],
        )
    )
    details = {
        "mode": mode,
        "latency_ms": latency,
        "nodes": nodes,
        "instance_type": INSTANCE_TYPE,
        "api_reads": dict(sorted(agent["reads"].items())),
        "api_writes": dict(sorted(agent["writes"].items())),
        "reads_per_pod": round(reads / size, 3),
        "writes_per_pod": round(writes / size, 3),
        "minimum_writes_per_pod": minimum,
        "minimum_writes_why": why,
        "device_plugin_reads": dict(sorted(device["reads"].items())),
        "device_plugin_writes": dict(sorted(device["writes"].items())),
        "apiserver_metrics": kube,
        "k8s_writes_per_pod": round(kube_writes / size, 2),
    }
    return Row(
        "pod storm, %s, latency %d ms" % (mode, latency),
        size,
        seconds,
        reads,
        writes,
        kube=sum(kube.values()),
        note=note,
        details=details,
    )


def run_mode(mode, size, latencies, log):
    nodes, per_node = nodes_for(mode, size)
    root = Path(str(state_dir()) + "-storm")
    if sandbox_cluster.running(sandbox_cluster.read_state(root)):
        sandbox_cluster.down(root=root, quiet=True)
    rows = []
    with tempfile.TemporaryDirectory(prefix="storm-") as tmp:
        path = Path(tmp) / "topology.yml"
        path.write_text(yaml.safe_dump(topology(nodes), sort_keys=False), encoding="utf-8")
        started = time.monotonic()
        state = sandbox_cluster.up(out=sys.stderr, root=root, topology=path)
    try:
        log("storm %s N=%d: sandbox with %d nodes up in %.0f s" % (mode, size, nodes, time.monotonic() - started))
        storm = Storm(state, mode, size, log)
        started = time.monotonic()
        storm.deploy()
        pods = storm.wait_all()
        ips = [ip for _uid, ip in pods.values()]
        if len(set(ips)) != size:
            raise RuntimeError("%s mode: %d pods share %d IPs" % (mode, size, len(set(ips))))
        log("storm %s N=%d: all pods Running in %.0f s" % (mode, size, time.monotonic() - started))
        for latency in latencies:
            seconds, agent, device, kube = storm.storm(pods, latency)
            rows.append(_row(mode, size, latency, nodes, per_node, seconds, agent, device, kube))
            log("storm %s N=%d, %d ms: back with the same IPs in %.1f s" % (mode, size, latency, seconds))
            pods = storm.wait_all()
    finally:
        sandbox_cluster.down(out=sys.stderr, root=root)
    return rows


def run(size, latencies, modes=("shared", "exclusive"), log=lambda line: print(line, file=sys.stderr)):
    """The storm rows of each mode and latency; each mode on a storm sandbox started and stopped here."""
    rows = []
    for mode in modes:
        rows += run_mode(mode, size, latencies, log)
    return rows
