"""ksyun.kce.fixed_ip_statefulset_zone: the zone of a fixed-IP StatefulSet is given, or that of its pinned IPs' subnet,
or the only zone with container subnets; pinned IPs lie in a container subnet of that zone, once each."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.filter.fixed_ip_statefulset_zone import (
    FilterModule,
    fixed_ip_statefulset_zone,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import config_map_data

PREFIX = "fixed_ip_statefulset_"
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
SMALL_6A = "5f2c7a10-0002-4a6e-9c1b-000000000003"
# What ksyun.kce.subnet_info returns for the sandbox's subnets (the small one is not a container subnet).
SUBNETS = [
    {"id": SUBNET_6A, "cidr_block": "10.0.0.0/24", "availability_zone": "cn-beijing-6a"},
    {"id": SUBNET_6B, "cidr_block": "10.0.1.0/24", "availability_zone": "cn-beijing-6b"},
    {"id": SMALL_6A, "cidr_block": "10.0.2.0/28", "availability_zone": "cn-beijing-6a"},
]


def config(pod_subnets):
    """The VPC-CNI ConfigMap's data as the vpc_cni role writes it."""
    return config_map_data(Settings(cluster_name="sandbox", pod_subnets=pod_subnets))


TWO_ZONES = config({"cn-beijing-6a": (SUBNET_6A,), "cn-beijing-6b": (SUBNET_6B,)})
ONE_ZONE = config({"cn-beijing-6a": (SUBNET_6A,)})


def zone(ips, cluster_config=TWO_ZONES, **kwargs):
    return fixed_ip_statefulset_zone(
        ips, cluster_config, **dict({"subnets": SUBNETS, "variable_prefix": PREFIX}, **kwargs)
    )


def refused(ips, cluster_config=TWO_ZONES, **kwargs):
    with pytest.raises(AnsibleFilterError) as err:
        zone(ips, cluster_config, **kwargs)
    return str(err.value)


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"fixed_ip_statefulset_zone": fixed_ip_statefulset_zone}


def test_a_given_zone_with_container_subnets_is_taken():
    assert zone([], zone="cn-beijing-6b") == {"zone": "cn-beijing-6b", "source": "fixed_ip_statefulset_zone"}


def test_without_a_zone_the_pinned_ips_subnet_decides():
    found = zone(["10.0.1.30", "10.0.1.31"])
    assert found["zone"] == "cn-beijing-6b"
    assert (
        SUBNET_6B in found["source"]
        and "10.0.1.0/24" in found["source"]
        and "fixed_ip_statefulset_ips" in found["source"]
    )


def test_without_a_zone_or_ips_the_only_configured_zone_is_taken():
    found = zone([], ONE_ZONE)
    assert found == {
        "zone": "cn-beijing-6a",
        "source": "the only zone with container subnets in ConfigMap kube-system/ksyun-vpc-cni",
    }


def test_several_zones_and_no_pinned_ip_is_ambiguous_and_says_what_to_set():
    msg = refused([])
    assert "fixed_ip_statefulset_zone is not set" in msg
    assert "zones cn-beijing-6a, cn-beijing-6b" in msg and "set fixed_ip_statefulset_zone" in msg
    assert "fixed_ip_statefulset_ips" in msg


def test_no_container_subnet_at_all_is_refused():
    msg = refused([], config({}))
    assert "no zone" in msg and "podSubnets" in msg


def test_a_zone_without_container_subnets_is_refused_listing_the_zones():
    msg = refused([], zone="cn-beijing-6c")
    assert "fixed_ip_statefulset_zone is 'cn-beijing-6c'" in msg and "cn-beijing-6a, cn-beijing-6b" in msg


def test_a_missing_configmap_says_to_install_vpc_cni():
    msg = refused([], None, config_name="kube-system/my-cni")
    assert "ConfigMap kube-system/my-cni does not exist" in msg and "ksyun.kce.vpc_cni" in msg


def test_a_configmap_that_does_not_parse_is_refused_by_its_key():
    msg = refused([], {"clusterName": "sandbox", "podSubnets": "not json"})
    assert "podSubnets" in msg and "'not json'" in msg


def test_a_pinned_ip_outside_the_zones_container_subnet_is_refused_naming_the_variable_and_value():
    msg = refused(["10.0.0.20", "10.0.1.30"], zone="cn-beijing-6a")
    assert (
        "fixed_ip_statefulset_ips[1] is 10.0.1.30, in container subnet %s (10.0.1.0/24) of zone cn-beijing-6b"
        % SUBNET_6B
        in msg
    )
    assert "fixed_ip_statefulset_zone is cn-beijing-6a" in msg and SUBNET_6A in msg


@pytest.mark.parametrize("ip", ["10.0.2.5", "192.168.7.1"])
def test_a_pinned_ip_in_no_container_subnet_is_refused(ip):
    msg = refused(["10.0.0.20", ip])
    assert "fixed_ip_statefulset_ips[1] is %s, outside every container subnet" % ip in msg
    assert "cn-beijing-6a: %s (10.0.0.0/24)" % SUBNET_6A in msg


def test_a_container_subnet_the_cloud_does_not_have_is_named_as_such():
    msg = refused(["10.0.0.20"], subnets=[])
    assert "%s (not found in the cloud)" % SUBNET_6A in msg


def test_pinned_ips_of_two_zones_are_refused():
    msg = refused(["10.0.0.20", "10.0.1.30"])
    assert "different zones" in msg and "fixed_ip_statefulset_ips[1] 10.0.1.30: cn-beijing-6b" in msg


def test_a_duplicated_pinned_ip_is_refused_naming_both_ordinals():
    msg = refused(["10.0.0.20", "10.0.0.21", "10.0.0.20"])
    assert "fixed_ip_statefulset_ips[0] and fixed_ip_statefulset_ips[2] are both 10.0.0.20" in msg


@pytest.mark.parametrize("ip", ["10.0.0.256", "sts-0", "10.0.0.0/24", ""])
def test_a_pinned_value_that_is_no_ipv4_address_is_refused(ip):
    assert "fixed_ip_statefulset_ips[0] is %r, not an IPv4 address" % ip in refused([ip])


def test_ips_that_are_not_a_list_are_refused():
    assert "fixed_ip_statefulset_ips is '10.0.0.20'; give a list" in refused("10.0.0.20")
