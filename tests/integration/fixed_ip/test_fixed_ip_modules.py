"""The fixed IP modules, run by the real ansible-playbook against the local sandbox (kube-apiserver + KSYUN emulator).

Every module: check mode reports a change and writes nothing, a run changes, a rerun changes nothing (and makes
no cloud write), --diff shows the change, deletion and a second deletion; bad input fails naming the value.
"""

import uuid

import pytest
from fixed_ip_sandbox import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY, SECURITY_GROUP, SUBNET_6A, SUBNET_6B
from kubernetes import client
from kubernetes.client.rest import ApiException

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import crd

pytestmark = pytest.mark.controlplane

ZONE_6A, ZONE_6B = "cn-beijing-6a", "cn-beijing-6b"
WRITES_NONE = {}


def task(name, module, args, **extra):
    return dict({"name": name, module: args}, **extra)


def info(name, kind, namespace, record=None, api_version="k8s.ksyun.com/v1"):
    """A kubernetes.core.k8s_info task: what the cluster holds right after the task before it."""
    args = {"kind": kind, "api_version": api_version, "namespace": namespace}
    if record:
        args["name"] = record
    return task(name, "kubernetes.core.k8s_info", args)


def record(dyn, kind, namespace, name, group="k8s.ksyun.com"):
    try:
        return dyn.resources.get(api_version=group + "/v1", kind=kind).get(namespace=namespace, name=name).to_dict()
    except ApiException as exc:
        if exc.status == 404:
            return None
        raise


def specific_ips(emulator, subnet_id):
    attributes = emulator.state()["ip_attributes"].get(subnet_id) or {}
    return {ip for ip, attr in attributes.items() if attr.get("allocate_status") == "specific"}


@pytest.fixture
def crd_group(kube):
    """A group of its own per test, so installing and removing CRDs never disturbs the default records; removed afterwards."""
    group = "fip-%s.example.com" % uuid.uuid4().hex[:8]
    yield group
    ext = client.ApiextensionsV1Api(kube)
    for kind in ("PodEni", "PodEniIP", "VpcIP"):
        try:
            ext.delete_custom_resource_definition(crd(kind, group=group)["metadata"]["name"])
        except ApiException as exc:
            if exc.status != 404:
                raise


def test_crds_install_wait_until_established_and_are_removed_only_without_records(playbook, namespace, crd_group):
    crds = {"group": crd_group}
    one_record = {"namespace": namespace, "ip": "10.0.0.236", "pod_name": "sts-0", "group": crd_group}
    steps = playbook(
        [
            task("install in check mode", "ksyun.kce.fixed_ip_crds", crds, check_mode=True),
            info(
                "no CRD after check mode",
                "CustomResourceDefinition",
                None,
                "podeniips." + crd_group,
                "apiextensions.k8s.io/v1",
            ),
            task("install", "ksyun.kce.fixed_ip_crds", crds),
            task("install again", "ksyun.kce.fixed_ip_crds", crds),
            task("a record in the new group", "ksyun.kce.pod_eni_ip", one_record),
            task(
                "remove while a record exists",
                "ksyun.kce.fixed_ip_crds",
                dict(crds, state="absent"),
                ignore_errors=True,
            ),
            info("CRD kept", "CustomResourceDefinition", None, "podeniips." + crd_group, "apiextensions.k8s.io/v1"),
            task(
                "remove with force in check mode",
                "ksyun.kce.fixed_ip_crds",
                dict(crds, state="absent", force=True),
                check_mode=True,
            ),
            task("remove with force", "ksyun.kce.fixed_ip_crds", dict(crds, state="absent", force=True)),
            task("remove again", "ksyun.kce.fixed_ip_crds", dict(crds, state="absent")),
            task("invalid group", "ksyun.kce.fixed_ip_crds", {"group": "Not_A_Group"}, ignore_errors=True),
        ]
    )
    assert steps["install in check mode"].changed
    assert steps["no CRD after check mode"].result["resources"] == []
    install = steps["install"]
    assert install.changed and [c["established"] for c in install.result["crds"]] == [True, True, True]
    assert [c["kind"] for c in install.result["crds"]] == ["PodEni", "PodEniIP", "VpcIP"]
    assert sorted(install.result["diff"]["after"]) == [
        "podeniips." + crd_group,
        "podenis." + crd_group,
        "vpcips." + crd_group,
    ]
    assert not steps["install again"].changed and steps["install again"].result["diff"]["after"] == {}
    refused = steps["remove while a record exists"]
    assert (
        refused.failed
        and "1 PodEni/PodEniIP/VpcIP records of %s/v1" % crd_group in refused.msg
        and "force=true" in refused.msg
    )
    assert len(steps["CRD kept"].result["resources"]) == 1
    assert steps["remove with force in check mode"].changed
    assert steps["remove with force"].changed and steps["remove with force"].result["diff"]["after"] == {
        "podeniips." + crd_group: {},
        "podenis." + crd_group: {},
        "vpcips." + crd_group: {},
    }
    assert not steps["remove again"].changed
    assert steps["invalid group"].failed and "'Not_A_Group'" in steps["invalid group"].msg
    assert all(
        step.reads == {} and step.writes == WRITES_NONE for step in steps.values()
    ), "CRD modules never call the cloud"


def test_a_crd_that_ksyun_kce_did_not_install_is_left_alone_unless_forced(playbook, kube, crd_group):
    foreign = crd("PodEniIP", group=crd_group)
    del foreign["metadata"]["labels"]
    foreign["spec"]["versions"][0]["additionalPrinterColumns"] = []
    client.ApiextensionsV1Api(kube).create_custom_resource_definition(foreign)
    steps = playbook(
        [
            task("install over a foreign CRD", "ksyun.kce.fixed_ip_crds", {"group": crd_group}, ignore_errors=True),
            task("install over it with force", "ksyun.kce.fixed_ip_crds", {"group": crd_group, "force": True}),
        ]
    )
    refused = steps["install over a foreign CRD"]
    assert refused.failed and "podeniips.%s" % crd_group in refused.msg and "not installed by ksyun.kce" in refused.msg
    assert not refused.changed
    forced = steps["install over it with force"]
    assert forced.changed
    stored = client.ApiextensionsV1Api(kube).read_custom_resource_definition("podeniips." + crd_group)
    assert stored.metadata.labels == {"app.kubernetes.io/part-of": "ksyun.kce"}


EIP = "5f2c7a10-0007-4a6e-9c1b-000000000001"


def test_pod_eni_ip_and_pod_eni_records_are_desired_state_with_status_in_the_status_subresource(
    playbook, namespace, dyn
):
    shared = {
        "namespace": namespace,
        "ip": "10.0.0.236",
        "pod_name": "sts-0",
        "subnet_id": SUBNET_6A,
        "zone": ZONE_6A,
        "retention": "7d",
    }
    bound = {
        "namespace": namespace,
        "ip": "10.0.0.236",
        "phase": "Bound",
        "pod_uid": "6f1c8a3e-0d7b-4a52-9a51-3b7f2e1d9c10",
        "node_name": "10.0.0.47",
    }
    exclusive = {
        "namespace": namespace,
        "pod_name": "db-0",
        "ip": "10.0.0.237",
        "eni_id": "5f2c7a10-0006-4a6e-9c1b-000000000001",
        "subnet_id": SUBNET_6A,
        "zone": ZONE_6A,
    }
    steps = playbook(
        [
            task("PodEniIP in check mode", "ksyun.kce.pod_eni_ip", shared, check_mode=True),
            info("no PodEniIP after check mode", "PodEniIP", namespace, "10.0.0.236"),
            task("PodEniIP", "ksyun.kce.pod_eni_ip", shared),
            task("PodEniIP again", "ksyun.kce.pod_eni_ip", shared),
            task("PodEniIP bound in check mode", "ksyun.kce.pod_eni_ip", bound, check_mode=True),
            task("PodEniIP bound", "ksyun.kce.pod_eni_ip", bound),
            task("PodEniIP bound again", "ksyun.kce.pod_eni_ip", bound),
            task("PodEniIP with an EIP", "ksyun.kce.pod_eni_ip", dict(bound, eip_id=EIP)),
            task("PodEniIP with an EIP again", "ksyun.kce.pod_eni_ip", dict(bound, eip_id=EIP)),
            task("PodEniIP bound keeps its EIP", "ksyun.kce.pod_eni_ip", bound),
            task("PodEniIP with a bad EIP id", "ksyun.kce.pod_eni_ip", dict(bound, eip_id="eip-1"), ignore_errors=True),
            task("PodEniIP without its EIP", "ksyun.kce.pod_eni_ip", dict(bound, eip_id="")),
            task("PodEni in check mode", "ksyun.kce.pod_eni", exclusive, check_mode=True),
            info("no PodEni after check mode", "PodEni", namespace, "db-0"),
            task("PodEni", "ksyun.kce.pod_eni", exclusive),
            task("PodEni again", "ksyun.kce.pod_eni", exclusive),
            task(
                "delete PodEniIP in check mode",
                "ksyun.kce.pod_eni_ip",
                {"namespace": namespace, "ip": "10.0.0.236", "state": "absent"},
                check_mode=True,
            ),
            info("PodEniIP kept after check mode", "PodEniIP", namespace, "10.0.0.236"),
            task(
                "delete PodEniIP",
                "ksyun.kce.pod_eni_ip",
                {"namespace": namespace, "ip": "10.0.0.236", "state": "absent"},
            ),
            task(
                "delete PodEniIP again",
                "ksyun.kce.pod_eni_ip",
                {"namespace": namespace, "ip": "10.0.0.236", "state": "absent"},
            ),
            task("delete PodEni", "ksyun.kce.pod_eni", {"namespace": namespace, "pod_name": "db-0", "state": "absent"}),
            task(
                "delete PodEni again",
                "ksyun.kce.pod_eni",
                {"namespace": namespace, "pod_name": "db-0", "state": "absent"},
            ),
        ]
    )
    check = steps["PodEniIP in check mode"]
    assert check.changed and check.result["result"]["status"] == {"phase": "Reserved"}
    assert steps["no PodEniIP after check mode"].result["resources"] == []
    created = steps["PodEniIP"]
    assert created.changed and created.result["diff"]["before"] == {}
    assert created.result["result"]["metadata"]["labels"] == {
        "k8s.ksyun.com/managed-by": "ksyun.kce",
        "k8s.ksyun.com/pod-namespace": namespace,
        "k8s.ksyun.com/pod-name": "sts-0",
        "k8s.ksyun.com/eni-mode": "shared",
        "k8s.ksyun.com/pod-ip": "10.0.0.236",
    }
    assert created.result["reservation"]["phase"] == "Reserved" and created.result["reservation"]["retention"] == "7d"
    assert not steps["PodEniIP again"].changed
    assert steps["PodEniIP bound in check mode"].changed
    moved = steps["PodEniIP bound"]
    assert moved.changed and moved.result["diff"]["after"]["status"] == {"phase": "Bound", "nodeName": "10.0.0.47"}
    assert moved.result["diff"]["after"]["spec"] == {"podUID": "6f1c8a3e-0d7b-4a52-9a51-3b7f2e1d9c10"}
    assert not steps["PodEniIP bound again"].changed
    with_eip = steps["PodEniIP with an EIP"]
    assert with_eip.changed and with_eip.result["diff"]["after"]["spec"] == {"eipId": EIP}
    assert with_eip.result["reservation"]["eipId"] == EIP
    assert not steps["PodEniIP with an EIP again"].changed and not steps["PodEniIP bound keeps its EIP"].changed
    assert steps["PodEniIP bound keeps its EIP"].result["reservation"]["eipId"] == EIP
    bad = steps["PodEniIP with a bad EIP id"]
    assert bad.failed and "eip_id" in bad.msg and "eip-1" in bad.msg
    dropped = steps["PodEniIP without its EIP"]
    assert dropped.changed and dropped.result["reservation"]["eipId"] == ""
    assert steps["PodEni in check mode"].changed and steps["no PodEni after check mode"].result["resources"] == []
    assert steps["PodEni"].changed and steps["PodEni"].result["name"] == "db-0"
    assert steps["PodEni"].result["diff"]["after"]["spec"]["eniId"] == "5f2c7a10-0006-4a6e-9c1b-000000000001"
    assert not steps["PodEni again"].changed
    assert steps["delete PodEniIP in check mode"].changed
    assert len(steps["PodEniIP kept after check mode"].result["resources"]) == 1
    assert steps["delete PodEniIP"].changed and steps["delete PodEniIP"].result["diff"]["after"] == {}
    assert not steps["delete PodEniIP again"].changed
    assert steps["delete PodEni"].changed and not steps["delete PodEni again"].changed
    assert record(dyn, "PodEniIP", namespace, "10.0.0.236") is None and record(dyn, "PodEni", namespace, "db-0") is None
    assert all(
        step.reads == {} and step.writes == WRITES_NONE for step in steps.values()
    ), "record modules never call the cloud"


def test_bad_input_fails_naming_the_value_and_changes_nothing(playbook, namespace, dyn, emulator):
    before = specific_ips(emulator, SUBNET_6A) | specific_ips(emulator, SUBNET_6B)
    pod = {"namespace": namespace, "pod_name": "sts-0"}
    bad = [
        (
            "record with a malformed IP",
            "ksyun.kce.pod_eni_ip",
            {"namespace": namespace, "ip": "10.0.0.300", "pod_name": "sts-0"},
            "'10.0.0.300'",
        ),
        (
            "record kept forever",
            "ksyun.kce.pod_eni_ip",
            {"namespace": namespace, "ip": "10.0.0.30", "pod_name": "sts-0", "retention": "forever"},
            "'forever'",
        ),
        (
            "record in an unknown group",
            "ksyun.kce.pod_eni_ip",
            {"namespace": namespace, "ip": "10.0.0.30", "pod_name": "sts-0", "group": "unknown.example.com"},
            "unknown.example.com/v1",
        ),
        ("reserve a malformed IP", "ksyun.kce.fixed_ip", dict(pod, ip="10.0.0.300", zone=ZONE_6A), "'10.0.0.300'"),
        (
            "reserve an IP outside the zone's subnets",
            "ksyun.kce.fixed_ip",
            dict(pod, ip="10.0.1.50", zone=ZONE_6A),
            "10.0.1.50",
        ),
        ("reserve an IP a node holds", "ksyun.kce.fixed_ip", dict(pod, ip="10.0.0.47", zone=ZONE_6A), "in use by ENI"),
        ("reserve the gateway", "ksyun.kce.fixed_ip", dict(pod, ip="10.0.0.1", zone=ZONE_6A), "gateway"),
        ("reserve forever", "ksyun.kce.fixed_ip", dict(pod, zone=ZONE_6A, retention="forever"), "'forever'"),
        (
            "reserve in an unknown group",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, group="unknown.example.com"),
            "unknown.example.com/v1",
        ),
        ("reserve in an unknown zone", "ksyun.kce.fixed_ip", dict(pod, zone="cn-beijing-9z"), "'cn-beijing-9z'"),
        ("reserve across zones", "ksyun.kce.fixed_ip", dict(pod, zone=ZONE_6A, subnet_id=SUBNET_6B), SUBNET_6B),
        (
            "reserve one pod twice",
            "ksyun.kce.fixed_ip",
            {"reservations": [dict(pod, zone=ZONE_6A), dict(pod, zone=ZONE_6A)]},
            "%s/sts-0 is listed twice" % namespace,
        ),
        (
            "bind with reserve options",
            "ksyun.kce.fixed_ip",
            dict(pod, state="bound", ip="10.0.0.236"),
            "state=reserved",
        ),
        (
            "bind a pod that does not exist",
            "ksyun.kce.fixed_ip",
            dict(pod, state="bound"),
            "%s/sts-0 does not exist" % namespace,
        ),
        (
            "reserve with a new and an existing EIP",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, eip=True, eip_id="9c3f6a10-7d4e-4b2a-8f1c-0d5e6a7b8c9d"),
            "eip and eip_id: give one, not both",
        ),
        (
            "reserve with a malformed EIP id",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, eip_id="eip-1"),
            "eip_id: 'eip-1' is not a KSYUN resource id",
        ),
        (
            "reserve with an EIP that does not exist",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, eip_id="9c3f6a10-7d4e-4b2a-8f1c-0d5e6a7b8c9d"),
            "eip_id 9c3f6a10-7d4e-4b2a-8f1c-0d5e6a7b8c9d of pod %s/sts-0: no elastic IP has that allocation id"
            % namespace,
        ),
        (
            "reserve with a monthly EIP of no months",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, eip=True, eip_allocation={"charge_type": "Monthly"}),
            "eip_allocation.purchase_time: charge_type Monthly needs the number of months",
        ),
        (
            "reserve with an EIP of no bandwidth",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, eip=True, eip_allocation={"band_width": 0}),
            "eip_allocation.band_width must be at least 1, got 0",
        ),
        (
            "bind with EIP options",
            "ksyun.kce.fixed_ip",
            dict(pod, state="bound", eip_allocation={"band_width": 2}),
            "eip_allocation: only used with state=reserved",
        ),
        (
            "read another config map",
            "ksyun.kce.fixed_ip",
            dict(pod, zone=ZONE_6A, cluster_config="kube-system/missing"),
            "kube-system/missing",
        ),
    ]
    steps = playbook([task(name, module, args, ignore_errors=True) for name, module, args, expected in bad])
    for name, module, args, expected in bad:
        step = steps[name]
        assert step.failed and not step.changed, step
        assert expected in step.msg, "%s (%s %s): %r does not name %r" % (name, module, args, step.msg, expected)
        assert step.writes == WRITES_NONE, step
    for kind in ("PodEni", "PodEniIP"):
        assert (
            dyn.resources.get(api_version="k8s.ksyun.com/v1", kind=kind).get(namespace=namespace).to_dict()["items"]
            == []
        )
    assert specific_ips(emulator, SUBNET_6A) | specific_ips(emulator, SUBNET_6B) == before


def test_a_chosen_ip_is_reserved_in_its_subnet_and_recorded_before_the_pod_exists(playbook, namespace, dyn, emulator):
    chosen = {"namespace": namespace, "pod_name": "sts-0", "zone": ZONE_6A, "ip": "10.0.0.236", "retention": "7d"}
    batch = {
        "reservations": [
            {"namespace": namespace, "pod_name": "web-0", "zone": ZONE_6A},
            {"namespace": namespace, "pod_name": "web-1", "zone": ZONE_6B},
            {"namespace": namespace, "pod_name": "db-0", "zone": ZONE_6A, "mode": "exclusive"},
        ]
    }
    steps = playbook(
        [
            task("reserve in check mode", "ksyun.kce.fixed_ip", chosen, check_mode=True),
            info("no record after check mode", "PodEniIP", namespace),
            task("reserve", "ksyun.kce.fixed_ip", chosen),
            task("reserve again", "ksyun.kce.fixed_ip", chosen),
            task("reserve three pods", "ksyun.kce.fixed_ip", batch),
            task("reserve three pods again", "ksyun.kce.fixed_ip", batch),
            task(
                "release a pod that holds nothing",
                "ksyun.kce.fixed_ip",
                {"namespace": namespace, "pod_name": "other-0", "state": "released"},
            ),
            task("read them back", "ksyun.kce.fixed_ip_info", {"namespace": namespace}),
        ]
    )
    check = steps["reserve in check mode"]
    assert check.changed and check.writes == WRITES_NONE
    assert check.result["reservations"][0]["actions"] == [
        "write PodEniIP %s/10.0.0.236: phase Reserved, pod %s/sts-0, IP 10.0.0.236" % (namespace, namespace),
        "reserve IP 10.0.0.236 in subnet %s (AllocateStatus=specific)" % SUBNET_6A,
    ]
    assert steps["no record after check mode"].result["resources"] == []
    reserved = steps["reserve"]
    assert reserved.changed and reserved.writes == {"ModifyPrivateIpAddressAttribute": 1}
    assert reserved.result["diff"]["before"] == {"PodEniIP %s/10.0.0.236" % namespace: {}}
    assert reserved.result["diff"]["after"]["PodEniIP %s/10.0.0.236" % namespace]["phase"] == "Reserved"
    again = steps["reserve again"]
    assert not again.changed and again.writes == WRITES_NONE
    assert again.result["diff"] == {"before": {}, "after": {}}
    stored = record(dyn, "PodEniIP", namespace, "10.0.0.236")
    assert (
        stored["status"]["phase"] == "Reserved"
        and "podUID" not in stored["spec"]
        and stored["spec"]["retention"] == "7d"
    )
    assert "10.0.0.236" in specific_ips(emulator, SUBNET_6A)
    three = steps["reserve three pods"]
    assert three.changed and three.writes == {"ModifyPrivateIpAddressAttribute": 2, "CreateNetworkInterface": 1}
    assert three.reads["DescribeSubnets"] == 1, "one subnet read for the whole batch"
    web0, web1, db0 = (item["reservation"] for item in three.result["reservations"])
    assert (web0["zone"], web1["zone"], db0["zone"]) == (ZONE_6A, ZONE_6B, ZONE_6A)
    assert len({web0["ip"], web1["ip"], db0["ip"], "10.0.0.236"}) == 4, "every pod gets its own IP"
    assert db0["eniId"] and db0["mac"] and db0["phase"] == "Reserved"
    again = steps["reserve three pods again"]
    assert not again.changed and again.writes == WRITES_NONE
    assert not steps["release a pod that holds nothing"].changed
    assert "no reservation" in steps["release a pod that holds nothing"].result["reservations"][0]["reason"]
    listed = steps["read them back"].result
    assert listed["drifted"] == 0 and len(listed["reservations"]) == 4
    by_pod = {item["reservation"]["podName"]: item for item in listed["reservations"]}
    assert by_pod["sts-0"]["cloud"]["ip_reserved"] is True and by_pod["web-1"]["cloud"]["ip_reserved"] is True
    assert by_pod["db-0"]["cloud"]["eni"]["instance_id"] is None and by_pod["db-0"]["cloud"]["eni_holds_ip"] is True
    assert steps["read them back"].writes == WRITES_NONE


def test_fixed_ip_info_flags_drift_between_records_the_cloud_and_the_pods(playbook, namespace, ksyun):
    taken = ksyun.create_network_interface(SUBNET_6A, [SECURITY_GROUP], name="not-a-pod-eni", private_ip="10.0.0.238")
    try:
        steps = playbook(
            [
                task(
                    "bound to a pod that is gone",
                    "ksyun.kce.pod_eni_ip",
                    {
                        "namespace": namespace,
                        "ip": "10.0.0.239",
                        "pod_name": "gone-0",
                        "subnet_id": SUBNET_6A,
                        "phase": "Bound",
                        "pod_uid": "0b7a5e52-3b52-4c1e-8a55-1f0d2e9f7a11",
                        "node_name": "10.0.0.47",
                    },
                ),
                task(
                    "reserved but assigned elsewhere",
                    "ksyun.kce.pod_eni_ip",
                    {"namespace": namespace, "ip": "10.0.0.238", "pod_name": "moved-0", "subnet_id": SUBNET_6A},
                ),
                task(
                    "its ENI is missing",
                    "ksyun.kce.pod_eni",
                    {
                        "namespace": namespace,
                        "pod_name": "db-0",
                        "ip": "10.0.0.240",
                        "eni_id": "5f2c7a10-ffff-4a6e-9c1b-00000000dead",
                        "subnet_id": SUBNET_6A,
                    },
                ),
                task("audit", "ksyun.kce.fixed_ip_info", {"namespace": namespace}),
                task(
                    "audit one IP without the cloud",
                    "ksyun.kce.fixed_ip_info",
                    {"namespace": namespace, "ip": "10.0.0.239", "include_cloud": False},
                ),
            ]
        )
    finally:
        ksyun.delete_network_interface(taken)
    audit = steps["audit"]
    assert audit.result["drifted"] == 3
    drift = {item["name"]: item["drift"] for item in audit.result["reservations"]}
    assert drift["10.0.0.239"] == [
        "record says Bound but no ENI holds IP 10.0.0.239",
        "record says Bound but pod %s/gone-0 is gone (its release did not run)" % namespace,
    ]
    assert drift["10.0.0.238"] == [
        "record says Reserved but IP 10.0.0.238 is assigned to ENI %s (instance detached)" % taken
    ]
    assert drift["db-0"] == [
        "ENI 5f2c7a10-ffff-4a6e-9c1b-00000000dead of the record is missing from the cloud, so IP 10.0.0.240 is lost"
    ]
    assert audit.reads.get("DescribeNetworkInterfaces") == 1 and audit.reads.get("DescribeSubnets") == 1, audit.reads
    assert audit.writes == WRITES_NONE
    one = steps["audit one IP without the cloud"]
    assert [item["name"] for item in one.result["reservations"]] == ["10.0.0.239"]
    assert one.result["reservations"][0]["cloud"] is None and one.reads == {}


def test_the_cloud_options_of_fixed_ip_info_come_from_the_ksyun_group_defaults(playbook, namespace, emulator_url):
    cloud = {
        "access_key_id": ACCESS_KEY_ID,
        "secret_access_key": SECRET_ACCESS_KEY,
        "region": REGION,
        "endpoint": emulator_url,
    }
    unset = {
        name: None for name in ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_ACCESS_KEY", "KSYUN_REGION", "KSYUN_ENDPOINT")
    }
    steps = playbook(
        [
            task(
                "a record to join with the cloud",
                "ksyun.kce.pod_eni_ip",
                {"namespace": namespace, "ip": "10.0.0.241", "pod_name": "web-0", "subnet_id": SUBNET_6A},
            ),
            task("no credentials at all", "ksyun.kce.fixed_ip_info", {"namespace": namespace}, ignore_errors=True),
            task(
                "credentials from group/ksyun.kce.ksyun",
                "ksyun.kce.fixed_ip_info",
                {"namespace": namespace},
                module_defaults={"group/ksyun.kce.ksyun": cloud},
            ),
        ],
        env=unset,
    )
    assert steps["no credentials at all"].failed and "access_key_id" in steps["no credentials at all"].result["msg"]
    grouped = steps["credentials from group/ksyun.kce.ksyun"]
    assert not grouped.failed and [r["name"] for r in grouped.result["reservations"]] == ["10.0.0.241"], grouped.result
    assert grouped.reads.get("DescribeSubnets") == 1, grouped.reads


def statefulset(namespace, name):
    """The product page's fixed-IP StatefulSet (shared ENI mode), pinned to the reservation's zone."""
    eni_ip = {"ksyun/eni-private-ip": "1"}
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {
            "serviceName": name,
            "replicas": 1,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"ksyun-app": name}},
            "template": {
                "metadata": {
                    "labels": {"ksyun-app": name},
                    "annotations": {
                        "k8s.ksyun.com/pod-eniip": "true",
                        "k8s.ksyun.com/pod-ip-fixed": "true",
                        "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
                    },
                },
                "spec": {
                    "affinity": {
                        "nodeAffinity": {
                            "requiredDuringSchedulingIgnoredDuringExecution": {
                                "nodeSelectorTerms": [
                                    {
                                        "matchExpressions": [
                                            {
                                                "key": "topology.kubernetes.io/zone",
                                                "operator": "In",
                                                "values": [ZONE_6A],
                                            }
                                        ]
                                    }
                                ]
                            }
                        }
                    },
                    "containers": [
                        {
                            "name": "app",
                            "image": "hub.kce.ksyun.com/ksyun/nginx:latest",
                            "resources": {"limits": eni_ip, "requests": eni_ip},
                        }
                    ],
                },
            },
        },
    }


def test_a_statefulset_pod_created_after_its_ip_was_reserved_gets_that_ip(playbook, namespace, dyn, emulator, wait_for):
    reserve = {"namespace": namespace, "pod_name": "sts-0", "zone": ZONE_6A, "ip": "10.0.0.246"}
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    try:
        steps = playbook(
            [
                task("reserve the allow-listed IP", "ksyun.kce.fixed_ip", reserve),
                task(
                    "create the StatefulSet",
                    "kubernetes.core.k8s",
                    {"definition": statefulset(namespace, "sts"), "wait": True, "wait_timeout": 60, "wait_sleep": 1},
                ),
                task(
                    "audit after the pod started",
                    "ksyun.kce.fixed_ip_info",
                    {"namespace": namespace, "pod_name": "sts-0"},
                ),
                task("reserve again once bound", "ksyun.kce.fixed_ip", reserve),
                task(
                    "bind it again",
                    "ksyun.kce.fixed_ip",
                    {"namespace": namespace, "pod_name": "sts-0", "state": "bound"},
                ),
                task(
                    "release the live pod in check mode",
                    "ksyun.kce.fixed_ip",
                    {"namespace": namespace, "pod_name": "sts-0", "state": "released"},
                    check_mode=True,
                ),
            ]
        )
        assert steps["reserve the allow-listed IP"].changed
        assert steps["create the StatefulSet"].result["result"]["status"]["readyReplicas"] == 1
        pod = pods.get(namespace=namespace, name="sts-0").to_dict()
        assert pod["status"]["podIP"] == "10.0.0.246"
        audit = steps["audit after the pod started"].result["reservations"]
        assert len(audit) == 1 and audit[0]["in_sync"], audit
        assert audit[0]["reservation"]["phase"] == "Bound" and audit[0]["pod"]["uid_matches"]
        assert audit[0]["cloud"]["eni"]["instance_id"] and audit[0]["cloud"]["ip_reserved"] is False
        again = steps["reserve again once bound"]
        assert (
            not again.changed and again.writes == WRITES_NONE and "Bound" in again.result["reservations"][0]["reason"]
        )
        rebind = steps["bind it again"]
        assert not rebind.changed and rebind.writes == WRITES_NONE
        assert rebind.result["reservations"][0]["reservation"]["ip"] == "10.0.0.246"
        kept = steps["release the live pod in check mode"]
        assert not kept.changed and "is live and not being deleted" in kept.result["reservations"][0]["reason"]
    finally:
        dyn.resources.get(api_version="apps/v1", kind="StatefulSet").delete(namespace=namespace, name="sts")
        wait_for("pod sts-0 gone", lambda: not pods.get(namespace=namespace).to_dict()["items"])
        wait_for(
            "sts-0's IP released into its reservation",
            lambda: (record(dyn, "PodEniIP", namespace, "10.0.0.246") or {}).get("status", {}).get("phase")
            == "Reserved",
        )
