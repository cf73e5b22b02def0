"""ksyun.kce.cluster_kubeconfig through ansible-playbook: the kubeconfig DownloadClusterConfig hands out is written 0600
and atomically, works against the sandbox's real kube-apiserver, is never shown (a checksum is), and a rerun changes
nothing; an empty kubeconfig, a missing directory and an API error fail clearly without touching dest."""

import hashlib
import json
import os
import stat

import pytest
import yaml
from kce_cloud import task
from kce_clusters import CLUSTER, CLUSTER_NAME, OTHER_CLUSTER, UNKNOWN_CLUSTER
from kubernetes import client, config

WORDS = 40  # a word of the kubeconfig this long (keys, certificates) must never show in a result


def secret_words(path):
    return [word for word in path.read_text(encoding="utf-8").split() if len(word) >= WORDS]


def leaked(steps, path):
    text = json.dumps({name: step.result for name, step in steps.items()})
    return [word for word in secret_words(path) if word in text]


def node_names(path):
    api = config.new_client_from_config(config_file=str(path))
    return sorted(node.metadata.name for node in client.CoreV1Api(api).list_node().items)


# --- against the in-process emulator alone (no kube-apiserver needed) ------------------------------------------------


@pytest.mark.emulator
def test_a_cluster_whose_api_server_is_not_exposed_fails_clearly_and_leaves_dest_alone(play, tmp_path):
    dest = tmp_path / "other.kubeconfig"
    dest.write_text("kept", encoding="utf-8")
    steps = play(
        [
            task("public", "cluster_kubeconfig", {"cluster_id": OTHER_CLUSTER, "dest": str(dest)}),
            task("vpc", "cluster_kubeconfig", {"cluster_id": OTHER_CLUSTER, "dest": str(dest), "api_server": "vpc"}),
        ]
    )
    public = steps["public"]
    assert public.failed and "empty public kubeconfig (its API server is not exposed: Expose is false)" in public.msg
    assert "api_server=vpc" in public.msg and public.total_writes == 0, public
    assert public.reads == {"DescribeCluster": 1, "DownloadClusterConfig": 1}
    vpc = steps["vpc"]
    assert vpc.failed and "empty VPC kubeconfig" in vpc.msg, vpc
    assert dest.read_text(encoding="utf-8") == "kept"


@pytest.mark.emulator
@pytest.mark.parametrize("errors_http_200", [False, True])
def test_an_api_error_is_reported_with_its_code_and_http_status_whether_it_comes_as_4xx_or_200(
    play, emu, tmp_path, errors_http_200
):
    """This emulator has no kube-apiserver to describe, so DownloadClusterConfig refuses (ClusterConfigUnavailable)."""
    emu.settings.update({"kce_errors_http_200": errors_http_200})
    dest = tmp_path / "sandbox.kubeconfig"
    step = play([task("no config", "cluster_kubeconfig", {"cluster_id": CLUSTER, "dest": str(dest)})])["no config"]
    assert step.failed and step.result["code"] == "ClusterConfigUnavailable", step
    assert step.result["http_status"] == (200 if errors_http_200 else 400) and step.result["request_id"]
    assert "download the public kubeconfig of cluster %s" % CLUSTER in step.msg and not dest.exists()


@pytest.mark.emulator
def test_an_unknown_cluster_or_a_missing_directory_fails_naming_it(play, tmp_path):
    steps = play(
        [
            task("unknown", "cluster_kubeconfig", {"cluster_id": UNKNOWN_CLUSTER, "dest": str(tmp_path / "k")}),
            task("no directory", "cluster_kubeconfig", {"cluster_id": CLUSTER, "dest": str(tmp_path / "no" / "k")}),
            task("a directory", "cluster_kubeconfig", {"cluster_id": CLUSTER, "dest": str(tmp_path)}),
        ]
    )
    assert steps["unknown"].failed and UNKNOWN_CLUSTER in steps["unknown"].msg
    assert not (tmp_path / "k").exists()
    missing = steps["no directory"]
    assert missing.failed and "directory %s does not exist" % (tmp_path / "no") in missing.msg and missing.reads == {}
    assert steps["a directory"].failed and "is a directory" in steps["a directory"].msg


# --- against the sandbox's kube-apiserver --------------------------------------------------------------------------


@pytest.mark.controlplane
@pytest.mark.parametrize("strict_booleans", [False, True])
def test_the_kubeconfig_is_written_0600_works_against_the_api_server_and_a_rerun_changes_nothing(
    kplay, tmp_path, strict_booleans
):
    dest = tmp_path / "kube" / "sandbox.kubeconfig"
    dest.parent.mkdir()
    args = {"cluster_id": CLUSTER, "dest": str(dest)}
    steps = kplay(
        [
            task("check mode first", "cluster_kubeconfig", args, check=True),
            task("write", "cluster_kubeconfig", args),
            task("again", "cluster_kubeconfig", args),
            task("again in check mode", "cluster_kubeconfig", args, check=True),
        ],
        settings={"kce_strict_booleans": strict_booleans},
    )
    check = steps["check mode first"]
    assert check.changed and not check.failed, check
    write = steps["write"]
    assert write.changed and not write.failed and write.total_writes == 0, write
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600
    checksum = hashlib.sha256(dest.read_bytes()).hexdigest()
    assert write.result["checksum"] == checksum and write.result["mode"] == "0600"
    assert write.diff == {
        "before": {"dest": str(dest), "checksum": None, "mode": None},
        "after": {"dest": str(dest), "checksum": checksum, "mode": "0600"},
    }
    assert check.result["checksum"] == checksum and check.diff == write.diff
    assert write.result["cluster_name"] == CLUSTER_NAME and write.result["exposed"] is True
    again = steps["again"]
    assert again.is_noop and again.diff["before"] == again.diff["after"] == write.diff["after"], again
    assert not steps["again in check mode"].changed
    assert secret_words(dest) and not leaked(steps, dest)
    assert not [p for p in dest.parent.iterdir() if p != dest], "a temporary file was left behind"
    server = yaml.safe_load(dest.read_text(encoding="utf-8"))["clusters"][0]["cluster"]["server"]
    assert server.startswith("https://127.0.0.1:")
    assert node_names(dest) == ["10.0.0.47", "10.0.0.48", "10.0.0.49", "10.0.0.50", "10.0.1.20"]


@pytest.mark.controlplane
def test_check_mode_writes_nothing_and_a_wrong_mode_or_old_content_is_a_change(kplay, tmp_path):
    dest = tmp_path / "sandbox.kubeconfig"
    args = {"cluster_id": CLUSTER, "dest": str(dest)}
    first = kplay([task("check mode", "cluster_kubeconfig", args, check=True)])["check mode"]
    assert first.changed and not dest.exists(), first
    kplay([task("write", "cluster_kubeconfig", args)])
    content = dest.read_bytes()
    os.chmod(dest, 0o644)
    loose = kplay([task("mode only", "cluster_kubeconfig", args)])["mode only"]
    assert loose.changed and loose.diff["before"]["mode"] == "0644" and loose.diff["after"]["mode"] == "0600"
    assert loose.diff["before"]["checksum"] == loose.diff["after"]["checksum"]
    assert stat.S_IMODE(os.stat(dest).st_mode) == 0o600 and dest.read_bytes() == content
    dest.write_text("apiVersion: v1\nkind: Config\n", encoding="utf-8")
    os.chmod(dest, 0o600)
    stale = kplay([task("stale in check mode", "cluster_kubeconfig", args, check=True)])["stale in check mode"]
    assert stale.changed and dest.read_text(encoding="utf-8") == "apiVersion: v1\nkind: Config\n"


@pytest.mark.controlplane
@pytest.mark.parametrize("blank_internal", [True, False])
def test_the_vpc_variant_points_at_the_internal_address_and_works(kplay, tmp_path, blank_internal):
    dest = tmp_path / "internal.kubeconfig"
    steps = kplay(
        [
            task("vpc", "cluster_kubeconfig", {"name": CLUSTER_NAME, "dest": str(dest), "api_server": "vpc"}),
            task(
                "vpc of a cluster not exposed",
                "cluster_kubeconfig",
                {"cluster_id": OTHER_CLUSTER, "dest": str(tmp_path / "other"), "api_server": "vpc"},
            ),
        ],
        settings={"kce_blank_internal_config": blank_internal},
    )
    step = steps["vpc"]
    assert step.changed and not step.failed and step.result["api_server"] == "vpc", step
    doc = yaml.safe_load(dest.read_text(encoding="utf-8"))
    assert doc["clusters"][0]["cluster"]["server"].startswith("https://localhost:")
    assert len(node_names(dest)) == 5 and not leaked(steps, dest)
    other = steps["vpc of a cluster not exposed"]
    # Whether a cluster that is not exposed still gives its VPC kubeconfig is [U]: both answers are handled.
    assert other.failed == blank_internal, other
    assert (tmp_path / "other").exists() != blank_internal
