"""kce actions about a cluster: DescribeCluster (2019-08-06 and 2023-11-15), DescribeClusterSummary,
DescribeClusterInstance, DownloadClusterConfig (2019-08-06) and DescribeNetwork (2023-01-01)."""

from . import kce_kubeconfig, kce_render, kce_words
from .errors import invalid, missing, not_found
from .kce_params import offset_page
from .kce_topology import derived_id
from .paging import matches

CLUSTER_FILTERS = ("cluster-manage-mode",)
NODE_FILTERS = ("instance-name", "instance-role", "instance-id", "instance-ip", "instance-status", "node-pool-id")


def clusters(state):
    return list(state.data["kce"]["clusters"].values())


def unknown_cluster(state, cluster_id):
    """``[]`` or a 404, as the setting ``kce_unknown_cluster`` says (sheet §2.1: TF copes with both)."""
    if state.settings.kce_unknown_cluster == "error":
        raise not_found("cluster", cluster_id)
    return []


def by_id_or_name(state, params, id_param="ClusterId"):
    """The cluster named by ``id_param`` or ``ClusterName`` (both: they must agree)."""
    cluster_id, name = params.str(id_param), params.str("ClusterName")
    if cluster_id:
        cluster = state.cluster(cluster_id, id_param)
        if name and cluster["name"] != name:
            raise invalid("ClusterName", name, "cluster %s is named %s" % (cluster_id, cluster["name"]))
        return cluster
    if not name:
        raise missing(id_param)
    found = [c for c in clusters(state) if c["name"] == name]
    if not found:
        raise not_found("cluster", name)
    if len(found) > 1:
        raise invalid("ClusterName", name, "several clusters have this name; send %s" % id_param)
    return found[0]


def describe_cluster(state, params):
    cluster_id = params.str("ClusterId")
    filters = params.filters(CLUSTER_FILTERS)
    search = (params.str("Search") or "").lower()
    items = clusters(state)
    if cluster_id:
        items = [c for c in items if c["id"] == cluster_id] or unknown_cluster(state, cluster_id)
    items = [
        c
        for c in items
        if search in c["name"].lower() and matches(filters, {"cluster-manage-mode": lambda c=c: c["manage_mode"]})
    ]
    page, extra = offset_page(params, items, 20, 20)
    return dict(extra, ClusterSet=[kce_render.cluster(state, c) for c in page])


def describe_cluster_summary(state, _params):
    return {"ClusterSet": [kce_render.summary(state, c) for c in clusters(state)]}


def describe_cluster_instance(state, params):
    cluster = state.cluster(params.str("ClusterId"))
    filters = params.filters(NODE_FILTERS)
    search = params.str("Search") or ""
    pool = derived_id(cluster["id"], "nodepool")
    items = []
    for inst in kce_render.nodes_of(state, cluster):
        getters = {
            "instance-name": lambda i=inst: i["name"],
            "instance-role": lambda: "Worker",
            "instance-id": lambda i=inst: i["id"],
            "instance-ip": lambda i=inst: i["primary_ip"],
            "instance-status": lambda i=inst: kce_render.node_status(state, i),
            "node-pool-id": lambda: pool,
        }
        if search in inst["primary_ip"] and matches(filters, getters):
            items.append(inst)
    page, extra = offset_page(params, items, 10, 50)
    return dict(extra, InstanceSet=[kce_render.node(state, cluster, i) for i in page])


def download_cluster_config(state, params):
    cluster = state.cluster(params.str("ClusterId"))
    public = params.bool("IsPublic", default=True)
    blank = not cluster["expose"] and (public or state.settings.kce_blank_internal_config)
    text = ""
    if not blank:
        text = kce_kubeconfig.render(kce_kubeconfig.load(state.kce_runtime.kubeconfig), cluster["name"], public)
    return {"Expose": cluster["expose"], "ClusterConfig": text}


def describe_network(state, params):
    cluster = by_id_or_name(state, params)
    ready = {"Phase": kce_words.NETWORK_READY, "Reason": ""}
    none = {"Phase": "", "Reason": ""}
    exposed = cluster["expose"]
    return {
        "ClusterId": cluster["id"],
        "NetworkId": derived_id(cluster["id"], "network"),
        "PublicSLB": dict(ready) if exposed else dict(none),
        "PrivateSLB": dict(ready, SLBId=derived_id(cluster["id"], "private-lb"), SLBIp=cluster["private_slb_ip"]),
        "PrivateLink": dict(none, LinkIp="", LinkPort=""),
        "EIP": dict(ready, EIPId=derived_id(cluster["id"], "eip")) if exposed else dict(none, EIPId=""),
        "PublicAccess": exposed,
        "CreatedTime": cluster["created"],
        "UpdatedTime": cluster["updated"],
    }
