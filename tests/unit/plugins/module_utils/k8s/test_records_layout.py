# -*- coding: utf-8 -*-
"""How a record is laid out in the cluster: a VpcIP has a spec of its own (pod {namespace, name, uid}, node) and a
status of only its phase, and reads back as the Reservation it was written from; a PodEniIP keeps its layout."""

from __future__ import annotations

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.records import (
    flat_record,
    merge_patch,
    split,
    vpc_ip_reservation,
)

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
ENI = "5f2c7a10-0006-4a6e-9c1b-000000000001"


def vpc_ip(**changes):
    fields = dict(
        namespace="shop",
        pod_name="web-7d9f-x2x",
        mode=Mode.SHARED,
        pod_uid="6f1c8a3e-0d7b-4a52-9a51-3b7f2e1d9c10",
        fixed=False,
        ip="10.0.0.31",
        subnet_id=SUBNET,
        zone="cn-beijing-6a",
        eni_id=ENI,
        mac="fa:16:3e:00:00:01",
        instance_id="i-47",
        node_name="10.0.0.47",
        phase=Phase.BOUND,
        vpc_ip=True,
    )
    fields.update(changes)
    return Reservation(**fields)


def test_a_vpcip_is_written_with_its_pod_nested_and_only_its_phase_in_status():
    spec, status = split(vpc_ip())
    assert spec == {
        "ip": "10.0.0.31",
        "subnetId": SUBNET,
        "zone": "cn-beijing-6a",
        "eniId": ENI,
        "mac": "fa:16:3e:00:00:01",
        "node": "10.0.0.47",
        "instanceId": "i-47",
        "pod": {"namespace": "shop", "name": "web-7d9f-x2x", "uid": "6f1c8a3e-0d7b-4a52-9a51-3b7f2e1d9c10"},
    }
    assert status == {"phase": "Bound"}


def test_a_vpcip_reads_back_as_the_reservation_it_was_written_from():
    for record in (vpc_ip(), vpc_ip(eni_id="", mac="", phase=Phase.BINDING)):
        spec, status = split(record)
        obj = {"kind": "VpcIP", "metadata": {"name": record.ip, "namespace": "shop"}, "spec": spec, "status": status}
        assert vpc_ip_reservation(obj) == record
        assert "eniId" not in spec or record.eni_id, "an empty ENI is left out, so the schema's pattern holds"


def test_a_vpcip_created_before_its_status_was_written_reads_as_binding():
    spec, _status = split(vpc_ip(eni_id="", mac="", phase=Phase.BINDING))
    read = vpc_ip_reservation({"kind": "VpcIP", "metadata": {"namespace": "shop"}, "spec": spec})
    assert read.phase is Phase.BINDING and read.kind == "VpcIP"


def test_moving_a_vpcip_to_another_pod_and_node_patches_the_whole_pod_and_drops_the_old_eni():
    before, _status = split(vpc_ip())
    after, _status = split(vpc_ip(pod_uid="uid-2", node_name="10.0.0.48", instance_id="i-48", eni_id="", mac=""))
    patch = merge_patch(after, before)
    assert patch == {
        "node": "10.0.0.48",
        "instanceId": "i-48",
        "pod": {"namespace": "shop", "name": "web-7d9f-x2x", "uid": "uid-2"},
        "eniId": None,
        "mac": None,
    }


def test_a_podeniip_keeps_its_layout():
    record = Reservation(
        "shop", "db-0", Mode.SHARED, pod_uid="u", ip="10.0.0.236", subnet_id=SUBNET, node_name="10.0.0.47"
    )
    spec, status = split(record)
    assert "podName" in spec and "pod" not in spec and status == {"phase": "Binding", "nodeName": "10.0.0.47"}
    assert Reservation.from_dict(flat_record({"metadata": {"namespace": "shop"}, "spec": spec, "status": status})) == (
        record
    )
