"""Elastic public IPs in the domain: the snapshot's words, check mode's preview of EIP actions, the compensation of a
new EIP that could not be named."""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AllocateEip,
    AssociateEip,
    DisassociateEip,
    NameEip,
    ReleaseEip,
    SetEniSecurityGroups,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.compensate import compensation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preview import preview
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_EIP, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EipSnapshot, EniSnapshot

FREE = EipSnapshot(allocation_id="eip-1", public_ip="198.51.100.1", name="kcefip_prod_shop_db-0", band_width=5)
BOUND = EipSnapshot(
    allocation_id="eip-2",
    public_ip="198.51.100.2",
    state="associate",
    eni_id="eni-1",
    instance_id="i-47",
    private_ip="10.0.0.236",
)


def test_an_eip_is_bound_only_to_the_eni_and_ip_it_shows():
    assert BOUND.bound_to("eni-1", "10.0.0.236")
    assert not BOUND.bound_to("eni-1", "10.0.0.200") and not BOUND.bound_to("eni-2", "10.0.0.236")
    assert not FREE.bound_to("", "")
    assert BOUND.target() == "10.0.0.236 of network interface eni-1 (instance i-47)"
    assert FREE.target() == "not associated"
    assert FREE.view()["network_interface_id"] is None and BOUND.view()["instance_id"] == "i-47"


def test_check_mode_shows_a_new_named_eip_with_what_only_the_cloud_decides_as_placeholders():
    plan = (AllocateEip(NEW_EIP, 5, charge_type="Daily"), NameEip(Ref(NEW_EIP, "allocation_id"), "web-0"))
    after = preview(CloudSnapshot(), plan)
    eip = after.address("<new-eip.allocation_id>")
    assert (eip.public_ip, eip.name, eip.band_width, eip.state) == ("<new-eip.public_ip>", "web-0", 5, "disassociate")


def test_check_mode_moves_an_association_and_releases():
    cloud = CloudSnapshot(addresses=(FREE, BOUND))
    moved = preview(cloud, (DisassociateEip("eip-2"), AssociateEip("eip-2", "i-48", "eni-9", "10.0.0.236")))
    assert moved.address("eip-2").bound_to("eni-9", "10.0.0.236") and moved.address("eip-2").instance_id == "i-48"
    freed = preview(cloud, (DisassociateEip("eip-2"),)).address("eip-2")
    assert not freed.associated and freed.eni_id == "" and freed.private_ip == ""
    assert preview(cloud, (ReleaseEip("eip-1"),)).address("eip-1") is None
    assert cloud.address("eip-1") == FREE


def test_check_mode_shows_new_security_groups_of_an_eni():
    eni = EniSnapshot(eni_id="eni-1", name="n", subnet_id="s", zone="z", security_group_ids=("sg-1",))
    after = preview(CloudSnapshot(enis=(eni,)), (SetEniSecurityGroups("eni-1", "i-47", "s", ("sg-1", "sg-2")),))
    assert after.eni("eni-1").security_group_ids == ("sg-1", "sg-2")


def test_a_new_eip_that_could_not_be_named_is_released_again():
    done = [AllocateEip(NEW_EIP, 5)]
    plan = compensation(NameEip("eip-new", "web-0"), done)
    assert plan.actions == (ReleaseEip("eip-new"),)
    assert "released again" in plan.undone and "eip-new" in plan.left_open and "state=absent" in plan.left_open


def test_renaming_an_existing_eip_that_fails_releases_nothing():
    assert compensation(NameEip("eip-1", "web-0"), []).actions == ()
