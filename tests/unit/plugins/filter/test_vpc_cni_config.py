"""The VPC-CNI ConfigMap the vpc_cni role writes, and the objects it renders, built without a server."""

import pytest

from ansible.errors import AnsibleFilterError, AnsibleLookupError

from ansible_collections.ksyun.kce.plugins.filter.manifest_file_name import manifest_file_name
from ansible_collections.ksyun.kce.plugins.filter.vpc_cni_config import vpc_cni_config
from ansible_collections.ksyun.kce.plugins.lookup.fixed_ip_crds import LookupModule
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import parse_cluster_config

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"


def settings(**overrides):
    values = {
        "cluster_name": "kce-prod",
        "security_group_ids": [GROUP],
        "pod_subnets": {"cn-beijing-6a": [SUBNET]},
        "ip_retention": "never",
        "fixed_ip": True,
    }
    values.update(overrides)
    return values


def test_the_data_is_what_the_flows_read_back():
    data = vpc_cni_config(settings(ip_retention="24h", fixed_ip=False, cloud_behaviour={"reserve_assigned_ip": True}))
    assert all(isinstance(value, str) for value in data.values())
    parsed = parse_cluster_config(data).settings
    assert parsed.cluster_name == "kce-prod" and parsed.security_group_ids == (GROUP,)
    assert parsed.pod_subnets == {"cn-beijing-6a": (SUBNET,)} and str(parsed.default_retention) == "1d"
    assert parsed.fixed_ip is False and parsed.cloud.reserve_assigned_ip is True
    assert data["podSubnets"] == '{"cn-beijing-6a": ["%s"]}' % SUBNET


@pytest.mark.parametrize(
    "overrides,named",
    [
        ({"ip_retention": "soon"}, "vpc_cni_ip_retention has value 'soon'"),
        ({"pod_subnets": {"cn-beijing-6a": ["subnet-1"]}}, "vpc_cni_pod_subnets[cn-beijing-6a] has value 'subnet-1'"),
        ({"security_group_ids": ["sg-1"]}, "vpc_cni_security_group_ids has value 'sg-1'"),
        ({"cluster_name": "Bad_Name"}, "vpc_cni_cluster_name has value 'Bad_Name'"),
        ({"cluster_name": ""}, "has no vpc_cni_cluster_name"),
        ({"fixed_ip": "yes"}, "vpc_cni_fixed_ip is 'yes'; write true or false"),
        ({"cloud_behaviour": {"reserve_assigned_ip": "yes"}}, "vpc_cni_cloud_behaviour.reserve_assigned_ip is 'yes'"),
        ({"cloud_behaviour": {"fast": True}}, "vpc_cni_cloud_behaviour has unknown key 'fast'"),
        ({"crd_group": "ksyun"}, "vpc_cni_crd_group has value 'ksyun'"),
        ({"subnets": []}, "unknown settings subnets"),
    ],
)
def test_a_bad_value_names_the_setting_and_the_value(overrides, named):
    with pytest.raises(AnsibleFilterError) as err:
        vpc_cni_config(settings(**overrides), prefix="vpc_cni_")
    assert named in str(err.value)


def test_the_crds_lookup_builds_the_three_kinds_in_the_asked_group():
    crds = LookupModule().run([], {}, group="example.com", version="v1beta1")
    assert [c["spec"]["names"]["kind"] for c in crds] == ["PodEni", "PodEniIP", "VpcIP"]
    assert {c["metadata"]["name"] for c in crds} == {
        "podenis.example.com",
        "podeniips.example.com",
        "vpcips.example.com",
    }
    assert {c["spec"]["versions"][0]["name"] for c in crds} == {"v1beta1"}
    with pytest.raises(AnsibleLookupError, match="group 'ksyun' is not an API group"):
        LookupModule().run([], {}, group="ksyun")


def test_each_object_has_its_own_file_under_its_role_prefix():
    ds = {"kind": "DaemonSet", "metadata": {"name": "kube-multus-ds", "namespace": "kube-system"}}
    crd = {"kind": "CustomResourceDefinition", "metadata": {"name": "podenis.k8s.ksyun.com"}}
    assert manifest_file_name(ds, "multus") == "multus__daemonset-kube-system-kube-multus-ds.yaml"
    assert manifest_file_name(crd, "vpc-cni") == "vpc-cni__customresourcedefinition-podenis.k8s.ksyun.com.yaml"
    with pytest.raises(AnsibleFilterError, match="prefix 'a__b'"):
        manifest_file_name(ds, "a__b")
    with pytest.raises(AnsibleFilterError, match="not a Kubernetes object"):
        manifest_file_name({"kind": "Pod"}, "x")


def test_the_zone_guard_lookup_builds_a_policy_and_binding_per_record_kind():
    from ansible_collections.ksyun.kce.plugins.lookup.fixed_ip_zone_guard import LookupModule as ZoneGuard

    objects = ZoneGuard().run([], {}, group="example.com", version="v1beta1", labels={"team": "net"})
    assert [(o["kind"], o["metadata"]["name"]) for o in objects] == [
        ("MutatingAdmissionPolicy", "ksyun-fixed-ip-zone-podeni"),
        ("MutatingAdmissionPolicyBinding", "ksyun-fixed-ip-zone-podeni"),
        ("MutatingAdmissionPolicy", "ksyun-fixed-ip-zone-podeniip"),
        ("MutatingAdmissionPolicyBinding", "ksyun-fixed-ip-zone-podeniip"),
    ]
    policy, binding = objects[2], objects[3]
    assert policy["spec"]["paramKind"] == {"apiVersion": "example.com/v1beta1", "kind": "PodEniIP"}
    assert policy["spec"]["failurePolicy"] == "Ignore" and policy["metadata"]["labels"] == {"team": "net"}
    assert "k8s.ksyun.com/pod-ip-fixed" in policy["spec"]["matchConditions"][0]["expression"]
    assert "'Reclaiming'" in policy["spec"]["matchConditions"][1]["expression"]
    patch = policy["spec"]["mutations"][0]["jsonPatch"]["expression"]
    assert '"/spec/nodeSelector/topology.kubernetes.io~1zone"' in patch and '{"topology.kubernetes.io/zone":' in patch
    assert binding["spec"] == {
        "policyName": "ksyun-fixed-ip-zone-podeniip",
        "paramRef": {"selector": {}, "parameterNotFoundAction": "Allow"},
    }
    with pytest.raises(AnsibleLookupError, match="takes only group=, labels=, version=, not 'zone'"):
        ZoneGuard().run([], {}, zone="cn-beijing-6a")


@pytest.mark.parametrize("mode", ["eniMultiIP", "eniOnly"])
def test_the_platforms_daemon_mode_is_written_and_read_back(mode):
    data = vpc_cni_config(settings(daemon_mode=mode))
    assert data["daemonMode"] == mode
    assert parse_cluster_config(data).daemon_mode == mode


def test_a_self_managed_add_on_writes_no_daemon_mode():
    data = vpc_cni_config(settings(daemon_mode=""))
    assert "daemonMode" not in data and parse_cluster_config(data).daemon_mode == ""


def test_an_unknown_daemon_mode_is_refused_naming_the_setting_and_the_value():
    with pytest.raises(AnsibleFilterError, match=r"vpc_cni_daemon_mode.*eniMulti.*eniMultiIP"):
        vpc_cni_config(settings(daemon_mode="eniMulti"), prefix="vpc_cni_")
