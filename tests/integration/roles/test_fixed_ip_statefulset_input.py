"""ksyun.kce.fixed_ip_statefulset refuses bad input before anything is applied or reserved.

Each case runs the role with the real ansible-playbook against the sandbox: it fails, the message names the variable
and the value, and afterwards the cluster has no StatefulSet and no new PodEni/PodEniIP, and the cloud saw no
mutating call (the emulator's write counters). Check mode of a good input writes nothing either.
"""

import pytest
from fixed_ip_sandbox import SUBNET_6A
from kubernetes.client.rest import ApiException

pytestmark = pytest.mark.controlplane

ROLE = "ksyun.kce.fixed_ip_statefulset"
ZONE_6A = "cn-beijing-6a"
KINDS = ("PodEni", "PodEniIP")


def role_play(role_vars):
    return [
        {
            "name": "a fixed-IP StatefulSet",
            "hosts": "localhost",
            "gather_facts": False,
            "tasks": [
                {"name": "the role", "ansible.builtin.include_role": {"name": ROLE}, "vars": role_vars},
                {"name": "the result", "ansible.builtin.debug": {"var": "fixed_ip_statefulset_result"}},
            ],
        }
    ]


def short_form(namespace, **extra):
    """The short form of a small StatefulSet in the test's namespace."""
    return dict(
        {
            "fixed_ip_statefulset_name": "bad",
            "fixed_ip_statefulset_namespace": namespace,
            "fixed_ip_statefulset_image": "hub.kce.ksyun.com/ksyun/nginx:1.25",
            "fixed_ip_statefulset_mode": "shared",
        },
        **extra,
    )


def definition(namespace, kind="StatefulSet", affinity=None, annotations=None):
    spec = {"containers": [{"name": "app", "image": "hub.kce.ksyun.com/ksyun/nginx:1.25"}]}
    if affinity:
        spec["affinity"] = affinity
    return {
        "apiVersion": "apps/v1",
        "kind": kind,
        "metadata": {"name": "bad", "namespace": namespace},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "bad"}},
            "template": {"metadata": {"labels": {"app": "bad"}, "annotations": annotations or {}}, "spec": spec},
        },
    }


def zone_affinity(zone):
    term = {"matchExpressions": [{"key": "topology.kubernetes.io/zone", "operator": "In", "values": [zone]}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def items(dyn, api_version, kind, namespace=None):
    try:
        return dyn.resources.get(api_version=api_version, kind=kind).get(namespace=namespace).to_dict()["items"]
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise


def state(dyn, emulator, namespace):
    """What the role must not change: the namespace's StatefulSets, every record, the cloud's writes and reservations."""
    attributes = emulator.state()["ip_attributes"].get(SUBNET_6A) or {}
    return {
        "statefulsets": sorted(item["metadata"]["name"] for item in items(dyn, "apps/v1", "StatefulSet", namespace)),
        "records": sorted(
            (kind, item["metadata"]["namespace"], item["metadata"]["name"])
            for kind in KINDS
            for item in items(dyn, "k8s.ksyun.com/v1", kind)
        ),
        "writes": emulator.counters()["total_writes"],
        "reserved": sorted(ip for ip, attr in attributes.items() if attr.get("allocate_status") == "specific"),
    }


BAD = {
    "an unknown mode": (
        lambda ns, tmp: short_form(ns, fixed_ip_statefulset_mode="both", fixed_ip_statefulset_zone=ZONE_6A),
        ["fixed_ip_statefulset_mode", "got: both", "shared, exclusive"],
    ),
    "a pinned IP in the container subnet of another zone": (
        lambda ns, tmp: short_form(ns, fixed_ip_statefulset_zone=ZONE_6A, fixed_ip_statefulset_ips=["10.0.1.30"]),
        [
            "fixed_ip_statefulset_ips[0] is 10.0.1.30",
            "of zone cn-beijing-6b",
            "fixed_ip_statefulset_zone is cn-beijing-6a",
        ],
    ),
    "a pinned IP outside every container subnet": (
        lambda ns, tmp: short_form(ns, fixed_ip_statefulset_ips=["10.0.2.5"]),
        ["fixed_ip_statefulset_ips[0] is 10.0.2.5", "outside every container subnet"],
    ),
    "a pinned IP given twice": (
        lambda ns, tmp: short_form(
            ns, fixed_ip_statefulset_replicas=2, fixed_ip_statefulset_ips=["10.0.0.238", "10.0.0.238"]
        ),
        ["fixed_ip_statefulset_ips[0] and fixed_ip_statefulset_ips[1] are both 10.0.0.238"],
    ),
    "a pinned IP a node holds, after a good one": (
        lambda ns, tmp: short_form(
            ns, fixed_ip_statefulset_replicas=2, fixed_ip_statefulset_ips=["10.0.0.238", "10.0.0.47"]
        ),
        ["fixed_ip_statefulset_ips[1] is 10.0.0.47", "(pod %(ns)s/bad-1)", "in use by ENI"],
    ),
    "more pinned IPs than replicas": (
        lambda ns, tmp: short_form(ns, fixed_ip_statefulset_ips=["10.0.0.238", "10.0.0.239"]),
        ['fixed_ip_statefulset_ips has 2 IPs ["10.0.0.238", "10.0.0.239"]', "%(ns)s/bad has 1 replicas"],
    ),
    "a Deployment": (
        lambda ns, tmp: {
            "fixed_ip_statefulset_mode": "shared",
            "fixed_ip_statefulset_zone": ZONE_6A,
            "fixed_ip_statefulset_definition": definition(ns, kind="Deployment"),
        },
        ["fixed_ip_statefulset_definition has kind 'Deployment'", "StatefulSet pods (and static pods) only"],
    ),
    "a retention that does not parse": (
        lambda ns, tmp: short_form(ns, fixed_ip_statefulset_zone=ZONE_6A, fixed_ip_statefulset_retention="soon"),
        ["fixed_ip_statefulset_retention", "retention 'soon' is not understood"],
    ),
    "an affinity contradicting the pinned IP's zone": (
        lambda ns, tmp: {
            "fixed_ip_statefulset_mode": "exclusive",
            "fixed_ip_statefulset_ips": ["10.0.0.238"],
            "fixed_ip_statefulset_definition": definition(ns, affinity=zone_affinity("cn-beijing-6b")),
        },
        [
            "fixed_ip_statefulset_definition",
            "nodeSelectorTerms[0] requires topology.kubernetes.io/zone In ['cn-beijing-6b']",
            "holding fixed_ip_statefulset_ips",
        ],
    ),
    "the other mode's annotation": (
        lambda ns, tmp: {
            "fixed_ip_statefulset_mode": "shared",
            "fixed_ip_statefulset_zone": ZONE_6A,
            "fixed_ip_statefulset_definition": definition(ns, annotations={"k8s.ksyun.com/pod-eni": "true"}),
        },
        ["k8s.ksyun.com/pod-eni: 'true', the annotation of exclusive ENI mode"],
    ),
    "no zone while two zones have container subnets": (
        lambda ns, tmp: short_form(ns),
        ["fixed_ip_statefulset_zone is not set", "zones cn-beijing-6a, cn-beijing-6b"],
    ),
    "a VPC-CNI ConfigMap that does not exist": (
        lambda ns, tmp: short_form(
            ns, fixed_ip_statefulset_zone=ZONE_6A, fixed_ip_statefulset_cluster_config="kube-system/missing"
        ),
        ["ConfigMap kube-system/missing does not exist", "ksyun.kce.vpc_cni"],
    ),
    "pinned IPs when rendering": (
        lambda ns, tmp: short_form(
            ns,
            fixed_ip_statefulset_zone=ZONE_6A,
            fixed_ip_statefulset_ips=["10.0.0.238"],
            fixed_ip_statefulset_output="render",
            fixed_ip_statefulset_render_dir=str(tmp / "rendered"),
        ),
        [
            'fixed_ip_statefulset_ips is ["10.0.0.238"] with fixed_ip_statefulset_output render',
            "rendering writes no reservation",
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_fails_naming_the_variable_and_value_and_changes_nothing(
    case, ansible, namespace, dyn, emulator, tmp_path
):
    role_vars, expected = BAD[case]
    before = state(dyn, emulator, namespace)
    run = ansible(role_play(role_vars(namespace, tmp_path)))
    assert run.rc != 0 and run.failures, run
    for text in expected:
        assert text % {"ns": namespace} in run.msg, run.msg
    assert state(dyn, emulator, namespace) == before
    assert not (tmp_path / "rendered").exists()


def test_a_pinned_ip_kept_for_another_pod_is_refused_and_nothing_changes(ansible, namespace, dyn, emulator):
    setup = ansible(
        [
            {
                "name": "another pod keeps 10.0.0.239",
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [
                    {
                        "name": "reserve",
                        "ksyun.kce.fixed_ip": {
                            "namespace": namespace,
                            "pod_name": "other-0",
                            "zone": ZONE_6A,
                            "ip": "10.0.0.239",
                        },
                    }
                ],
            }
        ]
    )
    assert setup.rc == 0 and setup.task("reserve")["changed"], setup
    before = state(dyn, emulator, namespace)
    assert ("PodEniIP", namespace, "10.0.0.239") in before["records"]
    run = ansible(role_play(short_form(namespace, fixed_ip_statefulset_ips=["10.0.0.239"])))
    assert run.rc != 0
    assert "fixed_ip_statefulset_ips[0] is 10.0.0.239 (pod %s/bad-0)" % namespace in run.msg, run.msg
    assert "already kept for pod %s/other-0" % namespace in run.msg, run.msg
    assert state(dyn, emulator, namespace) == before


def test_check_mode_of_good_input_previews_and_writes_nothing(ansible, namespace, dyn, emulator):
    before = state(dyn, emulator, namespace)
    run = ansible(
        role_play(
            short_form(
                namespace,
                fixed_ip_statefulset_mode="exclusive",
                fixed_ip_statefulset_replicas=2,
                fixed_ip_statefulset_ips=["10.0.0.238"],
            )
        ),
        args=("--check",),
    )
    assert run.rc == 0, run
    result = run.task("the result")["fixed_ip_statefulset_result"]
    assert (result["zone"], result["checked"], result["pods"]) == (ZONE_6A, False, [])
    assert result["statefulset"]["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eni"] == "true"
    assert run.task("Reserve the pinned IPs and the elastic IPs")["changed"], "check mode previews the reservation"
    assert state(dyn, emulator, namespace) == before
