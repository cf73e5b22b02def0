"""The collection under both settings of every [U] cloud behaviour the flows depend on (docs/sandbox.md).

Each case drives the flows API directly (no node agent) against the sandbox's apiserver and a fresh
in-process emulator with one behaviour switched away from its default, and the cluster ConfigMap
flags that describe that behaviour (built only through the ConfigMap form, parse_cluster_config).

Lifecycle per ENI mode: bind a fixed-IP pod on one node, release it (pod deleted), bind a few other
pods of the subnet while the IP is released, release them, bind the re-created pod on another node
of the zone, release it again; then a cleanup through the flows (the pod re-created without the
fixed annotation, bound and released, which frees everything). After every step the emulator's state
is checked against the product page's guarantees (check_invariants); every violation is collected
and reported together at the end, with the step it was seen at.

Quotas: the tiny N3.1A node (2 ENIs, 3 IPs per ENI) is filled with shared and exclusive pods until
the flows refuse, with the ConfigMap flags saying how the cloud counts; the refusal must come from
the flows' own check and change nothing (no half-made ENI, no record), and the cloud must have no
room left then (the flows use every slot the cloud has). Before each fill, the node agent's device
plugin (sandbox/node_agent/devices.py) says how many more pods of the mode the scheduler would send
there (allocatable less the requests of the pods on the node): exactly as many as the flows then fit.
"""

import copy
import time
import uuid
from collections import defaultdict

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException
from sandbox_reset import flows_without_agent

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import MODE_RESOURCE
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    config_map_data,
    parse_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.run import FlowContext, FlowError, bind_pod, release_pod
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import as_dict
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import ReservationStore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.actions import is_write
from sandbox.node_agent.devices import counted_by_scheduler, node_devices, requested
from sandbox.node_agent.network import pod_network_writer
from sandbox.node_agent.vpc_cni import sandbox_settings

pytestmark = pytest.mark.controlplane

GROUP = "behaviours-test.ksyun.com"
SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
NODES = {"ub-47": "10.0.0.47", "ub-48": "10.0.0.48", "ub-49": "10.0.0.49"}
INSTANCES = {
    "ub-47": "5f2c7a10-0004-4a6e-9c1b-000000000047",
    "ub-48": "5f2c7a10-0004-4a6e-9c1b-000000000048",
    "ub-49": "5f2c7a10-0004-4a6e-9c1b-000000000049",
}
SHARED, EXCLUSIVE = "shared", "exclusive"
FAST = {"transition_seconds": 0.05}

# case: (emulator settings, ConfigMap flags describing them)
BEHAVIOURS = {
    "defaults": ({}, {}),
    "reserve-assigned-with-flag": ({"allow_specific_on_assigned_ip": True}, {"reserveAssignedIpSupported": "true"}),
    "reserve-assigned-flag-left-false": ({"allow_specific_on_assigned_ip": True}, {}),
    "assign-refuses-specific": ({"explicit_assign_takes_specific": False}, {"assignSpecificIpSupported": "false"}),
    "available-lists-specific": ({"available_addresses_include_specific": True}, {}),
    "reserve-assigned-and-assign-refuses-specific": (
        {"allow_specific_on_assigned_ip": True, "explicit_assign_takes_specific": False},
        {"reserveAssignedIpSupported": "true", "assignSpecificIpSupported": "false"},
    ),
    "available-lists-specific-and-assign-refuses-specific": (
        {"available_addresses_include_specific": True, "explicit_assign_takes_specific": False},
        {"assignSpecificIpSupported": "false"},
    ),
    "available-lists-specific-with-flag": (
        {"available_addresses_include_specific": True, "explicit_assign_takes_specific": False},
        {"assignSpecificIpSupported": "false", "availableExcludesReserved": "false"},
    ),
}
LIFECYCLES = [(case, mode) for case in BEHAVIOURS for mode in (SHARED, EXCLUSIVE)]

QUOTAS = {
    "defaults": {},
    "eni-quota-without-primary": {"eni_quota_counts_primary": False},
    "ip-quota-without-primary": {"ip_quota_counts_primary": False},
    "ip-quota-per-instance": {"ip_quota_scope": "instance"},
    "ip-quota-per-instance-without-primary": {"ip_quota_scope": "instance", "ip_quota_counts_primary": False},
    "eni-quota-without-primary-ip-quota-per-instance": {
        "eni_quota_counts_primary": False,
        "ip_quota_scope": "instance",
    },
    "all-three": {"eni_quota_counts_primary": False, "ip_quota_counts_primary": False, "ip_quota_scope": "instance"},
}
SEQUENCES = [(SHARED, EXCLUSIVE), (EXCLUSIVE, SHARED)]
QUOTA_CASES = [(case, sequence) for case in QUOTAS for sequence in SEQUENCES]
MAX_PODS_PER_MODE = 8


def quota_flags(settings):
    """The ConfigMap flags that tell the flows how the cloud counts, for the emulator's quota settings."""
    flags = {}
    if "eni_quota_counts_primary" in settings:
        flags["eniQuotaCountsPrimary"] = "true" if settings["eni_quota_counts_primary"] else "false"
    if "ip_quota_counts_primary" in settings:
        flags["ipQuotaCountsPrimary"] = "true" if settings["ip_quota_counts_primary"] else "false"
    if "ip_quota_scope" in settings:
        flags["ipQuotaPerInstance"] = "true" if settings["ip_quota_scope"] == "instance" else "false"
    return flags


class RecordingEmulator(Emulator):
    """An emulator that also keeps every write it answered, in order, with the parameters that name IPs and ENIs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.writes = []

    def execute(self, flat, headers, body_format="form"):
        status, payload = super().execute(flat, headers, body_format)
        action = flat.get("Action", "")
        if is_write(action):
            ips = tuple(
                v for k, v in sorted(flat.items()) if k == "PrivateIpAddress" or k.startswith("PrivateIpAddress.")
            )
            code = "" if status == 200 else (payload.get("Error") or {}).get("Code", str(status))
            self.writes.append((action, ips, flat.get("AllocateStatus", ""), code))
        return status, payload


@pytest.fixture(scope="module")
def dyn(kube, wait_for):
    """A dynamic client, with the records' CRDs in a group of their own and three nodes no agent runs."""
    yield from flows_without_agent(kube, wait_for, GROUP, INSTANCES)


def cluster_config(flags):
    """The cluster settings, only ever through the ConfigMap form (keys as in kube-system/ksyun-vpc-cni)."""
    return parse_cluster_config(dict(config_map_data(sandbox_settings(DEFAULT_TOPOLOGY)), crdGroup=GROUP, **flags))


class World:
    """One case: a fresh emulator with the case's settings, a namespace of its own, a flow context, and the violations seen."""

    def __init__(self, dyn, kube, settings, flags):
        self.dyn, self.core = dyn, client.CoreV1Api(kube)
        self.ns = f"ub-{uuid.uuid4().hex[:8]}"
        self.core.create_namespace({"metadata": {"name": self.ns}})
        self.emulator = RecordingEmulator(DEFAULT_TOPOLOGY, settings=dict(FAST, **settings))
        self.emulator.start()
        self.settings = dict(FAST, **settings)
        self.cloud = KsyunClient(
            access_key_id="test", secret_access_key="test", region="cn-beijing-6", endpoint=self.emulator.url
        )
        self.store = ReservationStore(dyn, group=GROUP)
        self.ctx = FlowContext(
            dyn,
            self.cloud,
            cluster_config(flags),
            store=self.store,
            pod_network=pod_network_writer(dyn, NODES.get),
            lock_namespace=self.ns,
            max_rounds=3,
            retry_delay=0.0,
            eni_wait_interval=0.02,
            eni_wait_timeout=10,
        )
        self.violations = []

    # --- the cluster --------------------------------------------------------------------------------------------

    def create_pod(self, name, node, mode, fixed=True):
        annotations = {
            "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
            "k8s.ksyun.com/pod-eniip" if mode == SHARED else "k8s.ksyun.com/pod-eni": "true",
        }
        if fixed:
            annotations["k8s.ksyun.com/pod-ip-fixed"] = "true"
        resources = {"ksyun/eni-private-ip" if mode == SHARED else "ksyun/eni": "1"}
        self.core.create_namespaced_pod(
            self.ns,
            {
                "metadata": {"name": name, "annotations": annotations},
                "spec": {
                    "nodeName": node,
                    "containers": [
                        {"name": "app", "image": "x", "resources": {"requests": resources, "limits": resources}}
                    ],
                },
            },
        )

    def pod(self, name):
        try:
            return self.core.read_namespaced_pod(name, self.ns)
        except ApiException as e:
            if e.status == 404:
                return None
            raise

    def bind(self, name, step):
        """Bind; a flow that cannot finish fails the case with what the cloud shows and the violations seen so far."""
        try:
            bind_pod(self.ctx, self.ns, name)
        except FlowError as err:
            record = self.record_of(name) or {}
            ip = record.get("ip", "")
            raise AssertionError(
                f"[{step}] {err}\n  record: {record}\n  IP {ip}: holders {[(h['id'], h['instance_id']) for h in self.holders(ip)]}, "
                f"specific: {ip in self.specific()}, writes naming it: {self.ip_writes(ip)}\n  earlier violations:\n    "
                + "\n    ".join(self.violations or ["none"])
            ) from err
        return self.pod(name).status.pod_ip

    def remove(self, name):
        """Delete as a user does (the pod turns Terminating), release, then confirm the deletion as a kubelet does."""
        uid = self.core.read_namespaced_pod(name, self.ns).metadata.uid
        self.core.delete_namespaced_pod(name, self.ns)
        release_pod(self.ctx, self.ns, name)
        self.core.delete_namespaced_pod(name, self.ns, body={"gracePeriodSeconds": 0, "preconditions": {"uid": uid}})
        deadline = time.monotonic() + 30
        while self.pod(name) is not None:
            if time.monotonic() > deadline:
                raise AssertionError(f"pod {self.ns}/{name} was not deleted")
            time.sleep(0.05)

    def records(self):
        return [stored.reservation.to_dict() for stored in self.store.list(namespace=self.ns)]

    def record_of(self, name):
        mine = [record for record in self.records() if record["podName"] == name]
        assert len(mine) <= 1, f"pod {name} has {len(mine)} records: {mine}"
        return mine[0] if mine else None

    # --- the cloud ----------------------------------------------------------------------------------------------

    def enis(self):
        return {
            e["id"]: dict(e) for e in self.emulator.state.data["network_interfaces"].values() if e["type"] != "primary"
        }

    def holders(self, ip):
        return [
            e
            for e in self.emulator.state.data["network_interfaces"].values()
            if ip == e["primary_ip"] or ip in e["secondary_ips"]
        ]

    def specific(self):
        table = self.emulator.state.data["ip_attributes"].get(SUBNET, {})
        return {ip for ip, attrs in table.items() if attrs.get("allocate_status") == "specific"}

    def cloud_view(self):
        data = self.emulator.state.data
        return copy.deepcopy({"enis": data["network_interfaces"], "ip_attributes": data["ip_attributes"]})

    def ip_writes(self, ip, since=0):
        """The writes that named ip, from the since-th write on: assign, unassign, reserve, unreserve (failed ones end in !code)."""
        names = {"AssignPrivateIpAddress": "assign", "UnassignPrivateIpAddress": "unassign"}
        out = []
        for action, ips, allocate, code in self.emulator.writes[since:]:
            if ip not in ips:
                continue
            word = names.get(action) or {"specific": "reserve", "random": "unreserve"}.get(allocate, action)
            out.append(word + (f"!{code}" if code else ""))
        return out

    # --- the guarantees -----------------------------------------------------------------------------------------

    def violate(self, step, text):
        self.violations.append(f"[{step}] {text}")

    def check_invariants(self, step):
        """The product page's guarantees, on the emulator's state and the case's records and pods."""
        data = self.emulator.state.data
        held = defaultdict(list)
        for eni in data["network_interfaces"].values():
            for ip in [eni["primary_ip"]] + list(eni["secondary_ips"]):
                held[ip].append(eni["id"])
        for ip, enis in held.items():
            if len(enis) > 1:
                self.violate(step, f"IP {ip} has two holders: ENIs {enis}")
        records = self.records()
        reserved_shared = {r["ip"] for r in records if r["mode"] == SHARED and r["phase"] == "Reserved"}
        for ip in sorted(self.specific() - reserved_shared):
            owner = next((r for r in records if r["ip"] == ip), None)
            self.violate(
                step,
                f"IP {ip} is AllocateStatus=specific but no Reserved PodEniIP keeps it (record: "
                f"{(owner['podName'], owner['phase'], owner['fixed']) if owner else 'none'}; holders: {held.get(ip, [])})",
            )
        for ip in sorted(reserved_shared - self.specific()):
            self.violate(step, f"IP {ip} is kept by a Reserved PodEniIP but not AllocateStatus=specific in the subnet")
        for ip in sorted(reserved_shared & set(held)):
            self.violate(step, f"released IP {ip} is still held by ENI {held[ip]}")
        pods = [p for p in self.core.list_namespaced_pod(self.ns).items if p.status.pod_ip]
        ips = [p.status.pod_ip for p in pods]
        for ip in {ip for ip in ips if ips.count(ip) > 1}:
            self.violate(
                step, f"IP {ip} is the IP of two pods: {[p.metadata.name for p in pods if p.status.pod_ip == ip]}"
            )
        for pod in pods:
            if pod.metadata.deletion_timestamp:
                continue
            holders = self.holders(pod.status.pod_ip)
            if not holders or holders[0]["instance_id"] != INSTANCES[pod.spec.node_name]:
                self.violate(
                    step,
                    f"pod {pod.metadata.name} on {pod.spec.node_name} has IP {pod.status.pod_ip} but the ENIs holding it "
                    f"are {[(h['id'], h['instance_id']) for h in holders]}",
                )
        by_eni = {r["eniId"]: r for r in records if r["mode"] == EXCLUSIVE and r["eniId"]}
        for eni in self.enis().values():
            record = by_eni.get(eni["id"])
            if eni["state"] not in ("inuse", "available"):
                self.violate(step, f"ENI {eni['id']} ({eni['name']}) is left {eni['state']}")
            if eni["instance_id"] is None and not (
                record and record["phase"] == "Reserved" and record["ip"] == eni["primary_ip"]
            ):
                self.violate(
                    step,
                    f"ENI {eni['id']} ({eni['name']}, {eni['primary_ip']}) is detached and no Reserved PodEni keeps it "
                    f"(record: {record and (record['podName'], record['phase'])})",
                )
            if "_ex_" in eni["name"] and record is None:
                self.violate(step, f"exclusive ENI {eni['id']} ({eni['name']}) has no PodEni record")
        for record in records:
            if record["mode"] == EXCLUSIVE and record["phase"] == "Reserved":
                eni = self.enis().get(record["eniId"])
                if eni is None or eni["instance_id"] is not None or eni["primary_ip"] != record["ip"]:
                    self.violate(
                        step,
                        f"PodEni of {record['podName']} is Reserved with IP {record['ip']} but its ENI is "
                        f"{eni and (eni['id'], eni['instance_id'], eni['primary_ip'])}",
                    )
            if record["phase"] == "Bound" and not any(
                h["instance_id"] == record["instanceId"] for h in self.holders(record["ip"])
            ):
                self.violate(
                    step,
                    f"record of {record['podName']} is Bound to {record['nodeName']} but no ENI there holds {record['ip']}",
                )
            if record["phase"] in ("Binding", "Releasing"):
                self.violate(step, f"record of {record['podName']} is left {record['phase']}")

    def stop(self):
        """Drop the case: records now (every flow reads all PodEniIPs of the group), pods, the namespace, the emulator."""
        self.emulator.stop()
        for stored in self.store.list(namespace=self.ns):
            self.store.delete(stored)
        self.core.delete_collection_namespaced_pod(self.ns, grace_period_seconds=0)
        self.core.delete_namespace(self.ns)


@pytest.fixture()
def world(dyn, kube):
    made = []

    def make(settings, flags=None):
        made.append(World(dyn, kube, settings, flags or {}))
        return made[-1]

    yield make
    for item in made:
        item.stop()


def sweep_shared_enis(world):
    """What an operator does once a node's pods are gone: detach and delete the cluster's empty shared ENIs (no flow does)."""
    for eni in world.enis().values():
        if "_sh_" not in eni["name"]:
            continue
        if eni["secondary_ips"]:
            world.violate(
                "cleanup", f"shared ENI {eni['id']} still holds {eni['secondary_ips']} after every pod was released"
            )
            continue
        if eni["instance_id"]:
            world.cloud.detach_network_interface(eni["instance_id"], eni["id"])
            world.cloud.wait_network_interface(eni["id"], None, timeout=10, interval=0.02)
        world.cloud.delete_network_interface(eni["id"])


@pytest.mark.parametrize("case,mode", LIFECYCLES, ids=[f"{case}-{mode}" for case, mode in LIFECYCLES])
def test_a_fixed_ip_lifecycle_keeps_the_product_guarantees_under_each_cloud_behaviour(world, case, mode):
    settings, flags = BEHAVIOURS[case]
    w = world(settings, flags)
    safe_order = flags.get("reserveAssignedIpSupported") == "true"
    unreserve_first = flags.get("assignSpecificIpSupported") == "false"

    w.create_pod("sts-0", "ub-47", mode)
    ip = w.bind("sts-0", "bind sts-0 on ub-47")
    w.check_invariants("bind sts-0 on ub-47")
    first = w.holders(ip)
    assert ip and first and first[0]["instance_id"] == INSTANCES["ub-47"], f"sts-0 got {ip!r}, held by {first}"
    own_eni = first[0]["id"]
    if mode == EXCLUSIVE:
        assert first[0]["primary_ip"] == ip and "_ex_" in first[0]["name"]
    else:
        assert ip in first[0]["secondary_ips"] and "_sh_" in first[0]["name"]

    since = len(w.emulator.writes)
    w.remove("sts-0")
    w.check_invariants("release sts-0")
    record = w.record_of("sts-0")
    assert record and record["phase"] == "Reserved" and record["ip"] == ip, record
    if mode == SHARED:
        assert (
            not w.holders(ip) and ip in w.specific()
        ), "a released shared fixed IP is held by no ENI and reserved in its subnet"
        expected = ["reserve", "unassign"] if safe_order else ["unassign", "reserve"]
        assert (
            w.ip_writes(ip, since) == expected
        ), f"release order of {ip}: {w.ip_writes(ip, since)}, expected {expected}"
    else:
        kept = w.enis()[own_eni]
        assert (kept["instance_id"], kept["primary_ip"]) == (
            None,
            ip,
        ), "the released exclusive ENI is detached and keeps the IP"
        assert ip not in w.specific()

    others = []
    for number, node in enumerate(("ub-48", "ub-48", "ub-47")):
        name = f"other-{number}"
        w.create_pod(name, node, mode, fixed=False)
        others.append((name, w.bind(name, f"bind {name} while {ip} is released")))
        w.check_invariants(f"bind {name} while {ip} is released")
    assert ip not in [got for name, got in others], f"a released fixed IP was handed to another pod: {others}"
    assert (not w.holders(ip) and ip in w.specific()) if mode == SHARED else w.enis()[own_eni]["instance_id"] is None
    for name, got in others:
        w.remove(name)
        w.check_invariants(f"release non-fixed {name}")
        if not w.holders(got) and got in w.specific():
            w.violate(f"release non-fixed {name}", f"its IP {got} is left AllocateStatus=specific")
        if w.record_of(name) is not None:
            w.violate(f"release non-fixed {name}", f"its record is left: {w.record_of(name)}")
    if mode == EXCLUSIVE:
        leaked = [e for e in w.enis().values() if e["id"] != own_eni]
        assert not leaked, f"a non-fixed release leaves no ENI: {leaked}"

    since = len(w.emulator.writes)
    w.create_pod("sts-0", "ub-48", mode)
    again = w.bind("sts-0", "bind re-created sts-0 on ub-48")
    w.check_invariants("bind re-created sts-0 on ub-48")
    assert again == ip, f"the re-created sts-0 got {again}, not its fixed IP {ip}"
    holder = w.holders(ip)
    assert len(holder) == 1 and holder[0]["instance_id"] == INSTANCES["ub-48"], holder
    if mode == EXCLUSIVE:
        assert holder[0]["id"] == own_eni, "exclusive mode keeps the pod's own ENI across nodes"
    else:
        steps = w.ip_writes(ip, since)
        expected = ["unreserve", "assign"] if unreserve_first else ["assign", "unreserve"]
        if steps != expected:
            w.violate("bind re-created sts-0 on ub-48", f"writes naming {ip}: {steps}, expected {expected}")

    since = len(w.emulator.writes)
    w.remove("sts-0")
    w.check_invariants("release re-created sts-0")
    record = w.record_of("sts-0")
    assert record and record["phase"] == "Reserved" and record["ip"] == ip, record
    if mode == SHARED:
        assert not w.holders(ip) and ip in w.specific()
        expected = ["reserve", "unassign"] if safe_order else ["unassign", "reserve"]
        if w.ip_writes(ip, since) != expected:
            w.violate("release re-created sts-0", f"writes naming {ip}: {w.ip_writes(ip, since)}, expected {expected}")
    else:
        assert (w.enis()[own_eni]["instance_id"], w.enis()[own_eni]["primary_ip"]) == (None, ip)

    # Cleanup through the flows: the pod without the fixed annotation takes its record over, and its release frees everything.
    w.create_pod("sts-0", "ub-47", mode, fixed=False)
    w.bind("sts-0", "bind sts-0 without the fixed annotation")
    w.check_invariants("bind sts-0 without the fixed annotation")
    w.remove("sts-0")
    w.check_invariants("release the non-fixed sts-0")
    sweep_shared_enis(w)
    left = {"records": w.records(), "enis": sorted(w.enis()), "specific": sorted(w.specific())}
    if any(left.values()):
        w.violate("cleanup", f"left behind: {left}")
    assert not w.violations, f"{case} / {mode}:\n" + "\n".join(w.violations)


# --- quotas ------------------------------------------------------------------------------------------------------


def _take_one(cloud, data, mode, instance, label):
    """Put one more pod of mode on instance with plain cloud calls, as the cloud allows; False on a quota refusal."""
    made = None
    try:
        if mode == SHARED:
            for eni in sorted(data["network_interfaces"].values(), key=lambda e: e["name"]):
                if eni["instance_id"] == instance and ("_sh_" in eni["name"] or eni["name"].startswith("probe-sh")):
                    try:
                        cloud.assign_private_ips(eni["id"], count=1)
                        return True
                    except Exception as err:  # noqa: BLE001 - only a quota refusal is expected here
                        if "QuotaExceeded" not in str(err):
                            raise
        made = cloud.create_network_interface(SUBNET, [SECURITY_GROUP], name=f"probe-{mode[:2]}-{label}")
        cloud.attach_network_interface(instance, made)
        if mode == SHARED:
            cloud.assign_private_ips(made, count=1)
        return True
    except Exception as err:  # noqa: BLE001
        if "QuotaExceeded" not in str(err):
            raise
        return False


def cloud_room(data, settings, mode, instance):
    """Whether the cloud, in state data with settings, would still take one more pod of mode on instance."""
    # A seed of its own: with the same seed the probe would hand out the ids of ENIs that already exist in data.
    probe = Emulator(DEFAULT_TOPOLOGY, settings=dict(settings, transition_seconds=0, seed=uuid.uuid4().int % 2**31))
    probe.state.data = copy.deepcopy(data)
    with probe:
        cloud = KsyunClient(access_key_id="test", secret_access_key="test", region="cn-beijing-6", endpoint=probe.url)
        return _take_one(cloud, probe.state.data, mode, instance, "room")


def cloud_capacity(settings, sequence, instance):
    """How many pods of each mode, in this order, the cloud alone lets an empty node take."""
    out = {}
    with Emulator(DEFAULT_TOPOLOGY, settings=dict(settings, transition_seconds=0)) as probe:
        cloud = KsyunClient(access_key_id="test", secret_access_key="test", region="cn-beijing-6", endpoint=probe.url)
        for mode in sequence:
            count = 0
            while count < MAX_PODS_PER_MODE and _take_one(cloud, probe.state.data, mode, instance, str(count)):
                count += 1
            out[mode] = count
    return out


def scheduler_room(w, node, instance, mode):
    """How many more pods of mode the scheduler would place on node: the device plugin's allocatable for the mode's
    resource, from the cloud and the pods now, less the requests of the pods bound to the node."""
    reader = CloudReader(w.cloud)
    [snapshot] = [item.node(node) for item in reader.instances([instance])]
    cloud = CloudSnapshot(enis=tuple(reader.enis(filters={"instance-id": [instance]})))
    listed = as_dict(w.dyn.resources.get(api_version="v1", kind="Pod").get(namespace=w.ns)).get("items") or []
    pods = [pod_snapshot(pod) for pod in listed if counted_by_scheduler(pod)]
    resource = MODE_RESOURCE[Mode(mode)]
    allocatable = node_devices(snapshot, cloud, w.ctx.settings, pods)[resource].allocatable
    return allocatable - sum(requested(pod, resource) for pod in pods if pod.node_name == node)


def _is_domain_error(err):
    return isinstance(err, FlowError) or any(kind.__name__ == "FixedIpError" for kind in type(err).__mro__)


@pytest.mark.parametrize(
    "case,sequence", QUOTA_CASES, ids=[f"{case}-{'-then-'.join(seq)}" for case, seq in QUOTA_CASES]
)
def test_a_full_node_is_refused_cleanly_and_not_before_the_cloud_is_full(world, case, sequence):
    settings = QUOTAS[case]
    w = world(settings, quota_flags(settings))
    node, instance = "ub-49", INSTANCES["ub-49"]
    fits, refusals, room, scheduled = {}, {}, {}, {}
    for mode in sequence:
        scheduled[mode] = scheduler_room(w, node, instance, mode)
        count = 0
        while count < MAX_PODS_PER_MODE:
            name = f"{mode[:2]}-{count}"
            w.create_pod(name, node, mode, fixed=False)
            before, writes = w.cloud_view(), len(w.emulator.writes)
            try:
                bind_pod(w.ctx, w.ns, name)
            except Exception as err:  # noqa: BLE001 - every refusal is examined below
                step = f"{mode} pod {name} refused"
                refusals[mode] = f"{type(err).__name__}: {err}"
                failed = [write for write in w.emulator.writes[writes:] if write[3]]
                if not _is_domain_error(err):
                    w.violate(step, f"not a refusal of the flows: {type(err).__name__}: {err}")
                if failed:
                    w.violate(
                        step, f"the refusal came from failed cloud calls {failed}, not from the flows' own check: {err}"
                    )
                if w.cloud_view() != before:
                    w.violate(step, f"the refused bind changed the cloud: writes {w.emulator.writes[writes:]}")
                if w.record_of(name) is not None:
                    w.violate(step, f"the refused bind left a record: {w.record_of(name)}")
                if node not in str(err) or not any(word in str(err) for word in ("ENI", "IP")):
                    w.violate(step, f"the refusal does not name node {node} and the quota: {err}")
                w.check_invariants(step)
                w.remove(name)
                break
            count += 1
            w.check_invariants(f"bind {mode} pod {name}")
        fits[mode] = count
        if scheduled[mode] != count:
            w.violate(
                f"{mode} fill",
                f"the device plugin's allocatable left room for {scheduled[mode]} {mode} pods, the flows fit {count}",
            )
        data = w.emulator.state.data
        room[mode] = cloud_room(data, w.settings, mode, instance)
        if room[mode]:
            w.violate(
                f"{mode} fill",
                f"the flows refused a {mode} pod after {count} while the cloud, counting as the ConfigMap says "
                f"it does, still has room",
            )
    capacity = cloud_capacity(w.settings, sequence, instance)
    print(
        f"\n{case} {'-then-'.join(sequence)}: flows fit {fits} (device plugin: {scheduled}); the cloud alone takes "
        f"{capacity} from an empty node; "
        f"cloud room left after the flows refused: {room}; refusals: {refusals}"
    )

    for name in sorted(p.metadata.name for p in w.core.list_namespaced_pod(w.ns).items):
        w.remove(name)
        w.check_invariants(f"release {name}")
    sweep_shared_enis(w)
    left = {"records": w.records(), "enis": sorted(w.enis()), "specific": sorted(w.specific())}
    if any(left.values()):
        w.violate("cleanup", f"left behind: {left}")
    assert not w.violations, f"{case} {sequence}: flows fit {fits}, cloud alone {capacity}, room {room}:\n" + "\n".join(
        w.violations
    )
