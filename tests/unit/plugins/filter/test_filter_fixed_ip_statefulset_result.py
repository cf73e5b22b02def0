"""ksyun.kce.fixed_ip_statefulset_result: each pod of a fixed-IP StatefulSet runs with the IP its record keeps (and the
pinned one); the result is ordinal -> IP, with the ENI in exclusive mode."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.filter.fixed_ip_statefulset_result import (
    FilterModule,
    fixed_ip_statefulset_result,
)

STS = {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 2}}


def info(pod_name, ip, kind="PodEniIP", eni="", pod_ip=None, exists=True, uid_matches=True, drift=(), namespace="shop"):
    """One entry of ksyun.kce.fixed_ip_info's reservations."""
    return {
        "kind": kind,
        "namespace": namespace,
        "name": ip if kind == "PodEniIP" else pod_name,
        "reservation": {"podName": pod_name, "ip": ip, "eniId": eni, "podUID": "u-" + pod_name, "phase": "Bound"},
        "pod": {
            "exists": exists,
            "uid": "u-" + pod_name if uid_matches else "other",
            "uid_matches": uid_matches,
            "pod_ip": ip if pod_ip is None else pod_ip,
            "node_name": "10.0.0.47",
        },
        "drift": list(drift),
        "in_sync": not drift,
    }


def refused(reservations, mode="shared", ips=None):
    with pytest.raises(AnsibleFilterError) as err:
        fixed_ip_statefulset_result(reservations, STS, mode, ips)
    return str(err.value)


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"fixed_ip_statefulset_result": fixed_ip_statefulset_result}


def test_shared_mode_lists_ordinal_pod_and_ip_in_order_and_marks_the_pinned_ones():
    reservations = [info("web-1", "10.0.0.31"), info("web-0", "10.0.0.20"), info("other-0", "10.0.0.9")]
    assert fixed_ip_statefulset_result(reservations, STS, "shared", ["10.0.0.20"]) == [
        {
            "ordinal": 0,
            "pod": "web-0",
            "ip": "10.0.0.20",
            "node": "10.0.0.47",
            "record": "PodEniIP shop/10.0.0.20",
            "pinned": True,
        },
        {
            "ordinal": 1,
            "pod": "web-1",
            "ip": "10.0.0.31",
            "node": "10.0.0.47",
            "record": "PodEniIP shop/10.0.0.31",
            "pinned": False,
        },
    ]


def test_exclusive_mode_adds_each_pods_eni():
    reservations = [info("web-%d" % i, "10.0.0.4%d" % i, kind="PodEni", eni="eni-%d" % i) for i in range(2)]
    result = fixed_ip_statefulset_result(reservations, STS, "exclusive")
    assert [(item["ip"], item["eni_id"], item["record"]) for item in result] == [
        ("10.0.0.40", "eni-0", "PodEni shop/web-0"),
        ("10.0.0.41", "eni-1", "PodEni shop/web-1"),
    ]


def test_a_pod_without_a_record_of_its_mode_is_reported():
    msg = refused([info("web-0", "10.0.0.20"), info("web-1", "10.0.0.31", kind="PodEni")])
    assert "ordinal 1: no PodEniIP record names pod shop/web-1" in msg
    assert "ordinal 0" not in msg


def test_a_record_of_another_namespace_does_not_count():
    msg = refused([info("web-0", "10.0.0.20"), info("web-1", "10.0.0.31", namespace="default")])
    assert "ordinal 1: no PodEniIP record names pod shop/web-1" in msg


def test_a_pod_running_with_another_ip_than_its_record_is_reported():
    msg = refused([info("web-0", "10.0.0.20", pod_ip="10.0.0.99"), info("web-1", "10.0.0.31")])
    assert "pod web-0 has IP '10.0.0.99' but PodEniIP shop/10.0.0.20 keeps '10.0.0.20'" in msg


def test_a_pod_that_got_another_ip_than_the_pinned_one_is_reported():
    msg = refused([info("web-0", "10.0.0.20"), info("web-1", "10.0.0.31")], ips=["10.0.0.20", "10.0.0.21"])
    assert "ordinal 1: PodEniIP shop/10.0.0.31 keeps '10.0.0.31' but 10.0.0.21 was pinned to ordinal 1" in msg


def test_a_missing_pod_a_replaced_pod_and_drift_are_all_reported_together():
    msg = refused(
        [
            info("web-0", "10.0.0.20", exists=False),
            info("web-1", "10.0.0.31", uid_matches=False, drift=["IP is not reserved in its subnet"]),
        ]
    )
    assert "ordinal 0: pod shop/web-0 does not exist" in msg
    assert "ordinal 1: PodEniIP shop/10.0.0.31: IP is not reserved in its subnet" in msg
    assert "ordinal 1: PodEniIP shop/10.0.0.31 names pod uid 'u-web-1', not the running pod 'other'" in msg


def test_two_records_for_one_pod_are_reported():
    msg = refused([info("web-0", "10.0.0.20"), info("web-0", "10.0.0.21"), info("web-1", "10.0.0.31")])
    assert "ordinal 0: 2 PodEniIP records name pod shop/web-0 (10.0.0.20, 10.0.0.21)" in msg


def test_a_statefulset_scaled_to_zero_has_no_pods_to_check():
    assert (
        fixed_ip_statefulset_result(
            [], {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 0}}, "shared"
        )
        == []
    )


def with_eip(entry, eip_id, public_ip="198.51.100.7"):
    entry["reservation"]["eipId"] = eip_id
    entry["cloud"] = {"eip": {"allocation_id": eip_id, "public_ip": public_ip} if public_ip else None}
    return entry


def test_a_record_with_an_eip_lists_its_allocation_id_and_public_ip():
    reservations = [with_eip(info("web-0", "10.0.0.20"), "eip-0"), info("web-1", "10.0.0.31")]
    first, second = fixed_ip_statefulset_result(reservations, STS, "shared", eip_ids=["eip-0"])
    assert (first["eip_id"], first["public_ip"]) == ("eip-0", "198.51.100.7")
    assert "eip_id" not in second and "public_ip" not in second


def test_an_ordinal_that_carries_another_eip_than_given_is_refused_and_an_empty_entry_skips_one():
    reservations = [with_eip(info("web-0", "10.0.0.20"), "eip-9"), info("web-1", "10.0.0.31")]
    with pytest.raises(AnsibleFilterError) as err:
        fixed_ip_statefulset_result(reservations, STS, "shared", eip_ids=["eip-0"])
    assert "ordinal 0: PodEniIP shop/10.0.0.20 carries elastic IP 'eip-9' but eip-0 was given for ordinal 0" in str(
        err.value
    )
    with pytest.raises(AnsibleFilterError) as err:
        fixed_ip_statefulset_result(reservations, STS, "shared", eip_ids=["", "eip-1"])
    assert "ordinal 1: PodEniIP shop/10.0.0.31 carries elastic IP '' but eip-1 was given" in str(err.value)
    assert len(fixed_ip_statefulset_result(reservations, STS, "shared", eip_ids=["", ""])) == 2


def test_an_eip_gone_from_the_cloud_lists_no_public_ip():
    [entry] = fixed_ip_statefulset_result(
        [with_eip(info("web-0", "10.0.0.20"), "eip-0", public_ip=None)],
        {"metadata": {"name": "web", "namespace": "shop"}, "spec": {"replicas": 1}},
        "shared",
    )
    assert entry["eip_id"] == "eip-0" and entry["public_ip"] is None
