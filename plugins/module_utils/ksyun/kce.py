# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Typed helpers for the KCE actions (kce-api reference): clusters, their nodes and kubeconfig, and KCE 2.0's VpcCNI.

Which version serves which action (§1.1): DescribeCluster only at kce 2023-11-15 in the Python SDK; the nodes and the
kubeconfig at kce 2019-08-06; DescribeClusters (a JSON body) and ModifyCluster at kce2 2023-01-01.
Booleans go out as the strings "true"/"false" (the SDK would send Python's "True"/"False", whose acceptance is [U],
§1.3); form lists go out 1-based like every list of this client (encoding.py); a JSON body carries real arrays.
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import ClusterSnapshot, VpcCniSettings
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import filters as encode_filters
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.encoding import one_based
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import first_or_none
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import DAEMON_MODES
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.paging import collect_offset
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.waiter import vpc_cni_is, wait_for_cluster

# Page sizes: the largest each action documents (DescribeCluster 0-20, DescribeClusterInstance and DescribeClusters 50).
CLUSTER_PAGE = 20
NODE_PAGE = 50
KCE2_CLUSTER_PAGE = 50


def wire_bool(value: bool) -> str:
    """A boolean as the form and query carry it: "true"/"false", the form Go and Terraform send (reference §1.3)."""
    return "true" if value else "false"


class KceMixin:
    """Needs ``self.call(service, action, params, what)`` and ``self.config`` (KsyunCore)."""

    def describe_clusters(
        self, cluster_id: Optional[str] = None, search: Optional[str] = None, page_size: int = CLUSTER_PAGE
    ) -> List[Dict[str, Any]]:
        """Every matching ClusterSet item of kce 2023-11-15 DescribeCluster (all pages); ``search`` is the API's fuzzy
        name match, so callers compare names themselves."""
        params = {"ClusterId": cluster_id, "Search": search}
        what = "describe cluster %s" % cluster_id if cluster_id else "describe clusters"

        def fetch(marker: int, size: int) -> Mapping[str, Any]:
            return self.call("kce.2023-11-15", "DescribeCluster", dict(params, Marker=marker, MaxResults=size), what)

        return collect_offset(fetch, "ClusterSet", what, min(page_size, CLUSTER_PAGE))

    def get_cluster(self, cluster_id: str) -> Optional[Dict[str, Any]]:
        """The cluster, or None when it does not exist: an empty ClusterSet and a not-found error both say so (U: the
        reference does not know which one the API sends, §2.1)."""
        return first_or_none(
            lambda: [c for c in self.describe_clusters(cluster_id=cluster_id) if c.get("ClusterId") == cluster_id]
        )

    def find_clusters_by_name(self, name: str) -> List[Dict[str, Any]]:
        """The clusters named exactly ``name`` (Search matches parts of names)."""
        return [c for c in self.describe_clusters(search=name) if c.get("ClusterName") == name]

    def describe_cluster_instances(
        self,
        cluster_id: str,
        filters: Optional[Mapping[str, Any]] = None,
        search: Optional[str] = None,
        page_size: int = NODE_PAGE,
    ) -> List[Dict[str, Any]]:
        """Every node of the cluster (kce 2019-08-06 DescribeClusterInstance, all pages); ``filters`` by the documented
        names (instance-id, instance-role, instance-ip, instance-status, instance-name, node-pool-id)."""
        params = {"ClusterId": cluster_id, "Filter": encode_filters(filters), "Search": search}
        what = "describe the nodes of cluster %s" % cluster_id

        def fetch(marker: int, size: int) -> Mapping[str, Any]:
            return self.call("kce", "DescribeClusterInstance", dict(params, Marker=marker, MaxResults=size), what)

        return collect_offset(fetch, "InstanceSet", what, min(page_size, NODE_PAGE))

    def download_cluster_config(self, cluster_id: str, public: bool) -> Dict[str, Any]:
        """kce 2019-08-06 DownloadClusterConfig: ``{"Expose": bool, "ClusterConfig": kubeconfig text}``; public False is
        the config for the VPC (IsPublic=false). The text is a credential: never log or return it."""
        where = "public" if public else "VPC"
        return self.call(
            "kce",
            "DownloadClusterConfig",
            {"ClusterId": cluster_id, "IsPublic": wire_bool(public)},
            "download the %s kubeconfig of cluster %s" % (where, cluster_id),
        )

    def describe_kce2_clusters(
        self, cluster_ids: Optional[Iterable[str]] = None, page_size: int = KCE2_CLUSTER_PAGE
    ) -> List[Dict[str, Any]]:
        """Every matching Data.ClusterSet item of kce2 DescribeClusters (JSON body: ClusterIds is a real array)."""
        ids = list(cluster_ids or [])
        what = "describe the KCE 2.0 view of clusters %s" % ", ".join(ids) if ids else "describe KCE 2.0 clusters"
        # GET cannot carry a JSON body: the SDK then flattens the list (0-based), so send it 1-based as every list.
        listed = (list(ids) if self.config.method == "POST" else one_based(ids)) if ids else None

        def fetch(marker: int, size: int) -> Mapping[str, Any]:
            answer = self.call(
                "kce2", "DescribeClusters", {"ClusterIds": listed, "Marker": marker, "MaxResults": size}, what
            )
            return answer.get("Data") or {}

        return collect_offset(fetch, "ClusterSet", what, min(page_size, KCE2_CLUSTER_PAGE))

    def get_kce2_cluster(self, cluster_id: str) -> Optional[Dict[str, Any]]:
        """The cluster as KCE 2.0 shows it (VpcCNI, Status.Phase), or None when it does not list it."""
        return first_or_none(
            lambda: [c for c in self.describe_kce2_clusters([cluster_id]) if c.get("ClusterId") == cluster_id]
        )

    def modify_cluster_vpc_cni(self, cluster_id: str, settings: VpcCniSettings) -> None:
        """kce2 ModifyCluster with VpcCNI (form): on sends Enable, DaemonMode, SubnetId.N (singular here, unlike
        CreateCluster's SubnetIds) and SecurityGroup; off sends only Enable=false (the platform keeps the rest)."""
        vpc_cni: Dict[str, Any] = {"Enable": wire_bool(settings.enabled)}
        if settings.enabled:
            vpc_cni.update(
                DaemonMode=DAEMON_MODES[settings.mode],
                SubnetId=one_based(settings.subnet_ids),
                SecurityGroup=settings.security_group_id,
            )
        self.call(
            "kce2",
            "ModifyCluster",
            {"ClusterId": cluster_id, "VpcCNI": vpc_cni},
            "set VPC-CNI of cluster %s: %s" % (cluster_id, settings.describe()),
        )

    def wait_cluster_vpc_cni(
        self, cluster_id: str, settings: VpcCniSettings, timeout: float = 600.0, interval: Optional[float] = None
    ) -> ClusterSnapshot:
        """Wait until kce2 DescribeClusters shows settings and the running phase; returns the cluster's KCE 2.0 view."""
        return wait_for_cluster(self, cluster_id, vpc_cni_is(settings), timeout, interval, sleep=self._sleep)
