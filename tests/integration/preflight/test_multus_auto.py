"""ksyun.kce.multus with multus_install: auto (the default) on a bare cluster: a multus someone else installed (the
platform's, in a namespace of its own) and its vpc-cni network are left alone with no write at all; an object of the
role's name that someone else created is refused before any write, naming its field manager; multus_take_over: true
takes it over and installs."""

import json

import pytest
import yaml
from kubernetes import client
from preflight_support import PREFLIGHT, counted, delete_and_wait

from apiserver_requests import ApiserverWrites

pytestmark = pytest.mark.controlplane

NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io"
PLATFORM = "kce-platform"
PLATFORM_NAMESPACE = "kce-system"
# Every object the role applies (thick flavour), as (apiVersion, kind, namespace, name).
ROLE_OBJECTS = [
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", None, NAD_CRD),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", None, "multus"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", None, "multus"),
    ("v1", "ServiceAccount", "kube-system", "multus"),
    ("v1", "ConfigMap", "kube-system", "multus-daemon-config"),
    ("apps/v1", "DaemonSet", "kube-system", "kube-multus-ds"),
    ("k8s.cni.cncf.io/v1", "NetworkAttachmentDefinition", "kube-system", "vpc-cni"),
]


def nad_crd():
    """The NetworkAttachmentDefinition CRD as upstream multus ships it (no label of the collection)."""
    schema = {
        "type": "object",
        "properties": {"spec": {"type": "object", "properties": {"config": {"type": "string"}}}},
    }
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": NAD_CRD},
        "spec": {
            "group": "k8s.cni.cncf.io",
            "scope": "Namespaced",
            "names": {
                "kind": "NetworkAttachmentDefinition",
                "plural": "network-attachment-definitions",
                "singular": "network-attachment-definition",
                "shortNames": ["net-attach-def"],
            },
            "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": schema}}],
        },
    }


def platform_multus():
    labels = {"app": "platform-multus"}
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": "multus", "namespace": PLATFORM_NAMESPACE, "labels": labels},
        "spec": {
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "hostNetwork": True,
                    "tolerations": [{"operator": "Exists"}],
                    "containers": [
                        {"name": "kube-multus", "image": "hub.kce.ksyun.com/mirror/multus-cni:v4.1.0-thick"}
                    ],
                },
            },
        },
    }


def multus_role(tmp_path, **variables):
    """A playbook running the multus role with these variables, then showing multus_result."""
    play = [
        {
            "name": "multus",
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "vars": variables,
            "tasks": [
                {"name": "Multus", "ansible.builtin.include_role": {"name": "ksyun.kce.multus"}},
                {"name": "Result", "ansible.builtin.debug": {"var": "multus_result"}},
            ],
        }
    ]
    path = tmp_path / ("multus-%d.yml" % len(list(tmp_path.glob("multus-*.yml"))))
    path.write_text(yaml.safe_dump(play, sort_keys=False), encoding="utf-8")
    return path


def versions(dyn):
    """resourceVersion of each object of the role's names (None: absent)."""
    out = {}
    for api_version, kind, namespace, name in ROLE_OBJECTS:
        try:
            obj = dyn.resources.get(api_version=api_version, kind=kind).get(name=name, namespace=namespace)
            out[(kind, name)] = obj.metadata.resourceVersion
        except Exception as exc:  # not served (the NAD kind before its CRD) or not found
            if getattr(exc, "status", 404) != 404 and type(exc).__name__ != "ResourceNotFoundError":
                raise
            out[(kind, name)] = None
    return out


@pytest.fixture
def clean_multus(bare_dyn, wait_for):
    """Afterwards: no multus object left on the bare cluster, neither the role's nor the platform's."""
    yield
    for api_version, kind, namespace, name in reversed(ROLE_OBJECTS):
        if kind == "NetworkAttachmentDefinition":
            try:
                bare_dyn.resources.get(api_version=api_version, kind=kind)
            except Exception:  # noqa: BLE001 - the kind is not served: nothing of it to delete
                continue
        delete_and_wait(bare_dyn, wait_for, api_version, kind, name, namespace)
    delete_and_wait(bare_dyn, wait_for, "v1", "Namespace", PLATFORM_NAMESPACE)


def create_crd(api, wait_for, manager):
    ext = client.ApiextensionsV1Api(api)
    ext.create_custom_resource_definition(nad_crd(), field_manager=manager)

    def established():
        conditions = ext.read_custom_resource_definition(NAD_CRD).status.conditions or []
        return any(c.type == "Established" and c.status == "True" for c in conditions)

    wait_for("CRD %s Established" % NAD_CRD, established)


def test_auto_leaves_a_platform_multus_and_its_network_alone_with_no_write(
    bare_ansible, bare_kube, bare_dyn, bare_emulator, wait_for, tmp_path, clean_multus
):
    core, apps = client.CoreV1Api(bare_kube), client.AppsV1Api(bare_kube)
    create_crd(bare_kube, wait_for, PLATFORM)
    core.create_namespace({"metadata": {"name": PLATFORM_NAMESPACE}})
    apps.create_namespaced_daemon_set(PLATFORM_NAMESPACE, platform_multus(), field_manager=PLATFORM)
    network = {
        "apiVersion": "k8s.cni.cncf.io/v1",
        "kind": "NetworkAttachmentDefinition",
        "metadata": {"name": "vpc-cni", "namespace": "kube-system"},
        "spec": {"config": json.dumps({"cniVersion": "0.3.1", "name": "vpc-cni", "type": "ksyun-vpc-cni"})},
    }
    client.CustomObjectsApi(bare_kube).create_namespaced_custom_object(
        "k8s.cni.cncf.io", "v1", "kube-system", "network-attachment-definitions", network, field_manager=PLATFORM
    )
    wait_for(
        "the platform's multus ready on every node",
        lambda: (apps.read_namespaced_daemon_set("multus", PLATFORM_NAMESPACE).status.number_ready or 0) == 5,
    )
    before = versions(bare_dyn)

    result = counted(bare_kube, bare_emulator, wait_for, lambda: bare_ansible(multus_role(tmp_path)))

    assert result.run.rc == 0, result.run
    outcome = result.run.task("Result")["multus_result"]
    assert outcome["install"] == "auto" and outcome["applied"] == []
    assert [item["object"] for item in outcome["left_alone"]] == [
        "%s %s" % (kind, "%s/%s" % (namespace, name) if namespace else name)
        for _v, kind, namespace, name in ROLE_OBJECTS
    ]
    assert (
        "multus runs already: kce-system/multus (ready 5/5, field manager kce-platform)"
        in outcome["left_alone"][0]["why"]
    )
    assert "created by someone else (field manager kce-platform)" in outcome["left_alone"][-1]["why"]
    assert [(ds["namespace"], ds["name"], ds["ours"]) for ds in outcome["multus"]] == [
        (PLATFORM_NAMESPACE, "multus", False)
    ]
    assert result.cluster_writes == {}, "auto wrote to the cluster: %s" % result.cluster_writes
    assert result.cloud_writes == {}
    assert versions(bare_dyn) == before

    # The preflight sees the same: the platform's multus and network, left alone.
    preflight = counted(
        bare_kube, bare_emulator, wait_for, lambda: bare_ansible(PREFLIGHT, args=["-e", "preflight_cloud=false"])
    )
    assert preflight.run.rc == 0, preflight.run
    lines = " ".join(preflight.run.task("Report")["msg"])
    assert "multus runs in kce-system/multus (ready 5/5, field manager kce-platform)" in lines
    assert "CNI type ksyun-vpc-cni (field manager kce-platform)" in lines
    assert preflight.cluster_writes == {}


def test_a_foreign_object_of_the_roles_name_is_refused_until_take_over(
    bare_ansible, bare_kube, bare_dyn, bare_emulator, wait_for, tmp_path, clean_multus
):
    with ApiserverWrites(bare_kube) as setup:
        create_crd(bare_kube, wait_for, "helm")
    assert "POST apiextensions.k8s.io/customresourcedefinitions" in setup.counted, "the count sees a write"
    before = versions(bare_dyn)

    refused = counted(bare_kube, bare_emulator, wait_for, lambda: bare_ansible(multus_role(tmp_path)))

    assert refused.run.rc != 0, refused.run
    message = " ".join(refused.run.msg.split())
    assert (
        "CustomResourceDefinition network-attachment-definitions.k8s.cni.cncf.io exists and was not created by ksyun.kce "
        "(field manager helm, no label app.kubernetes.io/part-of=ksyun.kce)" in message
    ), message
    assert "multus_take_over: true" in message and "Nothing was applied" in message
    assert refused.cluster_writes == {}, "the refused run wrote: %s" % refused.cluster_writes
    assert versions(bare_dyn) == before

    taken = bare_ansible(multus_role(tmp_path, multus_take_over=True))

    assert taken.rc == 0, taken
    assert len(taken.task("Result")["multus_result"]["applied"]) == len(ROLE_OBJECTS)
    crd = client.ApiextensionsV1Api(bare_kube).read_custom_resource_definition(NAD_CRD)
    assert "ksyun.kce" in [entry.manager for entry in crd.metadata.managed_fields]
    assert crd.metadata.labels.get("app.kubernetes.io/part-of") == "ksyun.kce"
    ds = client.AppsV1Api(bare_kube).read_namespaced_daemon_set("kube-multus-ds", "kube-system")
    assert ds.status.number_ready == ds.status.desired_number_scheduled > 0

    # Now the objects are the collection's: a rerun without take_over applies them all again and changes nothing.
    again = bare_ansible(multus_role(tmp_path))
    assert again.rc == 0, again
    assert again.task("Result")["multus_result"]["left_alone"] == []
    assert not again.task("Apply each object server-side and wait until it is ready").get("changed"), again
