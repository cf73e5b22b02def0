"""The add-ons a KCE cluster with VPC-CNI and multus has, installed into the sandbox by the collection's own roles.

``python -m sandbox up`` calls ``install_addons`` once the nodes are Ready; ``up --bare`` does not, so the cluster has
none of it, as a new cluster before the roles ran. There is one way in: ``install_addons`` runs
``playbooks/deploy.yml`` (roles ksyun.kce.multus and ksyun.kce.vpc_cni) with ``ansible-playbook``, against the
sandbox's API server and KSYUN emulator, with the variables ``addons_vars`` derives from the topology (written to
``addons-vars.yml`` in the sandbox directory, where the molecule scenarios read them too):

- VPC-CNI switched on through the KCE API (the vpc_cni role's KCE path, ``vpc_cni_cluster_id`` = the topology's KCE
  cluster): the emulator's kce2 ModifyCluster, and the sandbox's platform (sandbox/platform.py) installing the add-on;
- the CRDs PodEni / PodEniIP / VpcIP and the ConfigMap kube-system/ksyun-vpc-cni (cluster ``sandbox``, the topology's
  security group, the container subnets of sandbox/node_agent/vpc_cni.py, the platform's DaemonMode ``eniMultiIP``);
- the CRD network-attachment-definitions.k8s.cni.cncf.io and the NetworkAttachmentDefinition kube-system/vpc-cni;
- the DaemonSet kube-system/ksyun-vpc-cni (pods labelled app.kubernetes.io/name=ksyun-vpc-cni, host network, on nodes
  labelled k8s.ksyun.com/vpc-cni=true) and the DaemonSet kube-system/kube-multus-ds (pods labelled app=multus,
  name=multus, host network, on every node).

No container of these DaemonSets runs: the node agent reports their pods Running on the node's IP, and acts as
VPC-CNI / multus on a node while they are Ready there (sandbox/node_agent/cni.py).
"""

import os
import subprocess
import sys
from pathlib import Path

import yaml

from sandbox.node_agent import cni
from sandbox.node_agent.nodes import VPC_CNI_LABEL
from sandbox.node_agent.vpc_cni import sandbox_settings
from sandbox.paths import REPO_ROOT, collections_root

DEPLOY = REPO_ROOT / "playbooks" / "deploy.yml"
ANSIBLE_PLAYBOOK = Path(sys.executable).parent / "ansible-playbook"
# Any credentials do for the emulator; they are what a user exports for the KSYUN API.
CREDENTIALS = {"KSYUN_ACCESS_KEY_ID": "sandbox-access-key", "KSYUN_SECRET_ACCESS_KEY": "sandbox-secret-key-not-real"}


def addons_vars(topology) -> dict:
    """The deploy.yml variables of the sandbox cluster: the VPC-CNI settings of the topology, the VPC-CNI node pool."""
    settings = sandbox_settings(topology)
    with open(topology, encoding="utf-8") as f:
        vpcs = yaml.safe_load(f).get("vpcs") or []
    return {
        "vpc_cni_cluster_name": settings.cluster_name,
        "vpc_cni_vpc_id": vpcs[0]["id"] if len(vpcs) == 1 else "",
        "vpc_cni_security_group_ids": list(settings.security_group_ids),
        "vpc_cni_pod_subnets": {zone: list(ids) for zone, ids in sorted(settings.pod_subnets.items())},
        "vpc_cni_ip_retention": str(settings.default_retention),
        "vpc_cni_node_selector": {"kubernetes.io/os": "linux", VPC_CNI_LABEL: "true"},
    }


def kce_cluster_id(topology) -> str:
    """The KCE cluster id the sandbox plays (the topology's first ``kce.clusters`` entry), "" without one."""
    with open(topology, encoding="utf-8") as f:
        clusters = (yaml.safe_load(f).get("kce") or {}).get("clusters") or []
    return clusters[0]["id"] if clusters else ""


def kce_vars(topology) -> dict:
    """What a user of a KCE cluster passes to deploy.yml: the cluster id (the vpc_cni role's KCE path derives the rest
    from the KCE API) and the VPC-CNI node pool's label."""
    return {
        "vpc_cni_cluster_id": kce_cluster_id(topology),
        "vpc_cni_node_selector": {"kubernetes.io/os": "linux", VPC_CNI_LABEL: "true"},
    }


def write_addons_vars(topology, path: Path) -> Path:
    """addons-vars.yml (the manifest path's variables) and, beside it, kce-vars.yml (the KCE path's)."""
    path.write_text(yaml.safe_dump(addons_vars(topology), sort_keys=False))
    if kce_cluster_id(topology):
        (path.parent / "kce-vars.yml").write_text(yaml.safe_dump(kce_vars(topology), sort_keys=False))
    return path


def install_addons(kubeconfig, topology, ksyun_endpoint: str, timeout: float = 600.0) -> None:
    """Run deploy.yml (module docstring) against the sandbox; safe to run again (a rerun changes nothing).

    With a KCE cluster in the topology the vpc_cni role takes the KCE path (vpc_cni_cluster_id): it switches VPC-CNI on
    through the emulator's kce2 ModifyCluster, and the sandbox's platform (sandbox/platform.py) installs the add-on,
    as on a managed KCE cluster; the topology's settings are passed as well, so the cluster gets exactly them.
    ksyun_endpoint: host:port of the sandbox's KSYUN emulator (the vpc_cni role checks the subnets in the cloud)."""
    extra = write_addons_vars(topology, Path(kubeconfig).parent / "addons-vars.yml")
    cluster_id = kce_cluster_id(topology)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KSYUN_", "K8S_AUTH_"))}
    env.update(
        CREDENTIALS,
        K8S_AUTH_KUBECONFIG=str(kubeconfig),
        KSYUN_ENDPOINT="http://" + ksyun_endpoint,
        KSYUN_REGION=sandbox_region(topology),
        ANSIBLE_COLLECTIONS_PATH=str(collections_root()),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_NOCOLOR="1",
    )
    proc = subprocess.run(
        [str(ANSIBLE_PLAYBOOK), "-i", "localhost,", str(DEPLOY), "-e", "@" + str(extra)]
        + (["-e", "vpc_cni_cluster_id=" + cluster_id] if cluster_id else []),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=timeout,
    )
    log = Path(kubeconfig).parent / "logs" / "addons.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(proc.stdout)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.splitlines()[-40:])
        raise RuntimeError(f"the add-on roles failed (playbooks/deploy.yml, rc {proc.returncode}; log {log}):\n{tail}")


def sandbox_region(topology) -> str:
    with open(topology, encoding="utf-8") as f:
        return yaml.safe_load(f)["region"]


def ready_nodes(core, addon: str) -> set:
    """The nodes with a Ready pod of the add-on's DaemonSet (what the node agent goes by)."""
    selector = ",".join(f"{k}={v}" for k, v in cni.DAEMONSET_LABELS[addon].items())
    listed = core.api_client.sanitize_for_serialization(
        core.list_namespaced_pod(cni.ADDON_NAMESPACE, label_selector=selector)
    )
    return {
        pod["spec"].get("nodeName")
        for pod in listed.get("items") or []
        if cni.addon_of(pod) == addon and cni.ready(pod)
    }
