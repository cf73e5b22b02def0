"""A shared-mode pod without a fixed IP has a VpcIP (the product page's shared mode, step 1): kubectl shows it while the
pod runs; when the pod is deleted the VpcIP is deleted and its IP released, never reserved. A VpcIP whose pod is gone
is a leak the audit reports and repairs, and fixed_ip_info lists VpcIPs. A cluster whose CRDs predate VpcIP records
such IPs as PodEniIP with fixed false (the node agent's flow logs it), and releases them all the same after the upgrade.
"""

import json
import time
import uuid

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from sandbox_reset import flows_without_agent
from test_kubectl import printer_columns, run, table

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import ClusterConfig
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from playbook_runner import run_playbook
from sandbox import kubectl
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator
from sandbox.node_agent.network import pod_network_writer
from sandbox.node_agent.vpc_cni import sandbox_settings

pytestmark = pytest.mark.controlplane

ZONE_6A = {"topology.kubernetes.io/zone": "cn-beijing-6a"}
# Distinctive, so the playbook's output can be checked for it.
SECRET_ACCESS_KEY = "SKvpcip-5d2b-never-print-me"


def deployment(cluster, name):
    labels = {"ksyun-app": name}
    template = cluster.pod_template("shared", fixed=False, labels=labels, node_selector=ZONE_6A)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {"replicas": 1, "selector": {"matchLabels": labels}, "template": template},
    }


def free_in_the_subnet(cluster, ip):
    """Unassigned, random (not reserved), and listed among the subnet's available addresses."""
    return (
        cluster.holder(ip) is None
        and cluster.allocate_status(ip) == "random"
        and ip in cluster.cloud.describe_subnet_available_addresses(cluster.SUBNET_6A)
    )


def test_a_deployment_pod_without_a_fixed_ip_has_a_vpcip_while_it_runs_and_its_ip_is_free_once_it_is_deleted(
    sandbox_state, cluster, fixed_ip_namespace
):
    ns = fixed_ip_namespace
    cluster.apps.create_namespaced_deployment(ns, deployment(cluster, "web"))
    pod = cluster.wait("the Deployment's pod", lambda: next(iter(cluster.core.list_namespaced_pod(ns).items), None))
    running = cluster.running(ns, pod.metadata.name)
    ip, name, uid, node = running.status.pod_ip, running.metadata.name, running.metadata.uid, running.spec.node_name
    records = cluster.records(ns)
    assert list(records) == [("VpcIP", ip)], "a shared-mode pod without a fixed IP has a VpcIP, not a PodEniIP"
    record = records[("VpcIP", ip)]
    assert (record.pod_name, record.pod_uid, record.node_name, record.phase, record.fixed) == (
        name,
        uid,
        node,
        Phase.BOUND,
        False,
    )
    holder = cluster.holder(ip)
    assert holder["id"] == record.eni_id and ip in holder["secondary_ips"]
    assert cluster.allocate_status(ip) == "random"

    # Fully qualified: other tests' groups serve VpcIP too (see test_kubectl.py).
    names, rows = table(run(sandbox_state, "get", "vpcips.k8s.ksyun.com", "-n", ns))
    assert names == ["NAME"] + printer_columns("VpcIP") == ["NAME", "IP", "POD", "ENI", "NODE", "PHASE", "AGE"]
    assert [(r["NAME"], r["IP"], r["POD"], r["ENI"], r["NODE"], r["PHASE"]) for r in rows] == [
        (ip, ip, name, record.eni_id, node, "Bound")
    ]
    raw = json.loads(run(sandbox_state, "get", "vpcips.k8s.ksyun.com", ip, "-n", ns, "-o", "json"))
    assert raw["spec"]["pod"] == {"namespace": ns, "name": name, "uid": uid}
    assert raw["metadata"]["finalizers"] == ["k8s.ksyun.com/release-ip"]
    assert f"vpcip.k8s.ksyun.com/{ip}" in run(sandbox_state, "get", "ksyun", "-n", ns, "-o", "name").split()

    cluster.apps.patch_namespaced_deployment_scale("web", ns, {"spec": {"replicas": 0}})
    cluster.gone(ns, name, uid)
    assert cluster.records(ns) == {}
    listed = kubectl.run(sandbox_state, "get", "vpcips.k8s.ksyun.com", "-n", ns)
    assert listed.returncode == 0 and listed.stdout == "" and "No resources found" in listed.stderr
    assert free_in_the_subnet(cluster, ip), "the VpcIP's IP is released: unassigned and not reserved"


def _leak(cluster, ns, live):
    """What a pod removed while its node's VPC-CNI was down leaves behind: its VpcIP (Bound for a UID no pod has) and
    its IP on the node's shared ENI. Recorded first, as a bind does."""
    ip = next(
        candidate
        for candidate in reversed(cluster.cloud.describe_subnet_available_addresses(cluster.SUBNET_6A))
        if cluster.allocate_status(candidate) == "random"
    )
    gone = Reservation(
        namespace=ns,
        pod_name="web-gone",
        mode=Mode.SHARED,
        pod_uid=str(uuid.uuid4()),
        fixed=False,
        vpc_ip=True,
        ip=ip,
        subnet_id=live.subnet_id,
        zone=live.zone,
        eni_id=live.eni_id,
        mac=live.mac,
        instance_id=live.instance_id,
        node_name=live.node_name,
        phase=Phase.BOUND,
    )
    cluster.store.create(gone)
    cluster.cloud.assign_private_ips(live.eni_id, [ip])
    return gone


def test_the_audit_reports_and_repairs_a_vpcip_whose_pod_is_gone_and_fixed_ip_info_lists_vpcips(
    sandbox_state, cluster, fixed_ip_namespace, tmp_path
):
    ns = fixed_ip_namespace
    cluster.core.create_namespaced_pod(ns, cluster.bare_pod("web", mode="shared", fixed=False, node="10.0.0.47"))
    web = cluster.running(ns, "web")
    live = cluster.records(ns)[("VpcIP", web.status.pod_ip)]
    gone = _leak(cluster, ns, live)
    time.sleep(1.5)  # older than min_age 1s by its creation time
    env = {
        "K8S_AUTH_KUBECONFIG": sandbox_state["kubeconfig"],
        "KSYUN_ACCESS_KEY_ID": "AKLTvpcip01",
        "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "KSYUN_REGION": "cn-beijing-6",
        "KSYUN_ENDPOINT": "http://" + sandbox_state["ksyun_endpoint"],
    }
    emulator_url = env["KSYUN_ENDPOINT"]
    steps = run_playbook(
        [
            {"name": "audit", "ksyun.kce.fixed_ip_audit": {}},
            {"name": "info", "ksyun.kce.fixed_ip_info": {"namespace": ns}},
            {
                "name": "vpcips",
                "ksyun.kce.fixed_ip_info": {"namespace": ns, "kinds": ["VpcIP"], "include_cloud": False},
            },
            {"name": "reservations", "ksyun.kce.fixed_ip_info": {"namespace": ns, "kinds": ["PodEni", "PodEniIP"]}},
        ],
        tmp_path,
        emulator_url,
        SECRET_ACCESS_KEY,
        env,
    )
    assert not any(step.failed for step in steps.values()), steps
    audit = steps["audit"].result
    mine = {f["subject"]: f for f in audit["findings"] if ns in f["subject"]}
    assert set(mine) == {"VpcIP %s/%s" % (ns, gone.ip)}, "the live pod's VpcIP is in sync; the gone pod's is a leak"
    finding = mine["VpcIP %s/%s" % (ns, gone.ip)]
    assert finding["kind"] == "record-of-a-gone-pod" and gone.pod_uid in finding["detail"]
    assert finding["repair"] == [
        "write VpcIP %s/%s: phase Reclaiming, pod %s/web-gone, IP %s, ENI %s, node 10.0.0.47"
        % (ns, gone.ip, ns, gone.ip, gone.eni_id),
        "unassign IP %s from ENI %s" % (gone.ip, gone.eni_id),
        "delete VpcIP %s/%s" % (ns, gone.ip),
    ]

    info = {entry["name"]: entry for entry in steps["info"].result["reservations"]}
    assert {name: entry["kind"] for name, entry in info.items()} == {web.status.pod_ip: "VpcIP", gone.ip: "VpcIP"}
    assert info[web.status.pod_ip]["in_sync"] and info[web.status.pod_ip]["cloud"]["eni_holds_ip"]
    assert info[gone.ip]["drift"] == ["record says Bound but pod %s/web-gone is gone (its release did not run)" % ns]
    assert steps["info"].result["drifted"] == 1
    assert sorted(e["name"] for e in steps["vpcips"].result["reservations"]) == sorted([web.status.pod_ip, gone.ip])
    assert all(e["cloud"] is None for e in steps["vpcips"].result["reservations"])
    assert steps["reservations"].result["reservations"] == []

    # Repair from the reviewed report: only this finding, known older than min_age by its creation time.
    report = {key: audit[key] for key in ("format", "cluster", "generated_at")}
    report["findings"] = [finding]
    repaired = run_playbook(
        [{"name": "repair", "ksyun.kce.fixed_ip_audit": {"repair": True, "min_age": "1s", "report": report}}],
        tmp_path,
        emulator_url,
        SECRET_ACCESS_KEY,
        env,
    )["repair"]
    assert not repaired.failed and repaired.changed, repaired
    [entry] = [f for f in repaired.result["findings"] if f["key"] == finding["key"]]
    assert entry["repaired"] == finding["repair"] and entry["not_repaired"] == ""
    assert set(cluster.records(ns)) == {("VpcIP", web.status.pod_ip)}, "only the gone pod's VpcIP went"
    assert free_in_the_subnet(cluster, gone.ip)
    assert web.status.pod_ip in cluster.holder(web.status.pod_ip)["secondary_ips"], "the live pod keeps its IP"


# --- a cluster whose CRDs predate VpcIP ---------------------------------------------------------------------------

OLD_GROUP = "old-install-test.ksyun.com"
OLD_NODES = {"old-47": "10.0.0.47"}
OLD_INSTANCES = {"old-47": "5f2c7a10-0004-4a6e-9c1b-000000000047"}
OLD_SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"


def _crd_state(ext, name):
    try:
        found = ext.read_custom_resource_definition(name)
    except ApiException as e:
        if e.status == 404:
            return "absent"
        raise
    established = any(c.type == "Established" and c.status == "True" for c in found.status.conditions or [])
    return "established" if established else "pending"


@pytest.fixture(scope="module")
def old_install(kube, wait_for):
    """A group with the record CRDs of an install older than VpcIP (its VpcIP CRD removed) and a node no agent runs."""
    ext = client.ApiextensionsV1Api(kube)
    for dyn in flows_without_agent(kube, wait_for, OLD_GROUP, OLD_INSTANCES):
        name = crd("VpcIP", group=OLD_GROUP)["metadata"]["name"]
        ext.delete_custom_resource_definition(name)
        wait_for(f"{name} gone", lambda: _crd_state(ext, name) == "absent")
        yield dyn


class OldInstall:
    """The flows API on the old install's group, with a fresh emulator, as the node agent runs it (its log kept)."""

    def __init__(self, dyn, kube):
        self.dyn, self.core = dyn, client.CoreV1Api(kube)
        self.ns = f"old-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": self.ns}})
        self.emulator = Emulator(DEFAULT_TOPOLOGY, settings={"transition_seconds": 0})
        self.emulator.start()
        self.cloud = KsyunClient(
            access_key_id="test", secret_access_key="test", region="cn-beijing-6", endpoint=self.emulator.url
        )
        self.log = []

    def flows(self):
        """A new context per handling, as the node agent makes one (so a CRD installed meanwhile is seen)."""
        config = ClusterConfig(settings=sandbox_settings(DEFAULT_TOPOLOGY), crd_group=OLD_GROUP)
        return FlowContext(
            self.dyn,
            self.cloud,
            config,
            store=ReservationStore(self.dyn, group=OLD_GROUP),
            pod_network=pod_network_writer(self.dyn, OLD_NODES.get),
            lock_namespace=self.ns,
            eni_wait_interval=0.02,
            retry_delay=0.0,
            log=self.log.append,
        )

    def create_pod(self, name):
        annotations = {"v1.multus-cni.io/default-network": "kube-system/vpc-cni", "k8s.ksyun.com/pod-eniip": "true"}
        resources = {"ksyun/eni-private-ip": "1"}
        self.core.create_namespaced_pod(
            self.ns,
            {
                "metadata": {"name": name, "annotations": annotations},
                "spec": {
                    "nodeName": "old-47",
                    "containers": [
                        {"name": "app", "image": "x", "resources": {"requests": resources, "limits": resources}}
                    ],
                },
            },
        )

    def delete_pod(self, name):
        """Delete as a user does, release as the node agent does, then remove the pod as a kubelet does."""
        self.core.delete_namespaced_pod(name, self.ns)
        released = release_pod(self.flows(), self.ns, name)
        self.core.delete_namespaced_pod(name, self.ns, grace_period_seconds=0)
        return released

    def records(self):
        return {
            (s.kind, s.name): s.reservation for s in ReservationStore(self.dyn, group=OLD_GROUP).list(namespace=self.ns)
        }

    def free(self, ip):
        """Unassigned and random (not reserved) in the emulator."""
        data = self.emulator.state.data
        held = any(ip == e["primary_ip"] or ip in e["secondary_ips"] for e in data["network_interfaces"].values())
        status = data["ip_attributes"].get(OLD_SUBNET, {}).get(ip, {}).get("allocate_status", "random")
        return not held and status == "random"

    def close(self):
        self.emulator.stop()
        store = ReservationStore(self.dyn, group=OLD_GROUP)
        for stored in store.list(namespace=self.ns):
            store.delete(stored)
        self.core.delete_collection_namespaced_pod(self.ns, grace_period_seconds=0)
        self.core.delete_namespace(self.ns)


def test_a_cluster_without_the_vpcip_crd_records_a_non_fixed_shared_ip_as_before_and_releases_it_after_the_upgrade(
    old_install, kube, wait_for
):
    old = OldInstall(old_install, kube)
    ext = client.ApiextensionsV1Api(kube)
    vpcip_crd = crd("VpcIP", group=OLD_GROUP)
    try:
        store = ReservationStore(old_install, group=OLD_GROUP)
        assert not store.serves("VpcIP") and store.list() == [], "an unserved VpcIP kind reads as no VpcIP"

        old.create_pod("web-0")
        bound = bind_pod(old.flows(), old.ns, "web-0")
        ip = bound.pod_ip
        assert (bound.kind, bound.reservation["fixed"]) == ("PodEniIP", False)
        assert list(old.records()) == [("PodEniIP", ip)]
        [said] = [line for line in old.log if "does not serve VpcIP" in line]
        assert said.startswith(f"bind {old.ns}/web-0: the cluster does not serve VpcIP in {OLD_GROUP}/v1")
        assert "recorded as a PodEniIP with fixed false" in said

        # The upgrade: the CRDs installed again, VpcIP with them; the record the older version wrote stays as it is.
        ext.create_custom_resource_definition(vpcip_crd)
        wait_for("the VpcIP CRD Established", lambda: _crd_state(ext, vpcip_crd["metadata"]["name"]) == "established")
        released = old.delete_pod("web-0")
        assert released.actions[-1] == f"delete PodEniIP {old.ns}/{ip}"
        assert old.records() == {} and old.free(ip), "the older record's IP is released, not reserved"

        old.create_pod("web-1")
        again = bind_pod(old.flows(), old.ns, "web-1")
        assert again.kind == "VpcIP" and list(old.records()) == [("VpcIP", again.pod_ip)]
        old.delete_pod("web-1")
        assert old.records() == {} and old.free(again.pod_ip)
    finally:
        old.close()
