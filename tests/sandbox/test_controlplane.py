"""The sandbox is a real Kubernetes control plane: schema validation, controllers, scheduler, conflicts."""

import pytest
from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.node_agent.nodes import MANAGED_LABEL

pytestmark = pytest.mark.controlplane

GROUP = "sandbox-test.ksyun.com"


def test_the_apiserver_reports_the_pinned_kubernetes_version(kube):
    info = client.VersionApi(kube).get_code()
    assert info.git_version == "v1.37.2"
    assert (info.major, info.minor) == ("1", "37")


def test_sandbox_nodes_are_registered_ready_and_untainted(core, wait_for):
    nodes = core.list_node(label_selector=f"{MANAGED_LABEL}=true").items
    assert len(nodes) >= 3
    for node in nodes:
        wait_for(
            f"node {node.metadata.name} Ready without not-ready taints",
            lambda n=node.metadata.name: _schedulable(core, n),
        )


def _schedulable(core, name):
    node = core.read_node(name)
    ready = any(c.type == "Ready" and c.status == "True" for c in node.status.conditions or [])
    tainted = any(t.key.startswith("node.kubernetes.io/") for t in node.spec.taints or [])
    return ready and not tainted


@pytest.fixture()
def widget_crd(kube, wait_for):
    ext = client.ApiextensionsV1Api(kube)
    name = f"widgets.{GROUP}"
    body = {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": name},
        "spec": {
            "group": GROUP,
            "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [
                {
                    "name": "v1",
                    "served": True,
                    "storage": True,
                    "schema": {
                        "openAPIV3Schema": {
                            "type": "object",
                            "properties": {
                                "spec": {
                                    "type": "object",
                                    "required": ["ip"],
                                    "properties": {
                                        "ip": {"type": "string", "format": "ipv4"},
                                        "mode": {"type": "string", "enum": ["shared", "exclusive"]},
                                    },
                                }
                            },
                        }
                    },
                }
            ],
        },
    }
    try:
        ext.create_custom_resource_definition(body)
    except ApiException as e:
        if e.status != 409:
            raise
    yield name


def test_a_crd_becomes_established_and_its_schema_is_enforced(kube, widget_crd, namespace, wait_for):
    ext = client.ApiextensionsV1Api(kube)
    wait_for(
        "CRD Established",
        lambda: any(
            c.type == "Established" and c.status == "True"
            for c in (ext.read_custom_resource_definition(widget_crd).status.conditions or [])
        ),
    )
    custom = client.CustomObjectsApi(kube)
    good = {
        "apiVersion": f"{GROUP}/v1",
        "kind": "Widget",
        "metadata": {"name": "ok"},
        "spec": {"ip": "10.0.0.236", "mode": "shared"},
    }
    created = wait_for("custom resource accepted", lambda: _try_create(custom, namespace, good))
    assert created["spec"]["ip"] == "10.0.0.236"

    bad = {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": "bad"}, "spec": {"mode": "sometimes"}}
    with pytest.raises(ApiException) as err:
        custom.create_namespaced_custom_object(GROUP, "v1", namespace, "widgets", bad)
    assert err.value.status == 422
    assert "spec.ip" in err.value.body and "spec.mode" in err.value.body
    with pytest.raises(ApiException) as missing:
        custom.get_namespaced_custom_object(GROUP, "v1", namespace, "widgets", "bad")
    assert missing.value.status == 404


def _try_create(custom, namespace, body):
    try:
        return custom.create_namespaced_custom_object(GROUP, "v1", namespace, "widgets", body)
    except ApiException as e:
        if e.status == 404:  # the new kind is not served yet
            return None
        raise


def _statefulset(name, resources, node_selector=None):
    pod_spec = {
        "containers": [
            {
                "name": "app",
                "image": "hub.kce.ksyun.com/ksyun/nginx:latest",
                "resources": {"requests": resources, "limits": resources},
            }
        ]
    }
    if node_selector:
        pod_spec["nodeSelector"] = node_selector
    return {
        "apiVersion": "apps/v1",
        "kind": "StatefulSet",
        "metadata": {"name": name},
        "spec": {
            "replicas": 1,
            "serviceName": name,
            "podManagementPolicy": "OrderedReady",
            "selector": {"matchLabels": {"ksyun-app": name}},
            "template": {"metadata": {"labels": {"ksyun-app": name}}, "spec": pod_spec},
        },
    }


def test_the_scheduler_places_a_statefulset_pod_only_on_a_node_with_the_extended_resource(
    kube, core, namespace, wait_for
):
    with_eni = {
        n.metadata.name
        for n in core.list_node(label_selector=f"{MANAGED_LABEL}=true").items
        if "ksyun/eni-private-ip" in (n.status.allocatable or {})
    }
    without = {n.metadata.name for n in core.list_node(label_selector=f"{MANAGED_LABEL}=true").items} - with_eni
    assert with_eni and without, "the sandbox must have nodes with and without VPC-CNI resources"

    apps = client.AppsV1Api(kube)
    apps.create_namespaced_stateful_set(namespace, _statefulset("sts", {"ksyun/eni-private-ip": "1"}))
    pod = wait_for("sts-0 bound to a node", lambda: _bound(core, namespace, "sts-0"))
    assert pod.spec.node_name in with_eni

    target = sorted(without)[0]
    apps.create_namespaced_stateful_set(
        namespace, _statefulset("pinned", {"ksyun/eni-private-ip": "1"}, {"kubernetes.io/hostname": target})
    )
    reason = wait_for("pinned-0 reported unschedulable", lambda: _unschedulable(core, namespace, "pinned-0"))
    assert "ksyun/eni-private-ip" in reason
    assert core.read_namespaced_pod("pinned-0", namespace).spec.node_name is None


def _bound(core, namespace, name):
    try:
        pod = core.read_namespaced_pod(name, namespace)
    except ApiException as e:
        if e.status == 404:
            return None
        raise
    return pod if pod.spec.node_name else None


def _unschedulable(core, namespace, name):
    try:
        pod = core.read_namespaced_pod(name, namespace)
    except ApiException as e:
        if e.status == 404:
            return None
        raise
    for cond in pod.status.conditions or []:
        if cond.type == "PodScheduled" and cond.status == "False" and cond.reason == "Unschedulable":
            return cond.message
    return None


def test_an_update_with_a_stale_resource_version_is_rejected_with_409(core, namespace):
    cm = core.create_namespaced_config_map(
        namespace, {"metadata": {"name": "reservation"}, "data": {"ip": "10.0.0.236"}}
    )
    stale = cm.metadata.resource_version
    core.patch_namespaced_config_map("reservation", namespace, {"data": {"ip": "10.0.0.237"}})
    with pytest.raises(ApiException) as err:
        core.replace_namespaced_config_map(
            "reservation",
            namespace,
            {"metadata": {"name": "reservation", "resourceVersion": stale}, "data": {"ip": "10.0.0.238"}},
        )
    assert err.value.status == 409
    assert core.read_namespaced_config_map("reservation", namespace).data["ip"] == "10.0.0.237"
