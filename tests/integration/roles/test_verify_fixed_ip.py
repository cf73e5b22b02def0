"""playbooks/verify_fixed_ip.yml, the product page's check, run with the real ansible-playbook against the sandbox: a
fixed-IP pod deleted comes back with the same IP (PASS); a pod that does not come back fails the play (FAIL); a pod
without a fixed IP is refused before anything is deleted."""

import json
from pathlib import Path

import pytest
from fixed_ip_pods import statefulset
from kubernetes import client

pytestmark = pytest.mark.controlplane

PLAYBOOK = Path(__file__).resolve().parents[3] / "playbooks" / "verify_fixed_ip.yml"
ZONE_6A_NODES = ("10.0.0.47", "10.0.0.48", "10.0.0.49", "10.0.0.50")


def verify(ansible, namespace, name, timeout=60):
    extra = {
        "verify_fixed_ip_statefulsets": [{"namespace": namespace, "name": name}],
        "verify_fixed_ip_timeout": timeout,
    }
    return ansible(PLAYBOOK, args=("-e", json.dumps(extra)))


@pytest.fixture
def apps(kube):
    return client.AppsV1Api(kube)


@pytest.fixture
def core(kube):
    return client.CoreV1Api(kube)


def running_pod(core, wait_for, namespace, name):
    def running():
        try:
            pod = core.read_namespaced_pod(name, namespace)
        except client.exceptions.ApiException:
            return None
        return (
            pod if pod.status.phase == "Running" and pod.status.pod_ip and not pod.metadata.deletion_timestamp else None
        )

    return wait_for("pod %s/%s running with an IP" % (namespace, name), running, timeout=90)


def test_a_fixed_ip_pod_passes_and_one_that_does_not_come_back_fails_the_play(ansible, namespace, apps, core, wait_for):
    apps.create_namespaced_stateful_set(namespace, statefulset("web", "shared", 1))
    before = running_pod(core, wait_for, namespace, "web-0")

    passed = verify(ansible, namespace, "web")
    assert passed.rc == 0, passed
    lines = passed.task("Show before and after")["msg"]
    ip = before.status.pod_ip
    assert lines == [
        "PASS %s/web-0 (shared ENI mode): IP %s on node %s before; IP %s on node %s after"
        % (namespace, ip, before.spec.node_name, ip, running_pod(core, wait_for, namespace, "web-0").spec.node_name)
    ]
    assert running_pod(core, wait_for, namespace, "web-0").metadata.uid != before.metadata.uid

    # No node of the pod's zone takes pods: the new web-0 stays Pending, so it cannot come back with its IP.
    for node in ZONE_6A_NODES:
        core.patch_node(node, {"spec": {"unschedulable": True}})
    try:
        failed = verify(ansible, namespace, "web", timeout=6)
    finally:
        for node in ZONE_6A_NODES:
            core.patch_node(node, {"spec": {"unschedulable": False}})
    assert failed.rc != 0
    lines = failed.task("Show before and after")["msg"]
    assert len(lines) == 1 and lines[0].startswith("FAIL %s/web-0 (shared ENI mode): IP %s on node" % (namespace, ip))
    assert lines[0].endswith("before; the pod did not run again within 6s (it is Pending)"), lines
    assert failed.task("Fail unless every pod kept its IP (and ENI)")["failed"]
    assert running_pod(core, wait_for, namespace, "web-0").status.pod_ip == ip, "back once a node takes it again"


def test_a_pod_without_a_fixed_ip_is_refused_before_anything_is_deleted(ansible, namespace, apps, core, wait_for):
    body = statefulset("plain", "shared", 1)
    del body["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-ip-fixed"]
    apps.create_namespaced_stateful_set(namespace, body)
    before = running_pod(core, wait_for, namespace, "plain-0")

    refused = verify(ansible, namespace, "plain")
    assert refused.rc != 0
    assert "%s/plain-0: the pod's IP is not fixed" % namespace in refused.msg, refused.msg
    assert "nothing was deleted" in refused.msg
    assert core.read_namespaced_pod("plain-0", namespace).metadata.uid == before.metadata.uid


def test_no_statefulset_listed_is_refused(ansible):
    refused = ansible(PLAYBOOK)
    assert refused.rc != 0 and 'verify_fixed_ip_statefulsets is "not set"' in refused.msg, refused.msg
