"""A sandbox node behaves like a KCE node: its pod network comes from the add-ons' DaemonSets running on it.

The node agent sets a pod's network up only while a Ready pod of the VPC-CNI DaemonSet runs on the pod's node, and,
for a pod with the multus annotation, a Ready multus pod and the NetworkAttachmentDefinition it names; meanwhile the
pod stays ContainerCreating with a FailedCreatePodSandBox event, and it gets its network as soon as that is fixed.
DaemonSet and hostNetwork pods run on the node's IP without a CNI. ``up --bare`` installs none of the add-ons.

The add-ons are changed per test (baseline.keep_addon_off, the NetworkAttachmentDefinition deleted and created again)
and put back by the baseline fixture (tests/sandbox/sandbox_reset.py).
"""

import json
import os
import subprocess
import sys

import pytest
from kubernetes import client, config
from kubernetes.client.rest import ApiException

from sandbox.addons import install_addons
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.node_agent import cni
from sandbox.node_agent.nodes import MANAGED_LABEL
from sandbox.paths import REPO_ROOT

pytestmark = pytest.mark.controlplane

NAD_ARGS = (cni.NAD_GROUP, cni.NAD_VERSION, cni.ADDON_NAMESPACE, cni.NAD_PLURAL)


def _pod_network_waits(core, wait, ns, name, text, reason=cni.SETUP_FAILED):
    """Wait for the pod's Warning event (reason, with text in its message); check the pod is ContainerCreating (Pending,
    no IP) and return the message."""

    def found():
        events = core.list_namespaced_event(ns, field_selector=f"involvedObject.name={name}").items
        return [e.message for e in events if e.type == "Warning" and e.reason == reason and text in e.message]

    [message] = wait(f"a {reason} event on {ns}/{name} saying {text!r}", found)
    if reason == cni.SETUP_FAILED:
        pod = core.read_namespaced_pod(name, ns)
        assert (pod.status.phase, pod.status.pod_ip) == ("Pending", None)
        assert [c.state.waiting.reason for c in pod.status.container_statuses] == ["ContainerCreating"]
        assert {c.type: c.status for c in pod.status.conditions}["Ready"] == "False"
    return message


def _host_network_pod(name, node):
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": node,
            "hostNetwork": True,
            "containers": [{"name": "app", "image": "hub.kce.ksyun.com/ksyun/nginx:1.27.3"}],
        },
    }


def _node_ips(core):
    """Sandbox node name -> its InternalIP."""
    return {
        node.metadata.name: next(a.address for a in node.status.addresses if a.type == "InternalIP")
        for node in core.list_node(label_selector=f"{MANAGED_LABEL}=true").items
    }


def test_a_fixed_ip_pod_naming_a_missing_network_attachment_definition_waits_until_it_exists(
    cluster, baseline, fixed_ip_namespace
):
    ns, custom = fixed_ip_namespace, baseline.custom
    nad = baseline.nad()
    custom.delete_namespaced_custom_object(*NAD_ARGS, "vpc-cni")
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("db-0", mode="shared", node="10.0.0.47"))
    message = _pod_network_waits(
        cluster.core,
        cluster.wait,
        ns,
        "db-0",
        "cannot find a network-attachment-definition (vpc-cni) in namespace (kube-system)",
    )
    assert message.startswith("Failed to create pod sandbox: ") and 'plugin type="multus-shim"' in message
    assert cluster.records(ns) == {}, "no IP is taken for a pod whose network cannot be set up"

    custom.create_namespaced_custom_object(
        *NAD_ARGS,
        {
            "apiVersion": nad["apiVersion"],
            "kind": nad["kind"],
            "metadata": {"name": "vpc-cni", "labels": nad["metadata"].get("labels") or {}},
            "spec": nad["spec"],
        },
    )
    ip = cluster.running(ns, "db-0").status.pod_ip
    record = cluster.records(ns)[("PodEniIP", ip)]
    assert (record.fixed, record.pod_name, record.phase.value) == (True, "db-0", "Bound")


def test_a_pod_on_a_node_without_a_ready_multus_pod_waits_until_multus_runs_there(
    cluster, baseline, fixed_ip_namespace
):
    ns, node = fixed_ip_namespace, "10.0.0.48"
    baseline.keep_addon_off(cni.MULTUS, node)
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("db-0", mode="shared", node=node))
    message = _pod_network_waits(cluster.core, cluster.wait, ns, "db-0", f"multus is not running on node {node}")
    assert "network-attachment-definition" not in message
    assert cluster.records(ns) == {}

    assert f"DaemonSet {cni.DAEMONSETS[cni.MULTUS]}" in baseline.restore_addons()
    ip = cluster.running(ns, "db-0").status.pod_ip
    assert cluster.records(ns)[("PodEniIP", ip)].node_name == node


def test_a_node_without_a_ready_vpc_cni_pod_neither_sets_up_nor_tears_down_pod_networks(
    cluster, baseline, fixed_ip_namespace
):
    ns, node = fixed_ip_namespace, "10.0.0.49"
    # 10.0.0.50 is of a node pool without the add-on (vpc_cni: false in the topology): its DaemonSet has no pod there.
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("web-50", node="10.0.0.50"))
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("before", node=node))
    before = cluster.running(ns, "before")
    _pod_network_waits(
        cluster.core,
        cluster.wait,
        ns,
        "web-50",
        "network plugin is not ready: vpc-cni is not running on node 10.0.0.50",
    )

    baseline.keep_addon_off(cni.VPC_CNI, node)
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("web", node=node))
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("brief", node=node))
    _pod_network_waits(
        cluster.core, cluster.wait, ns, "web", f"network plugin is not ready: vpc-cni is not running on node {node}"
    )
    _pod_network_waits(cluster.core, cluster.wait, ns, "brief", f"vpc-cni is not running on node {node}")
    # A pod that never got a network has none to tear down: its deletion completes at once.
    uid = cluster.pod(ns, "brief").metadata.uid
    cluster.core.delete_namespaced_pod("brief", ns)
    cluster.gone(ns, "brief", uid, timeout=15)
    # A pod with a network keeps it, and its deletion waits for the plugin to tear it down.
    cluster.core.delete_namespaced_pod("before", ns)
    _pod_network_waits(
        cluster.core, cluster.wait, ns, "before", f"vpc-cni is not running on node {node}", reason=cni.TEARDOWN_FAILED
    )
    still = cluster.pod(ns, "before")
    assert still.metadata.deletion_timestamp and still.status.pod_ip == before.status.pod_ip
    assert cluster.holder(before.status.pod_ip) is not None, "the IP is not released without VPC-CNI"

    baseline.restore_addons()
    ip = cluster.running(ns, "web").status.pod_ip
    cluster.gone(ns, "before", before.metadata.uid)
    # Released once VPC-CNI runs on the node again (web may well get the same address).
    assert set(cluster.records(ns)) == {("VpcIP", ip)}
    web_50 = cluster.pod(ns, "web-50")
    assert (web_50.status.phase, web_50.status.pod_ip) == ("Pending", None), "the node pool without the add-on"


def test_daemonset_and_host_network_pods_run_on_the_node_ip_without_a_cni(cluster, namespace):
    core, ns = cluster.core, namespace
    nodes = _node_ips(core)
    for addon, selector in (
        (cni.VPC_CNI, "app.kubernetes.io/name=ksyun-vpc-cni"),
        (cni.MULTUS, "app=multus,name=multus"),
    ):
        pods = core.list_namespaced_pod(cni.ADDON_NAMESPACE, label_selector=selector).items
        on = {p.spec.node_name for p in pods}
        assert on == (set(nodes) - {"10.0.0.50"} if addon == cni.VPC_CNI else set(nodes)), addon
        for pod in pods:
            conditions = {c.type: c.status for c in pod.status.conditions}
            assert (pod.status.phase, conditions["Ready"]) == ("Running", "True")
            assert pod.status.pod_ip == pod.status.host_ip == nodes[pod.spec.node_name]

    labels = {"app": "node-exporter"}
    client.AppsV1Api(cluster.core.api_client).create_namespaced_daemon_set(
        ns,
        {
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {"name": "node-exporter"},
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeSelector": {MANAGED_LABEL: "true"},
                        "containers": [{"name": "exporter", "image": "quay.io/prometheus/node-exporter:v1.8.2"}],
                    },
                },
            },
        },
    )
    core.create_namespaced_pod(ns, _host_network_pod("host", "10.0.0.50"))

    def running_on_node_ips():
        pods = core.list_namespaced_pod(ns).items
        done = {
            p.spec.node_name
            for p in pods
            if labels.items() <= p.metadata.labels.items()
            and p.status.phase == "Running"
            and p.status.pod_ip == nodes[p.spec.node_name]
        }
        return done == set(nodes) and pods

    pods = cluster.wait("the DaemonSet's pods Running on their nodes' IPs", running_on_node_ips)
    host = cluster.running(ns, "host")
    assert (host.status.pod_ip, host.status.host_ip) == ("10.0.0.50", "10.0.0.50")
    assert cluster.records(ns) == {}, "no IP of the VPC is taken for the node's own network"
    assert not any(cluster.warnings(ns, p.metadata.name) for p in pods)


def test_up_bare_starts_a_cluster_without_any_add_on_whose_pods_wait_for_them(tmp_path, wait_for):
    env = dict(os.environ, KSYUN_KCE_SANDBOX_DIR=str(tmp_path / "bare"))
    env.pop("KSYUN_KCE_COVERAGE_RCFILE", None)  # this sandbox runs no flow worth measuring

    def sandbox(*args):
        return subprocess.run(
            [sys.executable, "-m", "sandbox", *args],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    started = sandbox("up", "--bare")
    try:
        assert started.returncode == 0, started.stderr
        assert "bare (no add-ons)" in started.stderr
        kubeconfig = started.stdout.strip().splitlines()[-1]
        api = config.new_client_from_config(config_file=kubeconfig)
        core, apps = client.CoreV1Api(api), client.AppsV1Api(api)
        assert client.ApiextensionsV1Api(api).list_custom_resource_definition().items == []
        assert apps.list_daemon_set_for_all_namespaces().items == []
        with pytest.raises(ApiException) as missing:
            core.read_namespaced_config_map("ksyun-vpc-cni", "kube-system")
        assert missing.value.status == 404
        assert len(core.list_node(label_selector=f"{MANAGED_LABEL}=true").items) == 5

        body = {
            "metadata": {"name": "web"},
            "spec": {
                "nodeName": "10.0.0.47",
                "containers": [{"name": "app", "image": "hub.kce.ksyun.com/ksyun/nginx:1.27.3"}],
            },
        }
        core.create_namespaced_pod("default", body)
        core.create_namespaced_pod("default", _host_network_pod("host", "10.0.0.47"))
        _pod_network_waits(core, wait_for, "default", "web", "vpc-cni is not running on node 10.0.0.47")
        wait_for("the host network pod Running", lambda: core.read_namespaced_pod("host", "default").status.pod_ip)
        assert core.read_namespaced_pod("host", "default").status.pod_ip == "10.0.0.47"

        # The add-on roles (playbooks/deploy.yml) install multus and VPC-CNI; then the waiting pod gets its network.
        state = json.loads((tmp_path / "bare" / "state.json").read_text())
        install_addons(kubeconfig, DEFAULT_TOPOLOGY, state["ksyun_endpoint"])
        ip = wait_for("web with an IP", lambda: core.read_namespaced_pod("web", "default").status.pod_ip)
        assert ip.startswith("10.0.0.") and ip != "10.0.0.47"
    finally:
        stopped = sandbox("down")
        assert stopped.returncode == 0, stopped.stderr
