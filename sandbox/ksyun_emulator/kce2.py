"""kce2 2023-01-01 actions: DescribeClusters (JSON body), DescribeNodes, ModifyCluster (VpcCNI, ClusterDesc)."""

import time

from . import kce_render, kce_vpc_cni
from .errors import ApiError, invalid, not_found
from .kce_params import offset_page

_NOT_EMULATED = ("SANs", "PublicApiServer")


def _now():
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())


def describe_clusters(state, params):
    wanted = params.list("ClusterIds")
    known = state.data["kce"]["clusters"]
    missing_ids = [cid for cid in wanted if cid not in known]
    if missing_ids and state.settings.kce_unknown_cluster == "error":
        raise not_found("cluster", missing_ids[0])
    items = [known[cid] for cid in dict.fromkeys(wanted) if cid in known] if wanted else list(known.values())
    page, extra = offset_page(params, items, 10, 50)
    answer = [kce_render.kce2_cluster(state, c) for c in page]
    shown = [state.kce_runtime.shown(c) for c in page]  # every cluster of the page counts this answer
    if any(shown):
        state.save()
    return {"Data": dict(extra, ClusterSet=answer)}


def describe_nodes(state, params):
    cluster = state.cluster(params.str("ClusterId"))
    node_ids, instance_ids = params.list("KceNodeIds"), params.list("InstanceIds")
    items = []
    for inst in kce_render.nodes_of(state, cluster):
        item = kce_render.kce2_node(state, cluster, inst)
        if node_ids and item["KceNodeId"] not in node_ids or instance_ids and inst["id"] not in instance_ids:
            continue
        items.append(item)
    page, extra = offset_page(params, items, 10, 50)
    return {"Data": dict(extra, InstanceSet=page)}


def modify_cluster(state, params):
    cluster = state.cluster(params.str("ClusterId"))
    for name in _NOT_EMULATED:
        if params.prefixed(name):
            raise invalid(name, params.str(name) or name, "the emulator handles only ClusterDesc and VpcCNI")
    asked = kce_vpc_cni.from_params(params)
    description = params.str("ClusterDesc")
    if asked is None and description is None:
        raise ApiError("MissingParameter", "The request must contain VpcCNI.Enable or ClusterDesc (nothing to modify).")
    config = kce_vpc_cni.check(state.data, cluster, *asked) if asked is not None else None
    if description is not None:
        cluster["description"] = description
        cluster["updated"] = _now()
    if config is not None and config != cluster["vpc_cni"]:
        cluster["vpc_cni"] = config
        cluster["updated"] = _now()
        state.kce_runtime.changed(cluster)
    return {"Data": {"ClusterId": cluster["id"]}}
