"""ksyun.kce.fixed_ip_statefulset with fixed_ip_statefulset_output render: the short form (ports, volume claim
templates, labels) becomes a fixed-IP StatefulSet file, with no cluster and no cloud to talk to, and StatefulSets
rendered into one folder keep each other's files."""

import pytest
import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import ZONE_LABEL

pytestmark = pytest.mark.controlplane

ROLE = "ksyun.kce.fixed_ip_statefulset"
# Nothing to connect to: a render that tried to read the cluster or call the cloud would fail.
NO_CLUSTER = {"K8S_AUTH_KUBECONFIG": "/nonexistent/kubeconfig", "KSYUN_ENDPOINT": "http://127.0.0.1:9"}


def render(name, render_dir, **extra):
    return {
        "name": "render " + name,
        "ansible.builtin.include_role": {"name": ROLE},
        "vars": dict(
            {
                "fixed_ip_statefulset_name": name,
                "fixed_ip_statefulset_namespace": "db",
                "fixed_ip_statefulset_image": "hub.kce.ksyun.com/ksyun/mysql:8.0",
                "fixed_ip_statefulset_mode": "exclusive",
                "fixed_ip_statefulset_zone": "cn-beijing-6b",
                "fixed_ip_statefulset_output": "render",
                "fixed_ip_statefulset_render_dir": str(render_dir),
            },
            **extra,
        ),
    }


def test_the_short_form_renders_a_fixed_ip_statefulset_without_a_cluster(ansible, tmp_path):
    folder = tmp_path / "rendered"
    run = ansible(
        [
            {
                "name": "render",
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [
                    render(
                        "mysql",
                        folder,
                        fixed_ip_statefulset_replicas=3,
                        fixed_ip_statefulset_ports=[3306, {"name": "metrics", "containerPort": 9104}],
                        fixed_ip_statefulset_labels={"app": "mysql", "tier": "db"},
                        fixed_ip_statefulset_retention="24h",
                        fixed_ip_statefulset_volume_claim_templates=[
                            {"name": "data", "size": "20Gi", "mount_path": "/var/lib/mysql"},
                            {
                                "name": "logs",
                                "size": "1Gi",
                                "mount_path": "/var/log/mysql",
                                "storage_class_name": "ssd",
                                "access_modes": ["ReadWriteOncePod"],
                            },
                        ],
                    ),
                    render("redis", folder, fixed_ip_statefulset_mode="shared"),
                    {"name": "the result", "ansible.builtin.debug": {"var": "fixed_ip_statefulset_result"}},
                ],
            }
        ],
        env=NO_CLUSTER,
    )
    assert run.rc == 0, run
    files = sorted(path.name for path in folder.iterdir())
    assert files == [
        "fixed_ip_statefulset.db.mysql__statefulset-db-mysql.yaml",
        "fixed_ip_statefulset.db.redis__statefulset-db-redis.yaml",
    ]
    sts = yaml.safe_load((folder / files[0]).read_text())
    assert sts["metadata"] == {
        "name": "mysql",
        "namespace": "db",
        "labels": {"app": "mysql", "tier": "db"},
        "annotations": {"k8s.ksyun.com/ip-retention": "1d"},
    }
    spec = sts["spec"]
    assert (spec["replicas"], spec["serviceName"], spec["selector"]) == (
        3,
        "mysql",
        {"matchLabels": {"app": "mysql", "tier": "db"}},
    )
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    assert container["ports"] == [{"containerPort": 3306}, {"name": "metrics", "containerPort": 9104}]
    assert container["volumeMounts"] == [
        {"name": "data", "mountPath": "/var/lib/mysql"},
        {"name": "logs", "mountPath": "/var/log/mysql"},
    ]
    assert container["resources"] == {"requests": {"ksyun/eni": "1"}, "limits": {"ksyun/eni": "1"}}
    assert spec["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eni"] == "true"
    assert pod["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"] == [
        {"matchExpressions": [{"key": ZONE_LABEL, "operator": "In", "values": ["cn-beijing-6b"]}]}
    ]
    assert spec["volumeClaimTemplates"] == [
        {
            "metadata": {"name": "data"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "20Gi"}}},
        },
        {
            "metadata": {"name": "logs"},
            "spec": {
                "accessModes": ["ReadWriteOncePod"],
                "storageClassName": "ssd",
                "resources": {"requests": {"storage": "1Gi"}},
            },
        },
    ]
    result = run.task("the result")["fixed_ip_statefulset_result"]
    assert (result["name"], result["output"], result["checked"], result["pods"]) == ("redis", "render", False, [])
    redis = yaml.safe_load((folder / files[1]).read_text())
    assert redis["spec"]["template"]["metadata"]["annotations"]["k8s.ksyun.com/pod-eniip"] == "true"
    assert redis["metadata"]["labels"] == {"app.kubernetes.io/name": "redis"}


def test_rendering_without_a_zone_needs_the_cluster_and_says_so(ansible, tmp_path):
    run = ansible(
        [
            {
                "name": "render",
                "hosts": "localhost",
                "gather_facts": False,
                "tasks": [render("mysql", tmp_path / "rendered", fixed_ip_statefulset_zone="")],
            }
        ],
        env=NO_CLUSTER,
    )
    assert run.rc != 0
    assert run.failures[-1][0].endswith("Read the VPC-CNI configuration (container subnets per zone)"), run
    assert not (tmp_path / "rendered").exists()
