"""ksyun.kce.eni_private_ip: secondary IPs by name and by count, and reserved IPs that are never left free."""

import pytest
from kce_cloud import ENI_47, ENI_48, ENI_TINY, NODE_TINY, SG, SUBNET_6A, SUBNET_SMALL, UNKNOWN, emulator_task, task

pytestmark = pytest.mark.emulator

POD_IP = "10.0.0.236"
INJECTED = {"status": 400, "code": "OperationDenied", "message": "injected refusal"}


def ips(eni_id, addresses, **extra):
    return dict({"network_interface_id": eni_id, "private_ip_addresses": addresses}, **extra)


def test_secondary_ips_are_assigned_by_name_purged_and_unassigned_and_every_rerun_changes_nothing(play, cloud):
    steps = play(
        [
            task("assign in check mode", "eni_private_ip", ips(ENI_47, ["10.0.0.236", "10.0.0.237"]), check=True),
            task("assign", "eni_private_ip", ips(ENI_47, ["10.0.0.236", "10.0.0.237"])),
            task("assign again", "eni_private_ip", ips(ENI_47, ["10.0.0.236", "10.0.0.237"])),
            task("purge to another list", "eni_private_ip", ips(ENI_47, ["10.0.0.237", "10.0.0.238"], purge=True)),
            task("unassign", "eni_private_ip", ips(ENI_47, ["10.0.0.238"], state="absent")),
            task("unassign again", "eni_private_ip", ips(ENI_47, ["10.0.0.238"], state="absent")),
        ]
    )
    check = steps["assign in check mode"]
    assert check.changed and check.total_writes == 0
    assert check.diff["before"]["secondary_private_ip_addresses"] == []
    assert check.diff["after"]["secondary_private_ip_addresses"] == ["10.0.0.236", "10.0.0.237"]
    assign = steps["assign"]
    assert (
        assign.changed
        and assign.writes == {"AssignPrivateIpAddress": 1}
        and assign.result["assigned"] == ["10.0.0.236", "10.0.0.237"]
    )
    assert assign.diff["after"]["secondary_private_ip_addresses"] == ["10.0.0.236", "10.0.0.237"]
    assert steps["assign again"].is_noop, steps["assign again"]
    purge = steps["purge to another list"]
    assert purge.changed and purge.writes == {"UnassignPrivateIpAddress": 1, "AssignPrivateIpAddress": 1}
    assert purge.result["unassigned"] == ["10.0.0.236"] and purge.result["assigned"] == ["10.0.0.238"]
    unassign = steps["unassign"]
    assert unassign.changed and unassign.writes == {"UnassignPrivateIpAddress": 1}
    assert unassign.diff["before"]["secondary_private_ip_addresses"] == ["10.0.0.237", "10.0.0.238"]
    assert unassign.diff["after"]["secondary_private_ip_addresses"] == ["10.0.0.237"]
    assert steps["unassign again"].is_noop, steps["unassign again"]
    assert cloud.eni(ENI_47)["secondary_ips"] == ["10.0.0.237"]


def test_a_count_is_filled_with_random_ips_and_purge_trims_the_surplus(play, cloud):
    steps = play(
        [
            task("three in check mode", "eni_private_ip", {"id": ENI_47, "count": 3}, check=True),
            task("three", "eni_private_ip", {"id": ENI_47, "count": 3}),
            task("three again", "eni_private_ip", {"id": ENI_47, "count": 3}),
            task("one without purge", "eni_private_ip", {"id": ENI_47, "count": 1}),
            task("one with purge", "eni_private_ip", {"id": ENI_47, "count": 1, "purge": True}),
        ]
    )
    check = steps["three in check mode"]
    assert check.changed and check.total_writes == 0 and len(check.diff["after"]["secondary_private_ip_addresses"]) == 3
    three = steps["three"]
    assert three.changed and three.writes == {"AssignPrivateIpAddress": 1} and len(three.result["assigned"]) == 3
    assert steps["three again"].is_noop, steps["three again"]
    assert steps["one without purge"].is_noop, steps["one without purge"]
    trim = steps["one with purge"]
    assert trim.changed and trim.writes == {"UnassignPrivateIpAddress": 1} and len(trim.result["unassigned"]) == 2
    assert cloud.eni(ENI_47)["secondary_ips"] == three.result["assigned"][:1]


def test_a_pod_ip_released_into_a_reservation_and_moved_to_another_node_keeps_its_address(play, cloud):
    steps = play(
        [
            task("assign on node 47", "eni_private_ip", ips(ENI_47, [POD_IP])),
            task(
                "release into a reservation in check mode",
                "eni_private_ip",
                ips(ENI_47, [POD_IP], state="absent", reserved=True),
                check=True,
            ),
            task("release into a reservation", "eni_private_ip", ips(ENI_47, [POD_IP], state="absent", reserved=True)),
            task("release again", "eni_private_ip", ips(ENI_47, [POD_IP], state="absent", reserved=True)),
            task("subnet lists the reservation", "subnet_info", {"subnet_ids": [SUBNET_6A]}),
            task(
                "move onto node 48 in check mode", "eni_private_ip", ips(ENI_48, [POD_IP], reserved=False), check=True
            ),
            task("move onto node 48", "eni_private_ip", ips(ENI_48, [POD_IP], reserved=False)),
            task("move again", "eni_private_ip", ips(ENI_48, [POD_IP], reserved=False)),
        ]
    )
    assert (
        steps["release into a reservation in check mode"].changed
        and steps["release into a reservation in check mode"].total_writes == 0
    )
    release = steps["release into a reservation"]
    # By default the cloud cannot mark an assigned IP (cloud_behaviour, like the emulator): unassign, then mark right after.
    assert not release.failed and release.changed
    assert release.writes == {"ModifyPrivateIpAddressAttribute": 1, "UnassignPrivateIpAddress": 1}
    assert release.result["reserved"] == [POD_IP] and release.result["unassigned"] == [POD_IP]
    assert release.diff["before"]["reserved_addresses"] == [] and release.diff["after"]["reserved_addresses"] == [
        POD_IP
    ]
    assert steps["release again"].is_noop, steps["release again"]
    subnet = steps["subnet lists the reservation"].result["subnets"][0]
    assert subnet["reserved_addresses"] == [POD_IP] and POD_IP not in subnet["available_addresses"]
    check = steps["move onto node 48 in check mode"]
    assert check.changed and check.total_writes == 0
    assert check.diff["before"]["reserved_addresses"] == [POD_IP] and check.diff["after"]["reserved_addresses"] == []
    assert check.diff["after"]["secondary_private_ip_addresses"] == [POD_IP]
    move = steps["move onto node 48"]
    assert move.changed and move.writes == {"AssignPrivateIpAddress": 1, "ModifyPrivateIpAddressAttribute": 1}
    assert move.result["assigned"] == [POD_IP] and move.result["released"] == [POD_IP]
    assert steps["move again"].is_noop, steps["move again"]
    assert cloud.holder(POD_IP) == ENI_48 and not cloud.is_reserved(SUBNET_6A, POD_IP)


def test_a_move_assigns_the_reserved_ip_before_releasing_it_so_a_failed_release_leaves_it_assigned_and_reserved(
    play, cloud
):
    steps = play(
        [
            task(
                "reserve the pod ip",
                "eni_private_ip",
                {"subnet_id": SUBNET_6A, "private_ip_addresses": [POD_IP], "reserved": True},
            ),
            emulator_task(
                "refuse the next reservation change",
                "faults",
                {"fail_nth": [dict(INJECTED, nth=1, action="ModifyPrivateIpAddressAttribute")]},
            ),
            task("move onto node 48", "eni_private_ip", ips(ENI_48, [POD_IP], reserved=False)),
        ]
    )
    assert steps["reserve the pod ip"].writes == {"ModifyPrivateIpAddressAttribute": 1}
    move = steps["move onto node 48"]
    assert move.failed and POD_IP in move.msg and "still reserved" in move.msg
    assert move.writes == {"AssignPrivateIpAddress": 1, "ModifyPrivateIpAddressAttribute": 1}
    assert cloud.holder(POD_IP) == ENI_48 and cloud.is_reserved(SUBNET_6A, POD_IP)


def test_when_the_cloud_refuses_to_assign_a_reserved_ip_the_move_releases_first_and_restores_the_reservation_on_failure(
    play, emu, cloud
):
    emu.settings.update({"explicit_assign_takes_specific": False})
    refuses = {"cloud_behaviour": {"assign_specific_ip": False}}
    steps = play(
        [
            task(
                "reserve two ips",
                "eni_private_ip",
                {"subnet_id": SUBNET_6A, "private_ip_addresses": [POD_IP, "10.0.0.240"], "reserved": True},
            ),
            task("move the first onto node 48", "eni_private_ip", ips(ENI_48, [POD_IP], reserved=False, **refuses)),
            emulator_task(
                "refuse the next assignment",
                "faults",
                {"fail_nth": [dict(INJECTED, nth=1, action="AssignPrivateIpAddress")]},
            ),
            task(
                "move the second onto node 48", "eni_private_ip", ips(ENI_48, ["10.0.0.240"], reserved=False, **refuses)
            ),
            task("assign a reserved ip without saying so", "eni_private_ip", ips(ENI_47, ["10.0.0.240"], **refuses)),
        ]
    )
    assert steps["reserve two ips"].writes == {"ModifyPrivateIpAddressAttribute": 2}
    first = steps["move the first onto node 48"]
    assert (
        not first.failed
        and first.changed
        and first.writes == {"AssignPrivateIpAddress": 1, "ModifyPrivateIpAddressAttribute": 1}
    )
    assert first.result["actions"][0].startswith("unreserve IP %s" % POD_IP), "released first, then assigned at once"
    assert cloud.holder(POD_IP) == ENI_48 and not cloud.is_reserved(SUBNET_6A, POD_IP)
    second = steps["move the second onto node 48"]
    assert second.failed and "10.0.0.240" in second.msg and "reservation of 10.0.0.240 was restored" in second.msg
    assert second.writes == {"AssignPrivateIpAddress": 1, "ModifyPrivateIpAddressAttribute": 2}
    hint = steps["assign a reserved ip without saying so"]
    assert hint.failed and "10.0.0.240" in hint.msg and "reserved=false" in hint.msg and hint.total_writes == 0
    assert cloud.holder("10.0.0.240") is None and cloud.is_reserved(SUBNET_6A, "10.0.0.240")


def test_when_the_cloud_may_mark_an_assigned_ip_the_release_reserves_before_it_unassigns(play, emu, cloud):
    emu.settings.update({"allow_specific_on_assigned_ip": True})
    steps = play(
        [
            task("assign on node 47", "eni_private_ip", ips(ENI_47, [POD_IP])),
            task(
                "release into a reservation",
                "eni_private_ip",
                ips(ENI_47, [POD_IP], state="absent", reserved=True, cloud_behaviour={"reserve_assigned_ip": True}),
            ),
        ]
    )
    release = steps["release into a reservation"]
    assert not release.failed and release.writes == {
        "ModifyPrivateIpAddressAttribute": 1,
        "UnassignPrivateIpAddress": 1,
    }
    assert release.result["actions"][0].startswith("reserve IP %s" % POD_IP), "reserved before it is unassigned"
    assert cloud.holder(POD_IP) is None and cloud.is_reserved(SUBNET_6A, POD_IP)


def test_an_ip_assigned_with_reserved_true_stays_reserved_after_it_is_unassigned(play, cloud):
    steps = play(
        [
            task("assign and keep reserved", "eni_private_ip", ips(ENI_47, [POD_IP], reserved=True)),
            task("assign and keep reserved again", "eni_private_ip", ips(ENI_47, [POD_IP], reserved=True)),
            task("plain unassign", "eni_private_ip", ips(ENI_47, [POD_IP], state="absent")),
        ]
    )
    assert steps["assign and keep reserved"].writes == {
        "ModifyPrivateIpAddressAttribute": 1,
        "AssignPrivateIpAddress": 1,
    }
    assert steps["assign and keep reserved again"].total_writes == 0
    assert steps["plain unassign"].writes == {"UnassignPrivateIpAddress": 1}
    assert cloud.holder(POD_IP) is None and cloud.is_reserved(SUBNET_6A, POD_IP)


def test_free_subnet_ips_are_reserved_and_released_without_an_eni(play, cloud):
    reserve = {"subnet_id": SUBNET_6A, "private_ip_addresses": ["10.0.0.240"], "reserved": True}
    release = dict(reserve, reserved=False)
    steps = play(
        [
            task("reserve in check mode", "eni_private_ip", reserve, check=True),
            task("reserve", "eni_private_ip", reserve),
            task("reserve again", "eni_private_ip", reserve),
            task("release", "eni_private_ip", release),
            task("release again", "eni_private_ip", release),
            task("reserve an ip a node holds", "eni_private_ip", dict(reserve, private_ip_addresses=["10.0.0.48"])),
        ]
    )
    assert steps["reserve in check mode"].changed and steps["reserve in check mode"].total_writes == 0
    assert steps["reserve"].changed and steps["reserve"].writes == {"ModifyPrivateIpAddressAttribute": 1}
    assert steps["reserve"].diff["after"]["reserved_addresses"] == ["10.0.0.240"]
    assert steps["reserve again"].is_noop, steps["reserve again"]
    assert steps["release"].changed and steps["release"].writes == {"ModifyPrivateIpAddressAttribute": 1}
    assert steps["release again"].is_noop, steps["release again"]
    held = steps["reserve an ip a node holds"]
    assert held.failed and "10.0.0.48" in held.msg and ENI_48 in held.msg and held.total_writes == 0
    assert not cloud.is_reserved(SUBNET_6A, "10.0.0.240")


def test_bad_ip_input_is_refused_with_the_value_named_before_any_change(play, cloud):
    steps = play(
        [
            task("ip outside the subnet", "eni_private_ip", ips(ENI_47, ["10.0.1.5"])),
            task("malformed ip", "eni_private_ip", ips(ENI_47, ["10.0.0.x"])),
            task("ip list and count", "eni_private_ip", ips(ENI_47, [POD_IP], count=2)),
            task("ip held by another eni", "eni_private_ip", ips(ENI_47, ["10.0.0.48"])),
            task("primary ip of the eni", "eni_private_ip", ips(ENI_47, ["10.0.0.47"])),
            task("platform address", "eni_private_ip", ips(ENI_47, ["10.0.0.2"])),
            task("unknown eni", "eni_private_ip", ips(UNKNOWN, [POD_IP])),
            task("ip quota exceeded", "eni_private_ip", ips(ENI_TINY, ["10.0.0.240", "10.0.0.241", "10.0.0.242"])),
            task(
                "eni in the small subnet",
                "eni",
                {"name": "small", "subnet_id": SUBNET_SMALL, "security_groups": [SG]},
                register="small",
            ),
            task(
                "count beyond the free addresses",
                "eni_private_ip",
                {"id": "{{ small.network_interface.id }}", "count": 20},
            ),
            task("absent without ips", "eni_private_ip", {"id": ENI_47, "state": "absent"}),
        ]
    )
    expected = {
        "ip outside the subnet": ["10.0.1.5", "10.0.0.0/24"],
        "malformed ip": ["10.0.0.x", "IPv4"],
        "ip list and count": ["mutually exclusive", "private_ip_addresses|count"],
        "ip held by another eni": ["10.0.0.48", ENI_48],
        "primary ip of the eni": ["10.0.0.47", "primary"],
        "platform address": ["10.0.0.2", "assignable range"],
        "unknown eni": [UNKNOWN],
        "ip quota exceeded": [ENI_TINY, NODE_TINY, "allows 3"],
        "count beyond the free addresses": [SUBNET_SMALL, "count"],
        "absent without ips": ["private_ip_addresses"],
    }
    for name, words in expected.items():
        step = steps[name]
        assert step.failed, step
        assert all(word in step.msg for word in words), step
        assert step.total_writes == 0, step
    assert cloud.eni(ENI_47)["secondary_ips"] == [] and cloud.eni(ENI_TINY)["secondary_ips"] == []
