"""Reclaim with and without EIP release, by the playbooks users run (ksyun.kce.reclaim, ksyun.kce.reclaim_manual):
without reclaim_release_eips a freed reservation's elastic public IP stays allocated and is listed in eips_kept; with
it the EIP is released (listed in eips_released), the private IP freed and the record deleted, and a rerun changes
nothing. A ReleaseAddress that fails once stops the run with the record Reclaiming; the rerun releases the EIP once and
deletes the record. Both ENI modes; the node agent binds and releases the pods.
"""

import pytest
from fixed_ip_pods import MERGE, Sandbox, bare_pod
from fixed_ip_sandbox import ACCESS_KEY_ID, SECRET_ACCESS_KEY, SUBNET_6A, sandbox_environment
from kubernetes import client

from playbook_runner import ansible_playbook_json, delta

pytestmark = pytest.mark.controlplane

MODES = ["shared", "exclusive"]


@pytest.fixture
def sandbox(namespace, dyn, emulator, ksyun, wait_for):
    return Sandbox(dyn, emulator, ksyun, wait_for, namespace)


class Run:
    """One ansible-playbook run of a collection playbook: its module task's result, the play's stats, and the API reads
    and writes it caused (signed with the tests' key, so the node agent's calls never count)."""

    def __init__(self, report, task, reads, writes, faults):
        self.tasks = {t["task"]["name"]: t["hosts"].get("localhost", {}) for t in report["plays"][0]["tasks"]}
        self.result = self.tasks.get(task, {})
        self.stats = report["stats"]["localhost"]
        self.reads, self.writes, self.faults = reads, writes, faults

    @property
    def is_noop(self):
        """ok, unchanged, and no mutating call."""
        return not self.stats.get("failures") and not self.stats.get("changed") and not self.writes


def statefulsets_of_deleted_namespaces(kube):
    """Reclaim reads every StatefulSet (and refuses a bad retention annotation by name): those of earlier tests'
    namespaces, deleted but not gone yet, would play into this test's runs."""
    deleting = {
        ns.metadata.name for ns in client.CoreV1Api(kube).list_namespace().items if ns.metadata.deletion_timestamp
    }
    items = client.AppsV1Api(kube).list_stateful_set_for_all_namespaces().items
    return [
        "%s/%s" % (sts.metadata.namespace, sts.metadata.name) for sts in items if sts.metadata.namespace in deleting
    ]


@pytest.fixture
def run_playbook(sandbox_state, kube, emulator, emulator_url, wait_for, tmp_path):
    def run(playbook, task, extra_vars=None, check=False):
        wait_for(
            "no StatefulSet left in a namespace being deleted",
            lambda: not statefulsets_of_deleted_namespaces(kube),
            timeout=90,
        )
        args = [arg for key, value in (extra_vars or {}).items() for arg in ("-e", "%s=%s" % (key, value))]
        before = emulator.counters(caller=ACCESS_KEY_ID)
        env = sandbox_environment(sandbox_state, emulator_url)
        _proc, report = ansible_playbook_json(
            playbook, tmp_path, env, SECRET_ACCESS_KEY, args + (["--check"] if check else [])
        )
        after = emulator.counters(caller=ACCESS_KEY_ID)
        return Run(
            report,
            task,
            delta(after["reads"], before["reads"]),
            delta(after["writes"], before["writes"]),
            delta(after["faults"], before["faults"]),
        )

    return run


def policy(run_playbook, **extra_vars):
    return run_playbook("ksyun.kce.reclaim", "Reclaim what is due", **extra_vars)


def manual(run_playbook, **extra_vars):
    return run_playbook("ksyun.kce.reclaim_manual", "Free the reservation", **extra_vars)


def holder_of(emulator, ip):
    return next(
        eni
        for eni in emulator.state()["network_interfaces"].values()
        if ip == eni["primary_ip"] or ip in (eni["secondary_ips"] or [])
    )


def with_eip(sandbox, pod_name, ip):
    """An EIP associated with the running pod's IP and named by its record (spec.eipId); (allocation id, public IP)."""
    made = sandbox.ksyun.allocate_address(band_width=1)
    holder = holder_of(sandbox.emulator, ip)
    sandbox.ksyun.associate_address(made["AllocationId"], holder["instance_id"], holder["id"], ip)
    record = sandbox.record_of(pod_name)
    sandbox.kinds[record["spec"]["mode"]].patch(
        namespace=sandbox.ns,
        name=record["metadata"]["name"],
        content_type=MERGE,
        body={"spec": {"eipId": made["AllocationId"]}},
    )
    return made["AllocationId"], made["PublicIp"]


def release_if_left(ksyun, allocation_id):
    eip = ksyun.get_address(allocation_id)
    if eip is not None and eip.get("State") == "associate":
        ksyun.disassociate_address(allocation_id)
    if eip is not None:
        ksyun.release_address(allocation_id)


def label_of(sandbox, mode, pod_name, ip):
    return "PodEniIP %s/%s" % (sandbox.ns, ip) if mode == "shared" else "PodEni %s/%s" % (sandbox.ns, pod_name)


def private_ip_freed(sandbox, mode, ip, eni_id):
    return not sandbox.is_specific(SUBNET_6A, ip) if mode == "shared" else not sandbox.eni_exists(eni_id)


def mine(entries, labels):
    """Reclaim is cluster-wide: what other tests left is freed too, so look at this test's reservations."""
    return [entry for entry in entries if entry["reservation"] in labels]


@pytest.mark.parametrize("mode", MODES)
def test_reclaim_with_and_without_eip_release(run_playbook, sandbox, mode):
    pods = ("kept-0", "freed-0")
    for name in pods:
        sandbox.pods.create(namespace=sandbox.ns, body=bare_pod(name, mode))
    ips = {name: sandbox.running(name) for name in pods}
    eips = {}
    try:
        for name in pods:
            eips[name] = with_eip(sandbox, name, ips[name])
        for name in pods:
            sandbox.delete_pod(name)
        enis = {name: sandbox.reserved(name)["spec"].get("eniId") for name in pods}
        labels = {name: label_of(sandbox, mode, name, ips[name]) for name in pods}

        # Without the option (the default): the private IP is freed, the EIP stays allocated and is reported.
        sandbox.expire("kept-0")
        without = policy(run_playbook)
        assert not without.stats.get("failures") and without.stats.get("changed"), without.result.get("msg")
        [kept] = mine(without.result["eips_kept"], labels.values())
        assert (kept["eip_id"], kept["reservation"], kept["ip"]) == (eips["kept-0"][0], labels["kept-0"], ips["kept-0"])
        assert "release_eips" in kept["reason"]
        assert without.result["eips_released"] == []
        assert sandbox.ksyun.get_address(eips["kept-0"][0]) is not None, "the EIP stays allocated"
        assert sandbox.record_of("kept-0") is None and private_ip_freed(sandbox, mode, ips["kept-0"], enis["kept-0"])
        assert not {"ReleaseAddress", "DisassociateAddress"} & set(without.writes), without.writes
        assert "DescribeAddresses" not in without.reads, "no EIP is read when none is to be released"

        # Check mode with the option says what would be released and changes nothing.
        sandbox.expire("freed-0")
        before = sandbox.state()
        preview = policy(run_playbook, extra_vars={"reclaim_release_eips": "true"}, check=True)
        assert preview.writes == {} and sandbox.state() == before, "check mode changes nothing"
        assert mine(preview.result["eips_released"], labels.values()) == [
            {
                "eip_id": eips["freed-0"][0],
                "reservation": labels["freed-0"],
                "ip": ips["freed-0"],
                "public_ip": eips["freed-0"][1],
            }
        ]
        assert sandbox.ksyun.get_address(eips["freed-0"][0]) is not None

        # With the option: EIP released, private IP freed, record deleted, with one batched read of the EIPs.
        done = policy(run_playbook, extra_vars={"reclaim_release_eips": "true"})
        assert not done.stats.get("failures") and done.stats.get("changed"), done.result.get("msg")
        assert mine(done.result["eips_released"], labels.values()) == mine(
            preview.result["eips_released"], labels.values()
        )
        assert mine(done.result["eips_kept"], labels.values()) == []
        assert sandbox.ksyun.get_address(eips["freed-0"][0]) is None, "the EIP is released"
        assert sandbox.record_of("freed-0") is None and private_ip_freed(sandbox, mode, ips["freed-0"], enis["freed-0"])
        assert done.writes.get("ReleaseAddress") == 1 and done.reads.get("DescribeAddresses") == 1, (
            done.writes,
            done.reads,
        )
        # The EIP is free once its pod's IP left the ENI (the emulator's default): nothing to disassociate.
        assert "DisassociateAddress" not in done.writes
        [item] = [i for i in done.result["items"] if i["name"] == labels["freed-0"]]
        assert item["done"][1].startswith("release elastic IP %s" % eips["freed-0"][0]), item["done"]
        assert item["done"][-1].startswith("delete %s" % labels["freed-0"].split(" ")[0])

        again = policy(run_playbook, extra_vars={"reclaim_release_eips": "true"})
        assert again.is_noop, (again.stats, again.writes)
        assert "DescribeAddresses" not in again.reads, "a rerun with nothing to free reads no EIP"
        assert sandbox.ksyun.get_address(eips["kept-0"][0]) is not None, "the kept EIP is still there"
    finally:
        for allocation_id, _public_ip in eips.values():
            release_if_left(sandbox.ksyun, allocation_id)


@pytest.mark.parametrize("mode", MODES)
def test_a_manual_reclaim_whose_release_of_the_eip_failed_once_converges_on_the_rerun(
    run_playbook, sandbox, emulator, mode
):
    # Associations follow their IP here, so the released pod's EIP is still associated: reclaim disassociates it.
    emulator.settings(eip_follows_private_ip=True)
    sandbox.pods.create(namespace=sandbox.ns, body=bare_pod("db-0", mode))
    ip = sandbox.running("db-0")
    allocation_id = None
    try:
        allocation_id, _public_ip = with_eip(sandbox, "db-0", ip)
        sandbox.delete_pod("db-0")
        eni_id = sandbox.reserved("db-0")["spec"].get("eniId")
        assert sandbox.ksyun.get_address(allocation_id)["State"] == "associate"
        target = {"reclaim_namespace": sandbox.ns, "reclaim_pod": "db-0", "reclaim_release_eips": "true"}

        emulator.faults(
            fail_nth=[
                {
                    "nth": 1,
                    "action": "ReleaseAddress",
                    "mode": "error",
                    "status": 400,
                    "code": "OperationDenied.Injected",
                    "caller": ACCESS_KEY_ID,
                }
            ]
        )
        try:
            stopped = manual(run_playbook, extra_vars=target)
        finally:
            emulator.reset_faults()
        assert stopped.stats.get("failures") and stopped.faults == {"error": 1}, stopped.result
        assert "run it again to finish" in stopped.result["msg"] and allocation_id in stopped.result["msg"]
        record = sandbox.record_of("db-0")
        assert record["status"]["phase"] == "Reclaiming" and record["spec"]["eipId"] == allocation_id
        assert sandbox.ksyun.get_address(allocation_id)["State"] == "disassociate", "disassociated before it stopped"
        assert not private_ip_freed(sandbox, mode, ip, eni_id), "the private IP waits for the EIP"

        rerun = manual(run_playbook, extra_vars=target)
        assert not rerun.stats.get("failures") and rerun.stats.get("changed"), rerun.result.get("msg")
        assert [e["eip_id"] for e in rerun.result["eips_released"]] == [allocation_id]
        assert "released elastic IP %s" % allocation_id in rerun.tasks["Show what was freed"]["msg"]
        assert sandbox.ksyun.get_address(allocation_id) is None and sandbox.record_of("db-0") is None
        assert private_ip_freed(sandbox, mode, ip, eni_id)
        # One DisassociateAddress; two ReleaseAddress calls, the first refused by the injected fault: released once.
        assert (stopped.writes.get("DisassociateAddress"), rerun.writes.get("DisassociateAddress")) == (1, None)
        assert (stopped.writes.get("ReleaseAddress"), rerun.writes.get("ReleaseAddress")) == (1, 1)

        last = manual(run_playbook, extra_vars=target)
        assert last.is_noop and "nothing to reclaim" in last.result["nothing"], (last.stats, last.writes)
    finally:
        if allocation_id:
            release_if_left(sandbox.ksyun, allocation_id)
