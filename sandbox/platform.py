"""The sandbox's KCE platform: what managed KCE does when VPC-CNI is switched on or off through its API.

The emulator's kce2 ``ModifyCluster`` with ``VpcCNI`` calls ``reconcile_vpc_cni`` (in a thread of its own, outside the
emulator's state lock) when it runs as the sandbox's platform (``--platform-kubeconfig``); the cluster's phase stays
updating until it returns, and a raised ``PlatformError`` becomes the failed phase with its message.

Switched on, the platform installs the VPC-CNI add-on as KCE would: the record CRDs, the add-on's configuration (the
cluster's DaemonMode, container subnets per zone and ENI security group, in the ConfigMap kube-system/ksyun-vpc-cni the
node agent obeys) and its DaemonSet, and waits until the DaemonSet's pods are Ready on the VPC-CNI nodes. It does so by
running the collection's own manifest path (role ``ksyun.kce.vpc_cni`` with ``vpc_cni_manage_daemonset: true``, field
manager ``kce-platform``): the objects a self-managed cluster gets from the role are the objects the sandbox's platform
installs, so there is one definition of them. Switched off, it removes the add-on's DaemonSet and RBAC; the CRDs, the
configuration and every reservation stay (no reserved IP is lost by switching VPC-CNI off).
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import eni_cluster_name
from sandbox.node_agent.nodes import VPC_CNI_LABEL
from sandbox.paths import REPO_ROOT, collections_root

PLAYBOOK = REPO_ROOT / "sandbox" / "platform_vpc_cni.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
FIELD_MANAGER = "kce-platform"
TIMEOUT = 300.0


class PlatformError(RuntimeError):
    """The platform could not bring the cluster to the asked VPC-CNI state; the message says why."""


def platform_vars(cluster: dict) -> dict:
    """The role variables of the add-on the platform installs for ``cluster`` (see reconcile_vpc_cni)."""
    vpc_cni = cluster.get("VpcCNI") or {}
    zones = cluster.get("Subnets") or {}
    pod_subnets: dict = {}
    for subnet_id in vpc_cni.get("SubnetIds") or []:
        if subnet_id not in zones:
            raise PlatformError(f"VpcCNI names subnet {subnet_id}, which the platform does not know")
        pod_subnets.setdefault(zones[subnet_id], []).append(subnet_id)
    group = vpc_cni.get("SecurityGroup") or ""
    return {
        "vpc_cni_enabled": bool(vpc_cni.get("Enable")),
        "vpc_cni_cluster_name": eni_cluster_name(cluster.get("ClusterName") or "", cluster["ClusterId"]),
        "vpc_cni_security_group_ids": [group] if group else [],
        "vpc_cni_pod_subnets": pod_subnets,
        "vpc_cni_daemon_mode": vpc_cni.get("DaemonMode") or "",
        "vpc_cni_node_selector": {"kubernetes.io/os": "linux", VPC_CNI_LABEL: "true"},
        "vpc_cni_field_manager": FIELD_MANAGER,
    }


def reconcile_vpc_cni(kubeconfig: str, cluster: dict) -> None:
    """Make the cluster behind ``kubeconfig`` run VPC-CNI as ``cluster["VpcCNI"]`` says (or not at all).

    cluster: {"ClusterId", "ClusterName", "VpcCNI": {"Enable": bool, "DaemonMode": "eniOnly"|"eniMultiIP",
    "SubnetIds": [...], "SecurityGroup": "..."}, "Subnets": {subnet id: zone}} (the zones of its subnets, from the
    emulator's topology)."""
    variables = platform_vars(cluster)
    if variables["vpc_cni_enabled"] and not (
        variables["vpc_cni_pod_subnets"] and variables["vpc_cni_security_group_ids"]
    ):
        raise PlatformError("VpcCNI is switched on without container subnets or a security group")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "K8S_AUTH_"))}
    env.update(
        K8S_AUTH_KUBECONFIG=str(kubeconfig),
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
    )
    log = Path(kubeconfig).parent / "logs" / "platform.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", suffix=".yml", prefix="platform-vars-", delete=False) as extra:
        yaml.safe_dump(variables, extra)
    try:
        proc = subprocess.run(
            [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(PLAYBOOK), "-e", "@" + extra.name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise PlatformError(f"the VPC-CNI add-on was not ready after {TIMEOUT:.0f}s (log {log})") from None
    finally:
        os.unlink(extra.name)
    with log.open("a") as f:
        f.write(f"== {cluster['ClusterId']} VpcCNI {cluster.get('VpcCNI')}\n{proc.stdout}\n")
    if proc.returncode != 0:
        raise PlatformError(f"installing the VPC-CNI add-on failed: {_failure(proc.stdout)} (log {log})")


def _failure(output: str) -> str:
    """The message of the playbook's failed task, on one line."""
    for line in output.splitlines():
        if line.startswith(("fatal:", "failed:")) and '"msg"' in line:
            return line.split('"msg":', 1)[1].strip().strip("}").strip()[:500]
    return "\n".join(output.splitlines()[-5:])[:500]
