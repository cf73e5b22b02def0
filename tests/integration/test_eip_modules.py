"""ksyun.kce.eip, eip_association and eip_info, run by ansible-playbook against the emulator."""

import pytest
from kce_cloud import ENI_47, NODE_47, NODE_48, SG, SUBNET_6A, UNKNOWN, emulator_task, task

pytestmark = pytest.mark.emulator

NAME = "kcefip_demo_shop_db-0"
EIP = {"name": NAME, "band_width": 5}
ALLOCATION = "{{ made.address.allocation_id }}"
# A shared ENI on node 10.0.0.47 holding the pod IP 10.0.0.236, and one on 10.0.0.48 the IP moves to.
SHARED = {
    "name": "kcefip_demo_sh_0_10.0.0.47",
    "subnet_id": SUBNET_6A,
    "security_groups": [SG],
    "private_ip_address": "10.0.0.200",
    "instance_id": NODE_47,
}
OTHER = dict(SHARED, name="kcefip_demo_sh_0_10.0.0.48", private_ip_address="10.0.0.201", instance_id=NODE_48)


def _pod_ip_on(eni_register):
    return task(
        "pod ip on " + eni_register,
        "eni_private_ip",
        {
            "network_interface_id": "{{ %s.network_interface.id }}" % eni_register,
            "private_ip_addresses": ["10.0.0.236"],
        },
    )


def test_an_eip_is_allocated_named_found_by_name_and_released_and_every_rerun_changes_nothing(play, cloud):
    steps = play(
        [
            task("allocate in check mode", "eip", EIP, check=True),
            task("allocate", "eip", EIP, register="made"),
            task("allocate again", "eip", EIP),
            task("by id", "eip", {"allocation_id": ALLOCATION}),
            task("rename in check mode", "eip", {"allocation_id": ALLOCATION, "name": NAME + "-b"}, check=True),
            task("rename", "eip", {"allocation_id": ALLOCATION, "name": NAME + "-b"}),
            task("rename again", "eip", {"allocation_id": ALLOCATION, "name": NAME + "-b"}),
            task("info by name", "eip_info", {"name": NAME + "-b"}),
            task("release in check mode", "eip", {"allocation_id": ALLOCATION, "state": "absent"}, check=True),
            task("release", "eip", {"allocation_id": ALLOCATION, "state": "absent"}),
            task("release again", "eip", {"allocation_id": ALLOCATION, "state": "absent"}),
            task("release by name when there is none", "eip", {"name": NAME, "state": "absent"}),
        ]
    )
    check = steps["allocate in check mode"]
    assert check.changed and check.total_writes == 0 and check.diff["before"] == {}
    assert check.diff["after"]["name"] == NAME and check.diff["after"]["allocation_id"] == "<new-eip.allocation_id>"
    made = steps["allocate"]
    assert made.changed and made.writes == {"AllocateAddress": 1, "CreateTagAndAttachResource": 1}
    address = made.result["address"]
    assert address["name"] == NAME and address["public_ip"].startswith("198.51.100.") and address["band_width"] == 5
    assert made.diff["after"]["allocation_id"] == address["allocation_id"]
    for name in ("allocate again", "by id", "rename again", "release again", "release by name when there is none"):
        assert steps[name].is_noop, steps[name]
    assert steps["allocate again"].result["address"]["allocation_id"] == address["allocation_id"]
    assert steps["rename in check mode"].changed and steps["rename in check mode"].total_writes == 0
    assert steps["rename"].writes == {"CreateTagAndAttachResource": 1}
    assert steps["rename"].diff["after"]["name"] == NAME + "-b"
    assert [a["allocation_id"] for a in steps["info by name"].result["addresses"]] == [address["allocation_id"]]
    assert steps["release in check mode"].changed and steps["release in check mode"].total_writes == 0
    release = steps["release"]
    assert release.writes == {"ReleaseAddress": 1} and release.diff["after"] == {}
    assert cloud.address(address["allocation_id"]) is None


def test_an_eip_follows_a_shared_mode_pod_ip_to_another_eni_and_node(play, cloud):
    association = {"allocation_id": ALLOCATION, "network_interface_id": "{{ shared.network_interface.id }}"}
    on_shared = dict(association, private_ip_address="10.0.0.236")
    on_other = dict(on_shared, network_interface_id="{{ other.network_interface.id }}")
    steps = play(
        [
            task("shared eni", "eni", SHARED, register="shared"),
            _pod_ip_on("shared"),
            task("eip", "eip", EIP, register="made"),
            task("associate in check mode", "eip_association", on_shared, check=True),
            task("associate", "eip_association", on_shared),
            task("associate again", "eip_association", on_shared),
            task("info by ip", "eip_info", {"private_ip_address": "10.0.0.236"}),
            task(
                "move the pod ip away",
                "eni_private_ip",
                {
                    "network_interface_id": "{{ shared.network_interface.id }}",
                    "private_ip_addresses": ["10.0.0.236"],
                    "state": "absent",
                },
            ),
            task("other eni", "eni", OTHER, register="other"),
            _pod_ip_on("other"),
            task("after the move", "eip_info", {"allocation_ids": [ALLOCATION]}),
            task("associate on the new eni", "eip_association", on_other),
            task("associate on the new eni again", "eip_association", on_other),
            task(
                "disassociate in check mode",
                "eip_association",
                {"allocation_id": ALLOCATION, "state": "absent"},
                check=True,
            ),
            task("disassociate", "eip_association", {"allocation_id": ALLOCATION, "state": "absent"}),
            task("disassociate again", "eip_association", {"allocation_id": ALLOCATION, "state": "absent"}),
        ]
    )
    check = steps["associate in check mode"]
    assert check.changed and check.total_writes == 0
    assert check.diff["before"]["state"] == "disassociate" and check.diff["after"]["private_ip_address"] == "10.0.0.236"
    associate = steps["associate"]
    assert associate.writes == {"AssociateAddress": 1}
    assert associate.result["address"]["state"] == "associate" and associate.result["address"]["instance_id"] == NODE_47
    assert steps["associate again"].is_noop, steps["associate again"]
    info = steps["info by ip"].result["addresses"]
    assert [a["name"] for a in info] == [NAME]
    # The emulator's default (eip_follows_private_ip=false): the association dropped with the IP.
    assert steps["after the move"].result["addresses"][0]["state"] == "disassociate"
    moved = steps["associate on the new eni"]
    assert moved.writes == {"AssociateAddress": 1} and moved.result["address"]["instance_id"] == NODE_48
    assert steps["associate on the new eni again"].is_noop, steps["associate on the new eni again"]
    assert steps["disassociate in check mode"].changed and steps["disassociate in check mode"].total_writes == 0
    assert steps["disassociate"].writes == {"DisassociateAddress": 1}
    assert steps["disassociate again"].is_noop, steps["disassociate again"]
    assert cloud.address(associate.result["address"]["allocation_id"])["association"] is None


def test_with_associations_that_follow_their_ip_the_rerun_on_the_new_eni_sees_it_bound(play, emu):
    emu.settings.update({"eip_follows_private_ip": True})
    on_other = {
        "allocation_id": ALLOCATION,
        "network_interface_id": "{{ other.network_interface.id }}",
        "private_ip_address": "10.0.0.236",
    }
    steps = play(
        [
            task("shared eni", "eni", SHARED, register="shared"),
            _pod_ip_on("shared"),
            task("eip", "eip", EIP, register="made"),
            task(
                "associate",
                "eip_association",
                {
                    "allocation_id": ALLOCATION,
                    "network_interface_id": "{{ shared.network_interface.id }}",
                    "private_ip_address": "10.0.0.236",
                },
            ),
            task(
                "move the pod ip away",
                "eni_private_ip",
                {
                    "network_interface_id": "{{ shared.network_interface.id }}",
                    "private_ip_addresses": ["10.0.0.236"],
                    "state": "absent",
                },
            ),
            task("other eni", "eni", OTHER, register="other"),
            _pod_ip_on("other"),
            task("associate on the new eni", "eip_association", on_other),
        ]
    )
    followed = steps["associate on the new eni"]
    assert followed.is_noop, followed
    assert followed.result["address"]["instance_id"] == NODE_48


def test_bad_input_fails_clearly_and_changes_nothing(play, cloud):
    other_eip = {"name": NAME + "-other", "band_width": 1}
    steps = play(
        [
            task("shared eni", "eni", SHARED, register="shared"),
            _pod_ip_on("shared"),
            task(
                "a detached eni",
                "eni",
                dict(SHARED, name="detached", private_ip_address="10.0.0.202", instance_id=None),
                register="detached",
            ),
            task("eip", "eip", EIP, register="made"),
            task("second eip", "eip", other_eip, register="second"),
            task(
                "bind the first",
                "eip_association",
                {"allocation_id": ALLOCATION, "network_interface_id": "{{ shared.network_interface.id }}"},
            ),
            task(
                "unknown allocation id", "eip_association", {"allocation_id": UNKNOWN, "network_interface_id": ENI_47}
            ),
            task("unknown eip by id", "eip", {"allocation_id": UNKNOWN}),
            task(
                "ip not on the eni",
                "eip_association",
                {
                    "allocation_id": "{{ second.address.allocation_id }}",
                    "network_interface_id": "{{ shared.network_interface.id }}",
                    "private_ip_address": "10.0.0.237",
                },
            ),
            task(
                "eip bound elsewhere",
                "eip_association",
                {"allocation_id": ALLOCATION, "network_interface_id": ENI_47},
            ),
            task(
                "ip that has another eip",
                "eip_association",
                {
                    "allocation_id": "{{ second.address.allocation_id }}",
                    "network_interface_id": "{{ shared.network_interface.id }}",
                },
            ),
            task(
                "detached eni",
                "eip_association",
                {
                    "allocation_id": "{{ second.address.allocation_id }}",
                    "network_interface_id": "{{ detached.network_interface.id }}",
                },
            ),
            task("release while associated", "eip", {"allocation_id": ALLOCATION, "state": "absent"}),
            task("allocate without bandwidth", "eip", {"name": "no-bandwidth"}),
            task("other bandwidth", "eip", dict(EIP, band_width=50)),
            task("name too long", "eip", dict(EIP, name="x" * 256)),
            task("unknown eni", "eip_association", {"allocation_id": ALLOCATION, "network_interface_id": UNKNOWN}),
        ]
    )
    expected = {
        "unknown allocation id": [UNKNOWN, "allocation_id", "ksyun.kce.eip"],
        "unknown eip by id": [UNKNOWN, "allocation_id"],
        "ip not on the eni": ["10.0.0.237", "private_ip_address", "ksyun.kce.eni_private_ip"],
        "eip bound elsewhere": ["allow_reassociation", "10.0.0.200"],
        "ip that has another eip": ["10.0.0.200", "already has elastic IP"],
        "detached eni": ["detached", "eni_attachment"],
        "release while associated": ["force_disassociate", "10.0.0.200"],
        "allocate without bandwidth": ["band_width", "no-bandwidth"],
        "other bandwidth": ["band_width", "50"],
        "name too long": ["name", "255", "256"],
        "unknown eni": [UNKNOWN, "network_interface_id"],
    }
    for name, words in expected.items():
        step = steps[name]
        assert step.failed and step.total_writes == 0, step
        for word in words:
            assert word in step.msg, (name, word, step.msg)
    assert len(cloud.addresses()) == 2


def test_a_failed_name_tag_releases_the_new_eip_and_a_quota_refusal_says_so(play, cloud, emu):
    steps = play(
        [
            emulator_task(
                "fail the tag",
                "faults",
                {
                    "fail_nth": [
                        {
                            "nth": 1,
                            "action": "CreateTagAndAttachResource",
                            "status": 400,
                            "code": "InvalidParameterValue",
                            "message": "injected tag refusal",
                        }
                    ]
                },
            ),
            task("allocate", "eip", EIP),
            task("allocate after the fault", "eip", EIP),
            task("rerun", "eip", EIP),
        ]
    )
    failed = steps["allocate"]
    assert failed.failed and "injected tag refusal" in failed.msg and "released again" in failed.msg
    assert failed.writes == {"AllocateAddress": 1, "CreateTagAndAttachResource": 1, "ReleaseAddress": 1}
    assert steps["allocate after the fault"].changed and steps["rerun"].is_noop
    assert len(cloud.addresses()) == 1
    emu.state.data["eip"]["quota"] = 1
    quota = play([task("over quota", "eip", dict(EIP, name="second"))])["over quota"]
    assert quota.failed and "QuotaExceeded.Address" in quota.msg and "release one" in quota.msg
    assert len(cloud.addresses()) == 1
