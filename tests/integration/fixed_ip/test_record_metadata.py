"""The one record store never drops what others added to a PodEniIP: labels, annotations, finalizers, owner references.

Seen before the store was one: a label and an Argo CD tracking annotation added with kubectl were gone after one
delete and re-create of the pod. Here each is added with the kubernetes client, then the record goes through a
bind (node agent), a release, a rebind on another node and a ksyun.kce.pod_eni_ip run, and all of them survive.
"""

import pytest
from fixed_ip_sandbox import SUBNET_6A

pytestmark = pytest.mark.controlplane

FIXED_SHARED = {
    "k8s.ksyun.com/pod-eniip": "true",
    "k8s.ksyun.com/pod-ip-fixed": "true",
    "v1.multus-cni.io/default-network": "kube-system/vpc-cni",
}
FINALIZER = "example.com/keep-for-audit"
THEIRS = {
    "labels": {"team": "payments"},
    "annotations": {"argocd.argoproj.io/tracking-id": "payments:k8s.ksyun.com/PodEniIP:db/x"},
}


def pod(name, node):
    """An ownerless fixed-IP pod (allowed a fixed IP, like a static pod) bound straight to node."""
    one = {"ksyun/eni-private-ip": "1"}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "annotations": dict(FIXED_SHARED)},
        "spec": {
            "nodeName": node,
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "app",
                    "image": "hub.kce.ksyun.com/ksyun/nginx:latest",
                    "resources": {"requests": one, "limits": one},
                }
            ],
        },
    }


def theirs_kept(record, owner_uid):
    meta = record["metadata"]
    return (
        meta["labels"].get("team") == "payments"
        and meta.get("annotations", {}).get("argocd.argoproj.io/tracking-id")
        == THEIRS["annotations"]["argocd.argoproj.io/tracking-id"]
        and FINALIZER in meta.get("finalizers", [])
        and [o["uid"] for o in meta.get("ownerReferences", [])] == [owner_uid]
    )


def test_labels_annotations_finalizers_and_owners_added_by_others_survive_bind_release_rebind_and_a_module_run(
    playbook, namespace, dyn, wait_for
):
    pods = dyn.resources.get(api_version="v1", kind="Pod")
    records = dyn.resources.get(api_version="k8s.ksyun.com/v1", kind="PodEniIP")
    owner = (
        dyn.resources.get(api_version="v1", kind="ConfigMap")
        .create(namespace=namespace, body={"metadata": {"name": "owner"}, "data": {}})
        .to_dict()["metadata"]
    )
    pods.create(namespace=namespace, body=pod("db-0", "10.0.0.47"))
    ip = wait_for(
        "db-0 running with an IP", lambda: pods.get(namespace=namespace, name="db-0").to_dict()["status"].get("podIP")
    )
    records.patch(
        namespace=namespace,
        name=ip,
        content_type="application/merge-patch+json",
        body={
            "metadata": dict(
                THEIRS,
                finalizers=[FINALIZER],
                ownerReferences=[{"apiVersion": "v1", "kind": "ConfigMap", "name": "owner", "uid": owner["uid"]}],
            )
        },
    )
    try:
        pods.delete(namespace=namespace, name="db-0")

        def reserved():
            found = records.get(namespace=namespace, name=ip).to_dict()
            return found if found.get("status", {}).get("phase") == "Reserved" else None

        released = wait_for("the record Reserved after the release", reserved)
        assert theirs_kept(released, owner["uid"]), released["metadata"]

        pods.create(namespace=namespace, body=pod("db-0", "10.0.0.48"))
        wait_for(
            "db-0 back on 10.0.0.48 with its IP",
            lambda: pods.get(namespace=namespace, name="db-0").to_dict()["status"].get("podIP") == ip,
        )
        rebound = records.get(namespace=namespace, name=ip).to_dict()
        assert rebound["status"]["phase"] == "Bound" and rebound["status"]["nodeName"] == "10.0.0.48"
        assert theirs_kept(rebound, owner["uid"]), rebound["metadata"]

        steps = playbook(
            [
                {
                    "name": "retention by the module",
                    "ksyun.kce.pod_eni_ip": {"namespace": namespace, "ip": ip, "retention": "7d"},
                }
            ]
        )
        assert steps["retention by the module"].changed
        written = records.get(namespace=namespace, name=ip).to_dict()
        assert written["spec"]["retention"] == "7d" and written["spec"]["subnetId"] == SUBNET_6A
        assert theirs_kept(written, owner["uid"]), written["metadata"]
        assert written["metadata"]["labels"]["k8s.ksyun.com/managed-by"] == "ksyun.kce"
    finally:
        records.patch(
            namespace=namespace,
            name=ip,
            content_type="application/merge-patch+json",
            body={"metadata": {"finalizers": None}},
        )
        pods.delete(namespace=namespace, name="db-0")
        wait_for("db-0 gone", lambda: not pods.get(namespace=namespace).to_dict()["items"])
