# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The read model of KCE clusters: API answers as the domain's ClusterSnapshot, and the platform's words in one place.

A cluster is read from three answers (kce-api reference §2): kce 2023-11-15 DescribeCluster (VPC, network type, manage
mode, version, status), kce2 DescribeClusters (VpcCNI, Status.Phase; no VpcId) and kce 2019-08-06
DescribeClusterInstance (the nodes: instance, zone, subnet, type, status, security groups). Every word of the platform
the collection interprets (the VPC-CNI daemon modes, the KCE 2.0 phases) is translated here and nowhere else.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import (  # noqa: F401 pylint: disable=unused-import
    DAEMON_MODES,
    PHASE_FAILED,
    PHASE_OTHER,
    PHASE_RUNNING,
    PHASE_UPDATING,
    ClusterNode,
    ClusterSnapshot,
    VpcCniSettings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, first_or_none, is_not_found

# kce2 VpcCNI.DaemonMode: fixed_ip.cluster.DAEMON_MODES (imported above for the cloud layer's callers).
_MODES_BY_WORD = {word.lower(): mode for mode, word in DAEMON_MODES.items()}

# kce2 cluster Status.Phase: the real words are [U] (reference §5). These are the emulator's (docs/sandbox.md, KCE),
# compared case-insensitively; a word not listed is PHASE_OTHER, which a wait never takes for done or failed.
PHASES: Dict[str, str] = {
    "running": PHASE_RUNNING,
    "updating": PHASE_UPDATING,
    "failed": PHASE_FAILED,
}


def cluster_phase(text: Optional[str]) -> str:
    return PHASES.get((text or "").strip().lower(), PHASE_OTHER)


def _bool(value: Any) -> bool:
    """A boolean as JSON or as text ("true", "True"): the answers' form is not documented."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


def _int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _ids(value: Any) -> List[str]:
    """A list of ids as JSON gives it, or as a 1-based dict, or one id."""
    if isinstance(value, Mapping):
        value = [value[k] for k in sorted(value, key=lambda k: (_int(k) is None, _int(k) or 0, str(k)))]
    if isinstance(value, str):
        value = [value]
    return [str(v) for v in value or [] if v]


def vpc_cni_settings(kce2_item: Mapping[str, Any]) -> VpcCniSettings:
    """VpcCniSettings of a kce2 DescribeClusters item (Network.VpcCNI; absent means off)."""
    vpc_cni = ((kce2_item.get("Network") or {}).get("VpcCNI")) or {}
    word = vpc_cni.get("DaemonMode") or ""
    return VpcCniSettings(
        enabled=_bool(vpc_cni.get("Enable")),
        mode=_MODES_BY_WORD.get(word.lower()),
        subnet_ids=tuple(_ids(vpc_cni.get("SubnetIds") if "SubnetIds" in vpc_cni else vpc_cni.get("SubnetId"))),
        security_group_id=vpc_cni.get("SecurityGroup") or "",
        daemon_mode=word,
    )


def _status(kce2_item: Mapping[str, Any]) -> Mapping[str, Any]:
    status = kce2_item.get("Status")
    return status if isinstance(status, Mapping) else {"Phase": status}


def cluster_node(item: Mapping[str, Any]) -> ClusterNode:
    """A ClusterNode of a DescribeClusterInstance item: KEC nodes in KecInstancePara, bare metal in EpcInstancePara.
    The security groups are those of the NIC in the node's subnet, as KSYUN's Terraform provider reads them."""
    para = item.get("KecInstancePara") or item.get("EpcInstancePara") or {}
    nics = para.get("NetworkInterfaceSet") or []
    nic = next((n for n in nics if n.get("SubnetId") and n.get("SubnetId") == para.get("SubnetId")), None)
    nic = (
        nic or next((n for n in nics if n.get("NetworkInterfaceType") == "primary"), None) or (nics[0] if nics else {})
    )
    groups = [g.get("SecurityGroupId") for g in nic.get("SecurityGroupSet") or [] if g.get("SecurityGroupId")]
    return ClusterNode(
        instance_id=item.get("InstanceId") or "",
        name=item.get("NodeName") or item.get("InstanceName") or "",
        role=item.get("InstanceRole") or "",
        status=item.get("InstanceStatus") or "",
        zone=para.get("AvailabilityZone") or "",
        subnet_id=para.get("SubnetId") or nic.get("SubnetId") or "",
        vpc_id=para.get("VpcId") or "",
        instance_type=para.get("InstanceType") or para.get("ProductType") or "",
        private_ip=para.get("PrivateIpAddress") or nic.get("PrivateIpAddress") or "",
        security_group_ids=tuple(groups),
    )


def cluster_snapshot(
    item: Mapping[str, Any], kce2_item: Optional[Mapping[str, Any]] = None, nodes: Iterable[Mapping[str, Any]] = ()
) -> ClusterSnapshot:
    """A ClusterSnapshot of a DescribeCluster item, its kce2 DescribeClusters item (None: not listed there, VPC-CNI
    unknown) and its DescribeClusterInstance items (sorted by instance id)."""
    status = _status(kce2_item or {})
    return ClusterSnapshot(
        cluster_id=item.get("ClusterId") or "",
        name=item.get("ClusterName") or "",
        vpc_id=item.get("VpcId") or "",
        vpc_cidr=item.get("VpcCidr") or "",
        network_type=item.get("NetworkType") or "",
        manage_mode=item.get("ClusterManageMode") or "",
        kubernetes_version=item.get("K8sVersion") or "",
        status=item.get("Status") or "",
        pod_cidr=item.get("PodCidr") or "",
        service_cidr=item.get("ServiceCidr") or "",
        node_count=_int(item.get("NodeNum")),
        vpc_cni=vpc_cni_settings(kce2_item) if kce2_item is not None else None,
        phase=cluster_phase(status.get("Phase")),
        phase_text=status.get("Phase") or "",
        phase_message=status.get("Message") or status.get("Reason") or "",
        nodes=tuple(sorted((cluster_node(n) for n in nodes), key=lambda node: node.instance_id)),
    )


def kce2_snapshot(kce2_item: Mapping[str, Any]) -> ClusterSnapshot:
    """The KCE 2.0 view alone (VPC-CNI and phase): what a wait reads."""
    return cluster_snapshot(
        {"ClusterId": kce2_item.get("ClusterId"), "ClusterName": kce2_item.get("ClusterName")}, kce2_item
    )


class ClusterReader:
    """Clusters of a KsyunClient as ClusterSnapshots."""

    def __init__(self, client: Any) -> None:
        self.client = client

    @property
    def region(self) -> str:
        return self.client.config.region

    def _kce2_items(self, cluster_ids: Sequence[str]) -> Dict[str, Mapping[str, Any]]:
        """The kce2 items by id (one paged DescribeClusters); a not-found error means none is listed."""
        if not cluster_ids:
            return {}
        try:
            items = self.client.describe_kce2_clusters(cluster_ids)
        except KsyunApiError as err:
            if is_not_found(err):
                return {}
            raise
        return {c.get("ClusterId"): c for c in items if c.get("ClusterId") in set(cluster_ids)}

    def clusters(
        self,
        cluster_id: Optional[str] = None,
        name: Optional[str] = None,
        with_nodes: bool = True,
        with_vpc_cni: bool = True,
    ) -> List[ClusterSnapshot]:
        """The cluster by id, the clusters named exactly name, or every cluster; with_vpc_cni, each with its KCE 2.0
        view (one DescribeClusters for all) and, with_nodes, its nodes (one paged DescribeClusterInstance each)."""
        if cluster_id:
            found = self.client.get_cluster(cluster_id)
            items = [found] if found is not None and (not name or found.get("ClusterName") == name) else []
        elif name:
            items = self.client.find_clusters_by_name(name)
        else:
            items = self.client.describe_clusters()
        ids = [item.get("ClusterId") for item in items if item.get("ClusterId")]
        kce2 = self._kce2_items(ids) if with_vpc_cni else {}
        snapshots = []
        for item in items:
            nodes = self.client.describe_cluster_instances(item["ClusterId"]) if with_nodes else []
            snapshots.append(cluster_snapshot(item, kce2.get(item.get("ClusterId")), nodes))
        return sorted(snapshots, key=lambda cluster: (cluster.name, cluster.cluster_id))

    def cluster(self, cluster_id: str, with_nodes: bool = True, with_vpc_cni: bool = True) -> Optional[ClusterSnapshot]:
        """The cluster, or None when it does not exist (an empty answer or a not-found error)."""
        return first_or_none(
            lambda: self.clusters(cluster_id=cluster_id, with_nodes=with_nodes, with_vpc_cni=with_vpc_cni)
        )

    def vpc_cni_state(self, cluster_id: str) -> Optional[ClusterSnapshot]:
        """The cluster's KCE 2.0 view alone (one DescribeClusters), None when it is not listed."""
        item = self.client.get_kce2_cluster(cluster_id)
        return kce2_snapshot(item) if item is not None else None
