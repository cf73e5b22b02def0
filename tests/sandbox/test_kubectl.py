"""The real kubectl is part of the sandbox: built with the control plane (same Go modules and version), cached with it,
and run here against the session's sandbox as a user runs it (sandbox/kubectl.py)."""

import json
import os
import re
import shlex
import subprocess
import sys

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import crd
from sandbox import kubectl
from sandbox.controlplane import binaries
from sandbox.paths import REPO_ROOT

pytestmark = pytest.mark.controlplane

K8S_VERSION = "v1.37.2"


def run(state, *args):
    out = kubectl.run(state, *args)
    assert out.returncode == 0, f"kubectl {' '.join(args)} failed (exit {out.returncode}): {out.stderr}"
    return out.stdout


def table(text):
    """kubectl's table output as dicts, cut at the header's column offsets (a cell may be empty, e.g. RECLAIM-AT)."""
    lines = text.splitlines()
    header = lines[0]
    starts = [m.start() for m in re.finditer(r"\S+(?: \S+)*", header)]
    names = [header[a:b].strip() for a, b in zip(starts, starts[1:] + [None])]
    return names, [{n: line[a:b].strip() for n, a, b in zip(names, starts, starts[1:] + [None])} for line in lines[1:]]


def printer_columns(kind):
    return [c["name"].upper() for c in crd(kind)["spec"]["versions"][0]["additionalPrinterColumns"]]


def test_kubectl_is_cached_with_the_control_plane_binaries(sandbox_state):
    path = binaries.cache_dir() / "kubectl"
    assert path.is_file() and os.access(path, os.X_OK), f"{path} is missing: the control-plane build must make kubectl"
    assert kubectl.path() == path
    assert "kubectl" in binaries.BINARIES
    versions = json.loads(run(sandbox_state, "version", "-o", "json"))
    assert versions["clientVersion"]["gitVersion"] == K8S_VERSION
    assert versions["serverVersion"]["gitVersion"] == K8S_VERSION


def test_a_cache_directory_built_before_kubectl_is_incomplete(tmp_path):
    for name in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    assert binaries.missing(tmp_path) == ["kubectl"]
    assert not binaries.installed(tmp_path)


def test_python_m_sandbox_env_points_a_shell_at_the_sandbox(sandbox_state):
    """What `eval "$(make -s sandbox-env)"` does: kubectl first on PATH, the sandbox's kubeconfig."""
    script = f'eval "$({shlex.quote(sys.executable)} -m sandbox env)" && command -v kubectl && kubectl config current-context'
    out = subprocess.run(
        ["bash", "-c", script],
        env=dict(os.environ, KSYUN_KCE_SANDBOX_DIR=sandbox_state["root"]),
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    found, context = out.stdout.split()
    assert found == str(kubectl.bin_dir(sandbox_state) / "kubectl")
    assert os.path.realpath(found) == str(binaries.cache_dir() / "kubectl")
    assert context == "ksyun-kce-sandbox"


def test_kubectl_get_nodes_lists_every_sandbox_node_ready(sandbox_state):
    names, rows = table(run(sandbox_state, "get", "nodes"))
    assert names == ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    by_name = {r["NAME"]: r for r in rows}
    assert set(sandbox_state["nodes"]) <= set(by_name)
    for node in sandbox_state["nodes"]:
        assert by_name[node]["STATUS"] == "Ready", by_name[node]


def test_kubectl_get_podeniips_and_podenis_show_the_crds_printer_columns(sandbox_state, cluster, fixed_ip_namespace):
    ns = fixed_ip_namespace
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("web", "shared"))
    cluster.apps.create_namespaced_stateful_set(ns, cluster.statefulset("db", "exclusive"))
    shared, exclusive = cluster.running(ns, "web-0"), cluster.running(ns, "db-0")
    records = cluster.records(ns)
    shared_record = records[("PodEniIP", shared.status.pod_ip)]
    exclusive_record = records[("PodEni", "db-0")]

    names, rows = table(run(sandbox_state, "get", "po", "-owide", "-n", ns))
    pods = {r["NAME"]: r for r in rows}
    assert names[:2] == ["NAME", "READY"] and "IP" in names and "NODE" in names
    for pod in (shared, exclusive):
        row = pods[pod.metadata.name]
        assert (row["STATUS"], row["IP"], row["NODE"]) == ("Running", pod.status.pod_ip, pod.spec.node_name)

    # Fully qualified: the session sandbox also serves PodEniIP/PodEni in other tests' groups, and kubectl silently
    # picks the alphabetically first group for a bare `podeniips` (behaviours-test.ksyun.com before k8s.ksyun.com).
    names, rows = table(run(sandbox_state, "get", "podeniips.k8s.ksyun.com", "-A"))
    assert names == ["NAMESPACE", "NAME"] + printer_columns("PodEniIP")
    assert names == ["NAMESPACE", "NAME", "IP", "ENI", "NODE", "PHASE", "RECLAIM-AT", "AGE"]
    mine = [r for r in rows if r["NAMESPACE"] == ns]
    assert mine == [
        {
            "NAMESPACE": ns,
            "NAME": shared.status.pod_ip,
            "IP": shared.status.pod_ip,
            "ENI": shared_record.eni_id,
            "NODE": shared.spec.node_name,
            "PHASE": "Bound",
            "RECLAIM-AT": "",
            "AGE": mine[0]["AGE"],
        }
    ]
    assert re.fullmatch(r"\d+s", mine[0]["AGE"]) and shared_record.eni_id

    names, rows = table(run(sandbox_state, "get", "podenis.k8s.ksyun.com", "-n", ns))
    assert names == ["NAME"] + printer_columns("PodEni")
    assert [(r["NAME"], r["IP"], r["ENI"], r["NODE"], r["PHASE"]) for r in rows] == [
        ("db-0", exclusive.status.pod_ip, exclusive_record.eni_id, exclusive.spec.node_name, "Bound")
    ]
