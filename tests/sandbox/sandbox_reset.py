"""Bring the shared sandbox back to its baseline, so no test depends on what an earlier test left (or on the order).

Two parts:

- ``Baseline.restore_config()`` (cheap, a few reads): the emulator's behaviour settings as the sandbox starts
  it, no faults, the ConfigMap kube-system/ksyun-vpc-cni as installed, every sandbox node uncordoned, and the
  add-ons (``restore_addons``): the NetworkAttachmentDefinition kube-system/vpc-cni and both DaemonSets there (else
  sandbox/addons.py's install_addons runs again), a DaemonSet a test kept off a node (``keep_addon_off``) back as
  it was, and a Ready pod of the VPC-CNI DaemonSet on every VPC-CNI node and of multus on every sandbox node.
- ``Baseline.free_cloud()`` (for tests that use the shared emulator and the node agent): wait until the node agent
  is idle, remove what crashed test runs left (test namespaces that are not being deleted: their pods are
  deleted and released, their records deleted), then free in the emulated cloud what no record keeps: IPs
  reserved (AllocateStatus=specific) that no PodEniIP names, exclusive ENIs that no PodEni names, secondary IPs
  of shared ENIs that no PodEniIP names, the shared ENIs left empty, and the helper ENIs tests create by name.

Only the collection's ENIs (named ``kcefip_<cluster>_``) and the helper ENIs named in TEST_ENI_NAMES are touched;
records and IPs of namespaces that are not test namespaces stay as they are.
"""

import copy
import json
import re
import time

from kubernetes import client, dynamic
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    DEFAULT_NAME,
    DEFAULT_NAMESPACE,
    config_map_data,
)
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import KINDS, crd
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from sandbox.addons import install_addons, ready_nodes
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY, EMULATOR_SETTINGS
from sandbox.ksyun_emulator.faults import Faults
from sandbox.ksyun_emulator.settings import Settings, parse_pairs
from sandbox.node_agent import cni
from sandbox.node_agent.nodes import MANAGED_LABEL
from sandbox.node_agent.topology import node_specs
from sandbox.node_agent.vpc_cni import CLUSTER_NAME, sandbox_settings

# Namespaces the test fixtures make: conftest namespace (t-), integration (fip-), faults (f-), cloud behaviours (ub-).
TEST_NAMESPACE = re.compile(r"(t|fip|f|ub)-[0-9a-f]{8}")
# ENIs tests create by hand in the shared emulator (tests/sandbox/test_fixed_ip_pod_deletion.py, the integration tests).
TEST_ENI_NAMES = frozenset(("test-filler", "not-a-pod-eni"))
COLLECTION_ENI = f"kcefip_{CLUSTER_NAME}_"
# On a DaemonSet that keep_addon_off changed: its spec before (JSON), for restore_addons, even after a crashed run.
ORIGINAL_SPEC = "sandbox.ksyun.com/spec-before-test"
NAD = ("vpc-cni", cni.ADDON_NAMESPACE)


def baseline_emulator_settings():
    """The behaviour settings the sandbox starts its emulator with (sandbox/controlplane/cluster.py)."""
    return Settings().update(parse_pairs(EMULATOR_SETTINGS)).as_dict()


def baseline_config_map():
    return config_map_data(sandbox_settings(DEFAULT_TOPOLOGY))


class Baseline:
    """The sandbox as every test may assume it: see the module docstring."""

    def __init__(self, kube, admin, cloud, wait, kubeconfig):
        self.core = client.CoreV1Api(kube)
        self.apps = client.AppsV1Api(kube)
        self.custom = client.CustomObjectsApi(kube)
        self.store = ReservationStore(dynamic.DynamicClient(kube))
        self.admin, self.cloud, self.wait, self.kubeconfig = admin, cloud, wait, kubeconfig

    # --- configuration ------------------------------------------------------------------------------------------

    def restore_config(self):
        """Emulator settings and faults, the VPC-CNI ConfigMap, cordons; returns what had to be put back (for messages)."""
        changed = []
        wanted = baseline_emulator_settings()
        current = self.admin.settings()
        differs = {key: value for key, value in wanted.items() if current.get(key) != value}
        if differs:
            self.admin.settings(**differs)
            changed.append(f"emulator settings {sorted(differs)}")
        if self.admin.faults() != Faults().as_dict():
            self.admin.reset_faults()
            changed.append("emulator faults")
        data = baseline_config_map()
        try:
            found = self.core.read_namespaced_config_map(DEFAULT_NAME, DEFAULT_NAMESPACE)
        except ApiException as e:
            if e.status != 404:
                raise
            found = None
        if found is None or dict(found.data or {}) != data:
            body = {
                "metadata": {
                    "name": DEFAULT_NAME,
                    "namespace": DEFAULT_NAMESPACE,
                    "labels": {"app.kubernetes.io/part-of": "ksyun.kce"},
                },
                "data": data,
            }
            if found is None:
                self.core.create_namespaced_config_map(DEFAULT_NAMESPACE, body)
            else:
                self.core.replace_namespaced_config_map(DEFAULT_NAME, DEFAULT_NAMESPACE, body)
            changed.append(f"ConfigMap {DEFAULT_NAMESPACE}/{DEFAULT_NAME}")
        for node in self.managed_nodes():
            if node.spec.unschedulable:
                self.core.patch_node(node.metadata.name, {"spec": {"unschedulable": False}})
                changed.append(f"node {node.metadata.name} cordoned")
        return changed + self.restore_addons()

    # --- the add-ons (sandbox/addons.py) --------------------------------------------------------------------------

    def _daemonset(self, addon):
        try:
            return self.apps.read_namespaced_daemon_set(cni.DAEMONSETS[addon], cni.ADDON_NAMESPACE)
        except ApiException as e:
            if e.status != 404:
                raise
            return None

    def nad(self):
        """The NetworkAttachmentDefinition kube-system/vpc-cni as a dict, or None."""
        try:
            return self.custom.get_namespaced_custom_object(
                cni.NAD_GROUP, cni.NAD_VERSION, NAD[1], cni.NAD_PLURAL, NAD[0]
            )
        except ApiException as e:
            if e.status != 404:
                raise
            return None

    def addon_nodes(self, addon):
        """The sandbox nodes that run the add-on at the baseline: every node for multus, the VPC-CNI pool for VPC-CNI."""
        return {spec.name for spec in node_specs(DEFAULT_TOPOLOGY) if spec.vpc_cni or addon == cni.MULTUS}

    def restore_addons(self):
        """The add-ons as sandbox/addons.py installs them (see the module docstring); returns what was put back."""
        changed = []
        daemonsets = {addon: self._daemonset(addon) for addon in cni.DAEMONSETS}
        if self.nad() is None or None in daemonsets.values():
            install_addons(self.kubeconfig, DEFAULT_TOPOLOGY, self.admin.url.split("://", 1)[-1])
            changed.append("add-ons (install_addons)")
        for addon, ds in daemonsets.items():
            original = ds and (ds.metadata.annotations or {}).get(ORIGINAL_SPEC)
            if original:
                self._put_spec(addon, json.loads(original))
                changed.append(f"DaemonSet {cni.DAEMONSETS[addon]}")
        for addon in cni.DAEMONSETS:
            missing = self.addon_nodes(addon) - ready_nodes(self.core, addon)
            if missing:
                changed.append(f"{addon} pods on {sorted(missing)}")
                self.wait(
                    f"a Ready {addon} pod on every node of the add-on",
                    lambda a=addon: self.addon_nodes(a) <= ready_nodes(self.core, a),
                )
        return changed

    def _put_spec(self, addon, spec, original=None):
        """Replace the DaemonSet's spec (and its ORIGINAL_SPEC annotation: set to original, or removed)."""
        for _attempt in range(5):
            ds = self.apps.api_client.sanitize_for_serialization(self._daemonset(addon))
            ds["metadata"].pop("managedFields", None)
            annotations = ds["metadata"].setdefault("annotations", {})
            if original is None:
                annotations.pop(ORIGINAL_SPEC, None)
            else:
                annotations[ORIGINAL_SPEC] = json.dumps(original)
            ds["spec"] = spec
            try:
                self.apps.replace_namespaced_daemon_set(ds["metadata"]["name"], cni.ADDON_NAMESPACE, ds)
                return
            except ApiException as e:
                if e.status != 409:
                    raise
        raise AssertionError(f"DaemonSet {cni.DAEMONSETS[addon]} kept changing under the test")

    def keep_addon_off(self, addon, node):
        """Take the add-on's DaemonSet pod off node (a node affinity; OnDelete, so the pods elsewhere stay as they are)
        and wait until the node has no Ready pod of it; restore_addons (or restore_config) brings it back."""
        ds = self.apps.api_client.sanitize_for_serialization(self._daemonset(addon))
        original = json.loads(ds["metadata"].get("annotations", {}).get(ORIGINAL_SPEC) or "null") or ds["spec"]
        spec = copy.deepcopy(ds["spec"])
        spec["updateStrategy"] = {"type": "OnDelete"}
        pod_spec = spec["template"]["spec"]
        required = (
            pod_spec.setdefault("affinity", {})
            .setdefault("nodeAffinity", {})
            .setdefault("requiredDuringSchedulingIgnoredDuringExecution", {})
        )
        terms = required.setdefault("nodeSelectorTerms", []) or [{}]
        exclude = {"key": "kubernetes.io/hostname", "operator": "NotIn", "values": [node]}
        required["nodeSelectorTerms"] = [
            dict(t, matchExpressions=[*(t.get("matchExpressions") or []), exclude]) for t in terms
        ]
        self._put_spec(addon, spec, original=original)
        self.wait(f"no Ready {addon} pod on node {node}", lambda: node not in ready_nodes(self.core, addon))

    def managed_nodes(self):
        return self.core.list_node(label_selector=f"{MANAGED_LABEL}=true").items

    # --- the cloud and the records ------------------------------------------------------------------------------

    def _pods_on_sandbox_nodes(self):
        names = {node.metadata.name for node in self.managed_nodes()}
        return [pod for pod in self.core.list_pod_for_all_namespaces().items if pod.spec.node_name in names]

    def quiesce(self, settle=0.3, timeout=90.0):
        """Wait until no pod on a sandbox node is terminating and the cloud saw no write for settle seconds."""

        def quiet():
            if any(pod.metadata.deletion_timestamp for pod in self._pods_on_sandbox_nodes()):
                return False
            before = self.admin.counters()["total_writes"]
            time.sleep(settle)
            return self.admin.counters()["total_writes"] == before

        self.wait("the node agent idle (no pod terminating, no cloud writes)", quiet, timeout=timeout)

    def _leftover_namespaces(self, keep=()):
        return [
            ns.metadata.name
            for ns in self.core.list_namespace().items
            if TEST_NAMESPACE.fullmatch(ns.metadata.name)
            and ns.metadata.name not in keep
            and not ns.metadata.deletion_timestamp
        ]

    def remove_leftover_namespaces(self, keep=()):
        """Test namespaces no running test owns: delete their workloads and pods (the node agent releases them), records, themselves."""
        leftovers = self._leftover_namespaces(keep)
        if not leftovers:
            return []
        sandbox_nodes = {node.metadata.name for node in self.managed_nodes()}
        for ns in leftovers:
            for ds in self.apps.list_namespaced_daemon_set(ns).items:
                self.apps.delete_namespaced_daemon_set(ds.metadata.name, ns)
            for sts in self.apps.list_namespaced_stateful_set(ns).items:
                self.apps.delete_namespaced_stateful_set(sts.metadata.name, ns)
            for deploy in self.apps.list_namespaced_deployment(ns).items:
                self.apps.delete_namespaced_deployment(deploy.metadata.name, ns)
            for pod in self.core.list_namespaced_pod(ns).items:
                # No kubelet runs other nodes (the faults and cloud-behaviour tests' nodes): only a zero grace period removes those pods.
                grace = None if pod.spec.node_name in sandbox_nodes else 0
                self.core.delete_namespaced_pod(pod.metadata.name, ns, grace_period_seconds=grace)
        self.wait(
            f"the pods of {leftovers} deleted and released",
            lambda: not any(self.core.list_namespaced_pod(ns).items for ns in leftovers),
            timeout=90,
        )
        for ns in leftovers:
            for stored in self.store.list(namespace=ns):
                self.store.delete(stored)
            self.core.delete_namespace(ns)
        return leftovers

    def free_cloud(self, keep_namespaces=()):
        """Free what no record keeps (see the module docstring); returns what was freed (for messages)."""
        self.quiesce()
        freed = [f"namespace {ns}" for ns in self.remove_leftover_namespaces(keep_namespaces)]
        if freed:
            self.quiesce()
        records = [stored.reservation for stored in self.store.list()]
        shared_ips = {record.ip for record in records if record.mode.value == "shared" and record.ip}
        exclusive_enis = {record.eni_id for record in records if record.mode.value == "exclusive" and record.eni_id}
        state = self.admin.state()
        pod_subnets = {subnet for ids in sandbox_settings(DEFAULT_TOPOLOGY).pod_subnets.values() for subnet in ids}
        for subnet, table in state["ip_attributes"].items():
            for ip, attrs in table.items():
                if subnet in pod_subnets and attrs.get("allocate_status") == "specific" and ip not in shared_ips:
                    self.cloud.release_private_ip_reservation(subnet, ip)
                    freed.append(f"reserved IP {ip}")
        for eni in state["network_interfaces"].values():
            if eni["type"] == "primary":
                continue
            name = eni["name"]
            exclusive = name.startswith(COLLECTION_ENI + "ex_")
            shared = name.startswith(COLLECTION_ENI + "sh_")
            if exclusive and eni["id"] in exclusive_enis or not (exclusive or shared or name in TEST_ENI_NAMES):
                continue
            if shared:
                stray = [ip for ip in eni["secondary_ips"] if ip not in shared_ips]
                if stray:
                    self.cloud.unassign_private_ips(eni["id"], stray)
                    freed.append(f"IPs {stray} of shared ENI {name}")
                if len(stray) < len(eni["secondary_ips"]):
                    continue
            if eni["instance_id"]:
                self.cloud.detach_network_interface(eni["instance_id"], eni["id"])
                self.cloud.wait_network_interface(eni["id"], None, timeout=30, interval=0.1)
            self.cloud.delete_network_interface(eni["id"])
            freed.append(f"ENI {name} ({eni['id']})")
        return freed


def delete_group_records(kube, group):
    """Every PodEni/PodEniIP of a test's own API group (only a crashed run of that test can have left any)."""
    store = ReservationStore(dynamic.DynamicClient(kube), group=group)
    try:
        stored = store.list()
    except Exception:  # noqa: BLE001 - the group's CRDs are not installed yet: nothing to delete
        return
    for item in stored:
        store.delete(item)


def flows_without_agent(kube, wait, group, instances, zone="cn-beijing-6a"):
    """For tests that drive the flows API themselves: the records' CRDs in a group of their own (Established, emptied of
    a crashed run's records) and nodes named by ``instances`` (node -> KEC instance id) that no agent runs; yields a
    dynamic client and removes the nodes afterwards (a generator for a module-scoped fixture)."""
    ext, core = client.ApiextensionsV1Api(kube), client.CoreV1Api(kube)
    for kind in KINDS:
        try:
            ext.create_custom_resource_definition(crd(kind, group=group))
        except ApiException as e:
            if e.status != 409:
                raise
    for kind in KINDS:
        name = crd(kind, group=group)["metadata"]["name"]
        wait(
            f"{name} Established",
            lambda n=name: any(
                c.type == "Established" and c.status == "True"
                for c in ext.read_custom_resource_definition(n).status.conditions or []
            ),
        )
    # Every flow reads all PodEniIPs of the group: start without a crashed run's records.
    delete_group_records(kube, group)
    for node, instance in instances.items():
        try:
            core.create_node(
                {
                    "metadata": {"name": node, "labels": {"topology.kubernetes.io/zone": zone}},
                    "spec": {"providerID": f"ksyun://{instance}"},
                }
            )
        except ApiException as e:
            if e.status != 409:
                raise
    yield dynamic.DynamicClient(kube)
    for node in instances:
        try:
            core.delete_node(node)
        except ApiException as e:
            if e.status != 404:
                raise
