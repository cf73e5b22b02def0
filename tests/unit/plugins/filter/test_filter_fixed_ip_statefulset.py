"""ksyun.kce.fixed_ip_statefulset: a StatefulSet becomes what the product page's fixed-IP StatefulSet is, and nothing else
of it changes; bad input is refused naming the variable, the value and what to do."""

import copy

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.filter.fixed_ip_statefulset import FilterModule, fixed_ip_statefulset
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import pod_request
from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import pod_snapshot

ZONE = "cn-beijing-6a"
PREFIX = "fixed_ip_statefulset_"
REQUIRED = "requiredDuringSchedulingIgnoredDuringExecution"


def product_page_sts():
    """The product page's sample StatefulSet without its fixed-IP parts (what a user starts from)."""
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": "sts-3", "namespace": "default", "labels": {"ksyun-app": "sts-3"}},
        "spec": {
            "replicas": 1,
            "serviceName": "sts-3",
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"ksyun-app": "sts-3"}},
            "template": {
                "metadata": {"labels": {"ksyun-app": "sts-3"}, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {
                    "imagePullSecrets": [{"name": "ksyunregistrykey"}],
                    "containers": [
                        {
                            "name": "nginx",
                            "image": "hub.kce.ksyun.com/ksyun/nginx:1.25",
                            "resources": {"requests": {"cpu": "100m"}, "limits": {"memory": "128Mi"}},
                        },
                        {"name": "sidecar", "image": "hub.kce.ksyun.com/ksyun/busybox:1.36"},
                    ],
                },
            },
        },
    }


def refused(definition, **kwargs):
    args = dict({"mode": "shared", "zone": ZONE, "variable_prefix": PREFIX}, **kwargs)
    with pytest.raises(AnsibleFilterError) as err:
        fixed_ip_statefulset(definition, **args)
    return str(err.value)


def zone_terms(sts):
    return sts["spec"]["template"]["spec"]["affinity"]["nodeAffinity"][REQUIRED]["nodeSelectorTerms"]


def pod_of(sts, ordinal=0):
    """The pod the StatefulSet controller makes from the template, as VPC-CNI reads it."""
    template = sts["spec"]["template"]
    return {
        "metadata": dict(
            template["metadata"],
            name="%s-%d" % (sts["metadata"]["name"], ordinal),
            namespace=sts["metadata"]["namespace"],
            uid="u-%d" % ordinal,
            ownerReferences=[{"kind": "StatefulSet", "name": sts["metadata"]["name"], "controller": True}],
        ),
        "spec": template["spec"],
    }


def test_the_filter_is_registered_under_its_name():
    assert FilterModule().filters() == {"fixed_ip_statefulset": fixed_ip_statefulset}


def test_shared_mode_adds_the_product_pages_annotations_and_resource_to_the_first_container():
    sts = fixed_ip_statefulset(product_page_sts(), "shared", ZONE)
    template = sts["spec"]["template"]
    assert template["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "k8s.ksyun.com/pod-eniip": "true",
        "k8s.ksyun.com/pod-ip-fixed": "true",
        "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
    }
    nginx, sidecar = template["spec"]["containers"]
    assert nginx["resources"] == {
        "requests": {"cpu": "100m", "ksyun/eni-private-ip": "1"},
        "limits": {"memory": "128Mi", "ksyun/eni-private-ip": "1"},
    }
    assert "resources" not in sidecar


def test_exclusive_mode_uses_pod_eni_and_the_ksyun_eni_resource():
    sts = fixed_ip_statefulset(product_page_sts(), "exclusive", ZONE)
    annotations = sts["spec"]["template"]["metadata"]["annotations"]
    assert annotations["k8s.ksyun.com/pod-eni"] == "true"
    assert "k8s.ksyun.com/pod-eniip" not in annotations
    resources = sts["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert resources["requests"]["ksyun/eni"] == "1" and resources["limits"]["ksyun/eni"] == "1"
    assert "ksyun/eni-private-ip" not in resources["requests"]


@pytest.mark.parametrize("mode", ["shared", "exclusive"])
def test_vpc_cni_reads_each_pod_of_the_result_as_a_fixed_ip_pod_of_that_mode_without_warnings(mode):
    sts = fixed_ip_statefulset(product_page_sts(), mode, ZONE)
    request = pod_request(pod_snapshot(pod_of(sts)))
    assert (request.mode, request.fixed, request.warnings) == (Mode(mode), True, ())


def test_a_named_container_gets_the_resource_and_the_first_does_not():
    sts = fixed_ip_statefulset(product_page_sts(), "shared", ZONE, container="sidecar")
    nginx, sidecar = sts["spec"]["template"]["spec"]["containers"]
    assert "ksyun/eni-private-ip" not in nginx["resources"]["requests"]
    assert sidecar["resources"] == {"requests": {"ksyun/eni-private-ip": "1"}, "limits": {"ksyun/eni-private-ip": "1"}}


def test_everything_else_of_the_definition_is_kept_and_the_input_is_not_changed():
    definition = product_page_sts()
    before = copy.deepcopy(definition)
    sts = fixed_ip_statefulset(definition, "shared", ZONE)
    assert definition == before
    for key in ("replicas", "serviceName", "podManagementPolicy", "selector"):
        assert sts["spec"][key] == before["spec"][key]
    assert sts["metadata"] == before["metadata"]
    assert sts["spec"]["template"]["metadata"]["labels"] == {"ksyun-app": "sts-3"}
    assert sts["spec"]["template"]["spec"]["imagePullSecrets"] == [{"name": "ksyunregistrykey"}]
    assert sts["spec"]["template"]["spec"]["containers"][1] == before["spec"]["template"]["spec"]["containers"][1]


@pytest.mark.parametrize("mode", ["shared", "exclusive"])
def test_the_filter_applied_to_its_own_result_changes_nothing(mode):
    once = fixed_ip_statefulset(product_page_sts(), mode, ZONE, retention="7d")
    assert fixed_ip_statefulset(once, mode, ZONE, retention="7d") == once


def test_pods_are_pinned_to_the_zone_by_a_required_node_affinity():
    sts = fixed_ip_statefulset(product_page_sts(), "shared", ZONE)
    assert zone_terms(sts) == [
        {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [ZONE]}]}
    ]


def test_the_zone_is_added_to_every_term_of_the_users_affinity_which_is_kept():
    definition = product_page_sts()
    gpu = {"key": "gpu", "operator": "Exists"}
    both_zones = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["cn-beijing-6b", ZONE]}
    preferred = [{"weight": 1, "preference": {"matchExpressions": [{"key": "ssd", "operator": "Exists"}]}}]
    anti = {"requiredDuringSchedulingIgnoredDuringExecution": [{"topologyKey": "kubernetes.io/hostname"}]}
    definition["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {
            REQUIRED: {"nodeSelectorTerms": [{"matchExpressions": [gpu]}, {"matchExpressions": [both_zones]}]},
            "preferredDuringSchedulingIgnoredDuringExecution": preferred,
        },
        "podAntiAffinity": anti,
    }
    sts = fixed_ip_statefulset(definition, "shared", ZONE)
    ours = {"key": "topology.kubernetes.io/zone", "operator": "In", "values": [ZONE]}
    assert zone_terms(sts) == [{"matchExpressions": [gpu, ours]}, {"matchExpressions": [both_zones, ours]}]
    affinity = sts["spec"]["template"]["spec"]["affinity"]
    assert affinity["nodeAffinity"]["preferredDuringSchedulingIgnoredDuringExecution"] == preferred
    assert affinity["podAntiAffinity"] == anti


@pytest.mark.parametrize(
    "expression",
    [
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["cn-beijing-6b"]},
        {"key": "topology.kubernetes.io/zone", "operator": "NotIn", "values": [ZONE]},
        {"key": "topology.kubernetes.io/zone", "operator": "DoesNotExist"},
    ],
)
def test_a_user_affinity_that_keeps_the_pods_out_of_the_zone_is_refused_by_its_place(expression):
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["affinity"] = {
        "nodeAffinity": {
            REQUIRED: {
                "nodeSelectorTerms": [
                    {"matchExpressions": [{"key": "gpu", "operator": "Exists"}]},
                    {"matchExpressions": [expression]},
                ]
            }
        }
    }
    msg = refused(definition)
    assert "fixed_ip_statefulset_definition" in msg
    assert "nodeSelectorTerms[1] requires topology.kubernetes.io/zone %s" % expression["operator"] in msg
    assert "zone cn-beijing-6a (fixed_ip_statefulset_zone)" in msg and "never leaves its subnet's zone" in msg


def test_a_derived_zone_is_named_by_where_it_came_from():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["nodeSelector"] = {"topology.kubernetes.io/zone": "cn-beijing-6b"}
    msg = refused(definition, zone_source="the zone of the subnet of fixed_ip_statefulset_ips")
    assert "nodeSelector has topology.kubernetes.io/zone: 'cn-beijing-6b'" in msg
    assert "(the zone of the subnet of fixed_ip_statefulset_ips)" in msg


def test_a_node_selector_on_the_same_zone_is_kept():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["nodeSelector"] = {"topology.kubernetes.io/zone": ZONE}
    sts = fixed_ip_statefulset(definition, "shared", ZONE)
    assert sts["spec"]["template"]["spec"]["nodeSelector"] == {"topology.kubernetes.io/zone": ZONE}


def test_a_retention_is_written_as_the_statefulsets_annotation_in_its_shortest_form():
    sts = fixed_ip_statefulset(product_page_sts(), "shared", ZONE, retention="24h")
    assert sts["metadata"]["annotations"] == {"k8s.ksyun.com/ip-retention": "1d"}
    assert "k8s.ksyun.com/ip-retention" not in sts["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.parametrize("retention", [None, ""])
def test_without_a_retention_the_cluster_policy_applies_and_no_annotation_is_added(retention):
    sts = fixed_ip_statefulset(product_page_sts(), "shared", ZONE, retention=retention)
    assert "annotations" not in sts["metadata"]


@pytest.mark.parametrize("retention", ["soon", "0m", "1h1d", 7])
def test_a_retention_that_does_not_parse_is_refused_naming_the_variable_and_value(retention):
    msg = refused(product_page_sts(), retention=retention)
    assert "fixed_ip_statefulset_retention: retention %r" % (retention,) in msg


def test_a_retention_annotation_of_the_definition_that_does_not_parse_is_refused():
    definition = product_page_sts()
    definition["metadata"]["annotations"] = {"k8s.ksyun.com/ip-retention": "forever"}
    msg = refused(definition)
    assert "fixed_ip_statefulset_definition: metadata.annotations k8s.ksyun.com/ip-retention" in msg
    assert "'forever'" in msg


def test_a_retention_that_contradicts_the_definitions_annotation_is_refused_and_an_equal_one_is_not():
    definition = product_page_sts()
    definition["metadata"]["annotations"] = {"k8s.ksyun.com/ip-retention": "24h"}
    assert "give the retention once" in refused(definition, retention="7d")
    sts = fixed_ip_statefulset(definition, "shared", ZONE, retention="1d")
    assert sts["metadata"]["annotations"]["k8s.ksyun.com/ip-retention"] == "1d"


@pytest.mark.parametrize("mode", ["both", "Shared", "", None])
def test_an_unknown_mode_is_refused_naming_the_variable_value_and_choices(mode):
    msg = refused(product_page_sts(), mode=mode)
    assert "fixed_ip_statefulset_mode is %r" % (mode,) in msg and "shared, exclusive" in msg


@pytest.mark.parametrize("kind", ["Deployment", "DaemonSet", "ReplicaSet"])
def test_other_workload_kinds_are_refused_saying_why(kind):
    definition = dict(product_page_sts(), kind=kind)
    msg = refused(definition)
    assert "fixed_ip_statefulset_definition has kind %r" % kind in msg
    assert "StatefulSet pods (and static pods) only" in msg and "make it a StatefulSet" in msg


def test_a_pod_is_refused_pointing_at_static_pods():
    msg = refused({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": []}})
    assert "kind Pod" in msg and "static pods" in msg and "manifest folder" in msg


def test_without_a_prefix_errors_name_the_filters_arguments():
    with pytest.raises(AnsibleFilterError, match="mode is 'both'"):
        fixed_ip_statefulset(product_page_sts(), "both", ZONE)
    with pytest.raises(AnsibleFilterError, match="the StatefulSet definition has kind 'Deployment'"):
        fixed_ip_statefulset(dict(product_page_sts(), kind="Deployment"), "shared", ZONE)


@pytest.mark.parametrize("zone", ["", "  ", None])
def test_an_empty_zone_is_refused(zone):
    assert "fixed_ip_statefulset_zone is %r" % (zone,) in refused(product_page_sts(), zone=zone)


def test_the_other_modes_annotation_is_refused():
    definition = product_page_sts()
    definition["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eni"] = "true"
    msg = refused(definition, mode="shared")
    assert "k8s.ksyun.com/pod-eni: 'true', the annotation of exclusive ENI mode" in msg
    assert "fixed_ip_statefulset_mode is shared" in msg


def test_the_other_modes_annotation_set_to_false_is_harmless_and_kept():
    definition = product_page_sts()
    definition["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eni"] = "false"
    sts = fixed_ip_statefulset(definition, "shared", ZONE)
    assert sts["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eni"] == "false"


@pytest.mark.parametrize(
    "key, value",
    [
        ("k8s.ksyun.com/pod-ip-fixed", "false"),
        ("k8s.ksyun.com/pod-eniip", "false"),
        ("v1.multus-cni.io/default-network", "kube-system/flannel"),
    ],
)
def test_a_different_value_of_an_annotation_the_filter_sets_is_refused(key, value):
    definition = product_page_sts()
    definition["spec"]["template"]["metadata"]["annotations"][key] = value
    msg = refused(definition)
    assert "spec.template.metadata.annotations has %s: %r" % (key, value) in msg


def test_the_other_modes_resource_is_refused():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["ksyun/eni"] = "1"
    msg = refused(definition, mode="shared")
    assert "containers[0] (nginx) limits has ksyun/eni: '1', the resource of exclusive ENI mode" in msg


def test_more_than_one_eni_resource_is_refused():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["ksyun/eni-private-ip"] = "2"
    assert "ksyun/eni-private-ip: '2'; a fixed-IP pod takes exactly one" in refused(definition)


def test_the_resource_in_another_container_is_refused():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["containers"][1]["resources"] = {"requests": {"ksyun/eni-private-ip": "1"}}
    msg = refused(definition)
    assert "containers[1] (sidecar) requests has ksyun/eni-private-ip" in msg and "'nginx' requests it" in msg


def test_an_unknown_container_name_is_refused_listing_the_containers():
    msg = refused(product_page_sts(), container="app")
    assert "fixed_ip_statefulset_container is 'app'" in msg and "['nginx', 'sidecar']" in msg


def test_a_definition_without_containers_is_refused():
    definition = product_page_sts()
    definition["spec"]["template"]["spec"]["containers"] = []
    assert "has no container" in refused(definition)


def test_the_namespace_is_taken_from_the_definition_or_given_and_a_contradiction_is_refused():
    definition = product_page_sts()
    del definition["metadata"]["namespace"]
    assert fixed_ip_statefulset(definition, "shared", ZONE)["metadata"]["namespace"] == "default"
    assert fixed_ip_statefulset(definition, "shared", ZONE, namespace="db")["metadata"]["namespace"] == "db"
    msg = refused(product_page_sts(), namespace="db")
    assert "fixed_ip_statefulset_namespace is 'db'" in msg and "metadata.namespace 'default'" in msg


def test_a_non_mapping_in_the_definition_is_refused_by_its_path():
    definition = product_page_sts()
    definition["spec"]["template"]["metadata"]["annotations"] = ["k8s.ksyun.com/pod-eniip"]
    assert "template.metadata.annotations is ['k8s.ksyun.com/pod-eniip'], not a mapping" in refused(definition)
