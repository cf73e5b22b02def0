"""ksyun.kce.fixed_ip_statefulset with elastic public IPs, run with the real ansible-playbook against the sandbox.

eip: true gives every replica's fixed IP an EIP of its own (allocated once, named for the pod, recorded on its
PodEni/PodEniIP and associated with the pod's IP where its ENI holds it); a rerun is ok, unchanged and makes no cloud
write. An existing EIP given per ordinal is used as it is. An EIP that does not exist or is bound elsewhere is refused,
naming it, before anything is written.
"""

import pytest
from fixed_ip_sandbox import ACCESS_KEY_ID
from test_fixed_ip_statefulset_input import role_play, short_form, state

pytestmark = pytest.mark.controlplane

CLUSTER = "sandbox"


def eip_vars(namespace, mode, replicas=2, **extra):
    return short_form(
        namespace,
        fixed_ip_statefulset_name="edge",
        fixed_ip_statefulset_mode=mode,
        fixed_ip_statefulset_replicas=replicas,
        fixed_ip_statefulset_zone="cn-beijing-6a",
        **extra,
    )


def records(dyn, namespace):
    out = {}
    for kind in ("PodEni", "PodEniIP"):
        listed = dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).get(namespace=namespace).to_dict()
        for item in listed["items"]:
            out[item["spec"]["podName"]] = item["spec"]
    return out


def holder(ksyun, ip):
    """(ENI id, instance id) of the ENI that holds ip."""
    found = [
        eni
        for eni in ksyun.describe_network_interfaces()
        if eni.get("PrivateIpAddress") == ip
        or ip in [item.get("PrivateIpAddress") for item in eni.get("AssignedPrivateIpAddressSet") or []]
    ]
    assert len(found) == 1, "IP %s is held by %d ENIs" % (ip, len(found))
    return found[0]["NetworkInterfaceId"], found[0].get("InstanceId")


@pytest.fixture
def eips(ksyun):
    """Allocation ids to release after the test (disassociated first)."""
    made = []
    yield made
    for allocation_id in made:
        address = ksyun.get_address(allocation_id)
        if address is None:
            continue
        if address.get("State") == "associate":
            ksyun.disassociate_address(allocation_id)
        ksyun.release_address(allocation_id)


@pytest.mark.parametrize("mode", ["shared", "exclusive"])
def test_eip_true_gives_every_replica_an_eip_on_its_ip_and_a_rerun_writes_nothing(
    ansible, namespace, dyn, ksyun, emulator, eips, mode
):
    role_vars = eip_vars(namespace, mode, fixed_ip_statefulset_eip=True, fixed_ip_statefulset_eip_band_width=3)
    emulator.reset_counters()
    first = ansible(role_play(role_vars))
    kept = records(dyn, namespace)
    eips.extend(spec.get("eipId") for spec in kept.values() if spec.get("eipId"))
    assert first.rc == 0, first
    pods = first.task("the result")["fixed_ip_statefulset_result"]["pods"]
    assert [pod["pod"] for pod in pods] == ["edge-0", "edge-1"]
    assert len({pod["eip_id"] for pod in pods}) == 2 and len({pod["public_ip"] for pod in pods}) == 2
    for pod in pods:
        assert kept[pod["pod"]]["eipId"] == pod["eip_id"]
        address = ksyun.get_address(pod["eip_id"], with_tags=True)
        tags = {tag["TagKey"]: tag["TagValue"] for tag in address.get("TagSet") or []}
        assert tags["ksyun-kce-name"] == "kcefip_%s_eip_%s_%s" % (CLUSTER, namespace, pod["pod"])
        assert (address["PublicIp"], address["BandWidth"], address["State"]) == (pod["public_ip"], 3, "associate")
        eni_id, instance_id = holder(ksyun, pod["ip"])
        assert (address["PrivateIpAddress"], address["NetworkInterfaceId"], address["InstanceId"]) == (
            pod["ip"],
            eni_id,
            instance_id,
        )
    writes = emulator.counters(caller=ACCESS_KEY_ID)["writes"]
    assert writes.get("AllocateAddress") == 2 and writes.get("CreateTagAndAttachResource") == 2, writes

    emulator.reset_counters()
    again = ansible(role_play(role_vars))
    assert again.rc == 0, again
    assert again.task("Reserve the pinned IPs and the elastic IPs")["changed"] is False
    assert (
        again.task(
            "Associate each pod's elastic IP with its IP where the pod runs (a no-op when the node's bind did it)"
        )["changed"]
        is False
    )
    assert emulator.counters()["writes"] == {}, "a rerun wrote to the cloud"
    assert records(dyn, namespace) == kept
    assert again.task("the result")["fixed_ip_statefulset_result"]["pods"] == pods


def test_an_existing_eip_per_ordinal_is_recorded_and_associated(ansible, namespace, dyn, ksyun, emulator, eips):
    made = ksyun.allocate_address(band_width=1)
    eips.append(made["AllocationId"])
    role_vars = eip_vars(namespace, "shared", replicas=2, fixed_ip_statefulset_eip_ids=["", made["AllocationId"]])
    emulator.reset_counters()
    run = ansible(role_play(role_vars))
    assert run.rc == 0, run
    kept = records(dyn, namespace)
    assert "eipId" not in kept["edge-0"] or not kept["edge-0"]["eipId"], "ordinal 0 was given no EIP"
    assert kept["edge-1"]["eipId"] == made["AllocationId"]
    [pod0, pod1] = run.task("the result")["fixed_ip_statefulset_result"]["pods"]
    assert "eip_id" not in pod0 and (pod1["eip_id"], pod1["public_ip"]) == (made["AllocationId"], made["PublicIp"])
    address = ksyun.get_address(made["AllocationId"])
    assert (address["State"], address["PrivateIpAddress"]) == ("associate", pod1["ip"])
    assert "AllocateAddress" not in emulator.counters(caller=ACCESS_KEY_ID)["writes"]


@pytest.mark.parametrize("case", ["unknown", "bound-elsewhere", "twice", "more-than-replicas", "render"])
def test_a_bad_eip_is_refused_naming_it_and_nothing_changes(
    ansible, namespace, dyn, ksyun, emulator, eips, case, tmp_path
):
    unknown = "0badbad0-7d4e-4b2a-8f1c-0d5e6a7b8c9d"
    extra, expected = {}, ""
    if case == "unknown":
        extra = {"fixed_ip_statefulset_eip_ids": [unknown]}
        expected = "eip_id %s of pod %s/edge-0: no elastic IP has that allocation id" % (unknown, namespace)
    elif case == "bound-elsewhere":
        made = ksyun.allocate_address(band_width=1)
        eips.append(made["AllocationId"])
        node_eni = [eni for eni in ksyun.describe_network_interfaces() if eni.get("InstanceId")][0]
        ksyun.associate_address(made["AllocationId"], node_eni["InstanceId"], node_eni["NetworkInterfaceId"])
        extra = {"fixed_ip_statefulset_eip_ids": [made["AllocationId"]]}
        expected = "elastic IP %s (%s) is associated with" % (made["AllocationId"], made["PublicIp"])
    elif case == "twice":
        extra = {"fixed_ip_statefulset_eip_ids": [unknown, unknown]}
        expected = "names an EIP more than once"
    elif case == "more-than-replicas":
        extra = {"fixed_ip_statefulset_eip_ids": ["", "", unknown]}
        expected = "fixed_ip_statefulset_eip_ids has 3 entries"
    else:
        extra = {"fixed_ip_statefulset_eip": True, "fixed_ip_statefulset_output": "render"}
        extra["fixed_ip_statefulset_render_dir"] = str(tmp_path / "out")
        expected = "fixed_ip_statefulset_eip / fixed_ip_statefulset_eip_ids with fixed_ip_statefulset_output render"
    emulator.reset_counters()
    before = state(dyn, emulator, namespace)
    run = ansible(role_play(eip_vars(namespace, "shared", **extra)))
    assert run.rc != 0
    assert expected in run.msg, run.msg
    assert emulator.counters(caller=ACCESS_KEY_ID)["writes"] == {}
    assert state(dyn, emulator, namespace) == before
    assert records(dyn, namespace) == {}
