"""ksyun.kce.eni and ksyun.kce.eni_attachment, run by ansible-playbook against the emulator."""

import pytest
from kce_cloud import (
    ENI_47,
    NODE_6B,
    NODE_47,
    NODE_48,
    NODE_TINY,
    SG,
    SG_PODS,
    SUBNET_6A,
    SUBNET_6B,
    SUBNET_RESERVE,
    UNKNOWN,
    task,
)

pytestmark = pytest.mark.emulator

NAME = "kcefip_demo_ex_shop_db-0"
NEW_ENI = {"name": NAME, "subnet_id": SUBNET_6A, "security_groups": [SG], "private_ip_address": "10.0.0.236"}


def test_an_eni_is_created_attached_renamed_and_deleted_and_every_rerun_changes_nothing(play, cloud):
    eni_id = "{{ created.network_interface.id }}"
    steps = play(
        [
            task("create in check mode", "eni", dict(NEW_ENI, instance_id=NODE_47), check=True),
            task("create", "eni", dict(NEW_ENI, instance_id=NODE_47), register="created"),
            task("create again", "eni", dict(NEW_ENI, instance_id=NODE_47)),
            task("rename in check mode", "eni", {"id": eni_id, "name": "kcefip_demo_ex_shop_db-1"}, check=True),
            task("rename", "eni", {"id": eni_id, "name": "kcefip_demo_ex_shop_db-1"}),
            task("rename again", "eni", {"id": eni_id, "name": "kcefip_demo_ex_shop_db-1"}),
            task("delete while attached", "eni", {"id": eni_id, "state": "absent"}),
            task("delete in check mode", "eni", {"id": eni_id, "state": "absent", "force_detach": True}, check=True),
            task("delete", "eni", {"id": eni_id, "state": "absent", "force_detach": True}),
            task("delete again", "eni", {"id": eni_id, "state": "absent", "force_detach": True}),
        ]
    )
    check = steps["create in check mode"]
    assert check.changed and not check.failed and check.total_writes == 0
    assert (
        check.diff["before"] == {}
        and check.diff["after"]["name"] == NAME
        and check.diff["after"]["instance_id"] == NODE_47
    )
    create = steps["create"]
    assert create.changed and create.writes == {"CreateNetworkInterface": 1, "AttachNetworkInterface": 1}
    created = create.result["network_interface"]
    assert (
        created["instance_id"] == NODE_47
        and created["private_ip_address"] == "10.0.0.236"
        and created["state"] == "in-use"
    )
    assert create.diff["before"] == {} and create.diff["after"]["id"] == created["id"]
    assert steps["create again"].is_noop, steps["create again"]
    assert steps["create again"].result["network_interface"]["id"] == created["id"]
    assert steps["rename in check mode"].changed and steps["rename in check mode"].total_writes == 0
    rename = steps["rename"]
    assert rename.changed and rename.writes == {"ModifyNetworkInterface": 1}
    assert rename.diff["before"]["name"] == NAME and rename.diff["after"]["name"] == "kcefip_demo_ex_shop_db-1"
    assert steps["rename again"].is_noop, steps["rename again"]
    refused = steps["delete while attached"]
    assert refused.failed and NODE_47 in refused.msg and "force_detach" in refused.msg and refused.total_writes == 0
    assert steps["delete in check mode"].changed and steps["delete in check mode"].total_writes == 0
    delete = steps["delete"]
    assert delete.changed and delete.writes == {"DetachNetworkInterface": 1, "DeleteNetworkInterface": 1}
    assert delete.diff["before"]["id"] == created["id"] and delete.diff["after"] == {}
    assert steps["delete again"].is_noop, steps["delete again"]
    assert cloud.eni(created["id"]) is None


def test_bad_input_for_a_new_eni_is_refused_by_name_before_anything_is_created(play, cloud):
    before = set(cloud.enis())
    steps = play(
        [
            task("ip outside the subnet", "eni", dict(NEW_ENI, private_ip_address="10.0.1.10")),
            task("malformed ip", "eni", dict(NEW_ENI, private_ip_address="10.0.0.300")),
            task("gateway ip", "eni", dict(NEW_ENI, private_ip_address="10.0.0.1")),
            task("ip used by a node", "eni", dict(NEW_ENI, private_ip_address="10.0.0.47")),
            task("unknown subnet", "eni", dict(NEW_ENI, subnet_id=UNKNOWN, private_ip_address=None)),
            task("reserve-type subnet", "eni", dict(NEW_ENI, subnet_id=SUBNET_RESERVE, private_ip_address=None)),
            task("unknown security group", "eni", dict(NEW_ENI, security_groups=[UNKNOWN])),
            task("no security group", "eni", dict(NEW_ENI, security_groups=[])),
            task("unknown instance", "eni", dict(NEW_ENI, instance_id=UNKNOWN)),
            task(
                "subnet in another zone than the instance",
                "eni",
                dict(NEW_ENI, subnet_id=SUBNET_6B, private_ip_address=None, instance_id=NODE_47),
            ),
            task("name without subnet", "eni", {"name": NAME}),
        ]
    )
    expected = {
        "ip outside the subnet": ["10.0.1.10", "10.0.0.0/24"],
        "malformed ip": ["10.0.0.300", "IPv4"],
        "gateway ip": ["10.0.0.1", "gateway"],
        "ip used by a node": ["10.0.0.47", ENI_47],
        "unknown subnet": [UNKNOWN, "subnet"],
        "reserve-type subnet": [SUBNET_RESERVE, "Normal"],
        "unknown security group": [UNKNOWN, "security_groups"],
        "no security group": ["security_groups", "at least one"],
        "unknown instance": [UNKNOWN, "instance_id"],
        "subnet in another zone than the instance": ["cn-beijing-6b", "cn-beijing-6a", NODE_47],
        "name without subnet": ["subnet_id"],
    }
    for name, words in expected.items():
        step = steps[name]
        assert step.failed, step
        assert all(word in step.msg for word in words), step
        assert step.total_writes == 0, step
    assert set(cloud.enis()) == before


def test_a_full_eni_quota_refuses_the_next_eni_before_it_is_created_and_a_cloud_refusal_leaves_no_eni_behind(
    play, cloud
):
    on_tiny = {"subnet_id": SUBNET_6A, "security_groups": [SG], "instance_id": NODE_TINY}
    steps = play(
        [
            task("first extra eni on the tiny node", "eni", dict(on_tiny, name="tiny-1")),
            task("second extra eni on the tiny node", "eni", dict(on_tiny, name="tiny-2")),
            task(
                "second extra eni left to the cloud's quota check",
                "eni",
                dict(on_tiny, name="tiny-2", check_quotas=False),
            ),
        ]
    )
    assert steps["first extra eni on the tiny node"].changed
    refused = steps["second extra eni on the tiny node"]
    assert refused.failed and NODE_TINY in refused.msg and "2 of 2" in refused.msg and refused.total_writes == 0
    by_cloud = steps["second extra eni left to the cloud's quota check"]
    assert by_cloud.failed and "QuotaExceeded.NetworkInterface" in by_cloud.msg and "deleted again" in by_cloud.msg
    assert by_cloud.writes == {"CreateNetworkInterface": 1, "AttachNetworkInterface": 1, "DeleteNetworkInterface": 1}
    assert cloud.eni_named("tiny-2") is None


def test_a_new_eni_that_cannot_be_attached_is_deleted_again_and_the_error_says_so(play, emu, cloud):
    emu.faults.configure(
        {
            "fail_nth": [
                {
                    "nth": 1,
                    "action": "AttachNetworkInterface",
                    "status": 400,
                    "code": "OperationDenied",
                    "message": "injected attach refusal",
                }
            ]
        }
    )
    steps = play([task("create and attach", "eni", dict(NEW_ENI, instance_id=NODE_47))])
    step = steps["create and attach"]
    assert step.failed and "injected attach refusal" in step.msg and "deleted again" in step.msg
    assert step.writes == {"CreateNetworkInterface": 1, "AttachNetworkInterface": 1, "DeleteNetworkInterface": 1}
    assert cloud.eni_named(NAME) is None and cloud.holder("10.0.0.236") is None


def test_the_primary_ip_of_an_existing_eni_is_not_silently_ignored_nor_the_groups_of_a_detached_one(play):
    steps = play(
        [
            task("create", "eni", NEW_ENI),
            task("other primary ip", "eni", dict(NEW_ENI, private_ip_address="10.0.0.237")),
            task("other security group while detached", "eni", dict(NEW_ENI, security_groups=[SG_PODS])),
        ]
    )
    assert steps["create"].changed
    for name, value in (("other primary ip", "10.0.0.237"), ("other security group while detached", SG_PODS)):
        assert steps[name].failed and value in steps[name].msg and steps[name].total_writes == 0
    assert "instance_id" in steps["other security group while detached"].msg


def test_the_security_groups_of_an_attached_eni_change_in_place_with_check_and_diff_and_a_rerun_changes_nothing(
    play, cloud
):
    attached = dict(NEW_ENI, instance_id=NODE_47)
    both = dict(attached, security_groups=[SG, SG_PODS])
    steps = play(
        [
            task("create", "eni", attached, register="created"),
            task("add a group in check mode", "eni", both, check=True),
            task("add a group", "eni", both),
            task("add it again", "eni", dict(both, security_groups=[SG_PODS, SG])),
            task("unknown group", "eni", dict(attached, security_groups=[SG, UNKNOWN])),
            task("no group", "eni", dict(attached, security_groups=[])),
            task("only the new group", "eni", dict(attached, security_groups=[SG_PODS])),
        ]
    )
    eni_id = steps["create"].result["network_interface"]["id"]
    check = steps["add a group in check mode"]
    assert check.changed and check.total_writes == 0
    assert check.diff["before"]["security_groups"] == [SG] and check.diff["after"]["security_groups"] == [SG, SG_PODS]
    change = steps["add a group"]
    assert change.changed and change.writes == {"ModifyNetworkInterfaceAttribute": 1}
    assert change.result["network_interface"]["security_groups"] == [SG, SG_PODS]
    assert steps["add it again"].is_noop, steps["add it again"]
    for name, value in (("unknown group", UNKNOWN), ("no group", "at least one")):
        assert steps[name].failed and value in steps[name].msg and steps[name].total_writes == 0
    assert steps["only the new group"].writes == {"ModifyNetworkInterfaceAttribute": 1}
    assert cloud.eni(eni_id)["security_group_ids"] == [SG_PODS]
    assert cloud.eni(eni_id)["primary_ip"] == "10.0.0.236" and cloud.eni(eni_id)["instance_id"] == NODE_47


def test_an_eni_is_attached_moved_between_instances_in_one_task_and_detached(play, cloud):
    eni_id = "{{ created.network_interface.id }}"
    steps = play(
        [
            task(
                "create detached",
                "eni",
                {"name": NAME, "subnet_id": SUBNET_6A, "security_groups": [SG]},
                register="created",
            ),
            task("attach in check mode", "eni_attachment", {"id": eni_id, "instance_id": NODE_47}, check=True),
            task("attach", "eni_attachment", {"id": eni_id, "instance_id": NODE_47}),
            task("attach again", "eni_attachment", {"id": eni_id, "instance_id": NODE_47}),
            task("move in check mode", "eni_attachment", {"id": eni_id, "instance_id": NODE_48}, check=True),
            task("move", "eni_attachment", {"id": eni_id, "instance_id": NODE_48}),
            task("move to another zone", "eni_attachment", {"id": eni_id, "instance_id": NODE_6B}),
            task("move to an unknown instance", "eni_attachment", {"id": eni_id, "instance_id": UNKNOWN}),
            task(
                "detach from another instance",
                "eni_attachment",
                {"id": eni_id, "instance_id": NODE_47, "state": "absent"},
            ),
            task("detach", "eni_attachment", {"id": eni_id, "state": "absent"}),
            task("detach again", "eni_attachment", {"id": eni_id, "state": "absent"}),
        ]
    )
    eni = steps["create detached"].result["network_interface"]["id"]
    check = steps["attach in check mode"]
    assert check.changed and check.total_writes == 0 and check.diff["after"]["instance_id"] == NODE_47
    attach = steps["attach"]
    assert attach.changed and attach.writes == {"AttachNetworkInterface": 1}
    assert attach.diff == {
        "before": {"network_interface_id": eni, "instance_id": None},
        "after": {"network_interface_id": eni, "instance_id": NODE_47},
    }
    assert steps["attach again"].is_noop, steps["attach again"]
    assert steps["move in check mode"].changed and steps["move in check mode"].total_writes == 0
    move = steps["move"]
    assert move.changed and move.writes == {"DetachNetworkInterface": 1, "AttachNetworkInterface": 1}
    assert move.result["previous_instance_id"] == NODE_47 and move.result["network_interface"]["instance_id"] == NODE_48
    zone = steps["move to another zone"]
    assert zone.failed and "cn-beijing-6b" in zone.msg and NODE_6B in zone.msg and zone.total_writes == 0
    unknown = steps["move to an unknown instance"]
    assert unknown.failed and UNKNOWN in unknown.msg and unknown.total_writes == 0
    assert steps["detach from another instance"].is_noop, steps["detach from another instance"]
    detach = steps["detach"]
    assert (
        detach.changed
        and detach.writes == {"DetachNetworkInterface": 1}
        and detach.result["previous_instance_id"] == NODE_48
    )
    assert steps["detach again"].is_noop, steps["detach again"]
    assert cloud.eni(eni)["instance_id"] is None and cloud.eni(eni)["state"] == "available"


def test_a_move_whose_attachment_fails_puts_the_eni_back_on_its_instance(play, emu, cloud):
    emu.faults.configure(
        {
            "fail_nth": [
                {
                    "nth": 2,
                    "action": "AttachNetworkInterface",
                    "status": 400,
                    "code": "OperationDenied",
                    "message": "injected attach refusal",
                }
            ]
        }
    )
    steps = play(
        [
            task("create on node 47", "eni", dict(NEW_ENI, instance_id=NODE_47), register="created"),
            task(
                "move to node 48",
                "eni_attachment",
                {"id": "{{ created.network_interface.id }}", "instance_id": NODE_48},
            ),
        ]
    )
    move = steps["move to node 48"]
    eni = steps["create on node 47"].result["network_interface"]["id"]
    assert move.failed and "attached back to %s" % NODE_47 in move.msg and "injected attach refusal" in move.msg
    assert move.writes == {"DetachNetworkInterface": 1, "AttachNetworkInterface": 2}
    assert cloud.eni(eni)["instance_id"] == NODE_47


def test_a_move_to_an_instance_whose_eni_quota_is_full_is_refused_before_the_detach(play, cloud):
    steps = play(
        [
            task(
                "fill the tiny node",
                "eni",
                {"name": "tiny-1", "subnet_id": SUBNET_6A, "security_groups": [SG], "instance_id": NODE_TINY},
            ),
            task("create on node 47", "eni", dict(NEW_ENI, instance_id=NODE_47), register="created"),
            task(
                "move to the tiny node",
                "eni_attachment",
                {"id": "{{ created.network_interface.id }}", "instance_id": NODE_TINY},
            ),
        ]
    )
    move = steps["move to the tiny node"]
    assert move.failed and NODE_TINY in move.msg and "network interfaces" in move.msg and move.total_writes == 0
    assert cloud.eni(steps["create on node 47"].result["network_interface"]["id"])["instance_id"] == NODE_47
