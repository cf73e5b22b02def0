# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the KCE cluster modules share: the options that name one cluster, and finding exactly that cluster."""

from __future__ import annotations

from typing import Any, Dict

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import ClusterSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_id

# One cluster, by id or by its exact name (cluster_kubeconfig, cluster_vpc_cni; documented by doc fragment
# ksyun.kce.kce_cluster); cluster_info takes neither for all.
CLUSTER_ARGS: Dict[str, Any] = {
    "cluster_id": {"type": "str", "aliases": ["id"]},
    "name": {"type": "str"},
}
ONE_CLUSTER = {"mutually_exclusive": [["cluster_id", "name"]], "required_one_of": [["cluster_id", "name"]]}


def require_cluster(module: KceModule, with_nodes: bool = True, with_vpc_cni: bool = True) -> ClusterSnapshot:
    """The one cluster O(cluster_id) or O(name) names; a missing one, or a name that several clusters carry, fails
    naming the value (the read is one DescribeCluster, plus DescribeClusters and the nodes as asked)."""
    params, reader = module.params, module.kce
    if params.get("cluster_id"):
        check_id("cluster_id", params["cluster_id"])
        cluster = reader.cluster(params["cluster_id"], with_nodes=with_nodes, with_vpc_cni=with_vpc_cni)
        if cluster is None:
            raise ModuleError(
                "cluster_id: cluster %s does not exist in region %s; check the id (ksyun.kce.cluster_info lists the "
                "clusters)" % (params["cluster_id"], reader.region)
            )
        return cluster
    named = reader.clusters(name=params["name"], with_nodes=with_nodes, with_vpc_cni=with_vpc_cni)
    if not named:
        raise ModuleError(
            "name: no cluster is named %r in region %s; check the name (ksyun.kce.cluster_info lists the clusters)"
            % (params["name"], reader.region)
        )
    if len(named) > 1:
        raise ModuleError(
            "name: %d clusters are named %r (%s); give cluster_id to pick one"
            % (len(named), params["name"], ", ".join(c.cluster_id for c in named))
        )
    return named[0]
