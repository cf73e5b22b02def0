"""The kce / kce2 actions the emulator serves, by (service, version, action): reference sheet §1.1."""

from collections import namedtuple

from . import kce2, kce_addons, kce_cluster

# body: "json" when the SDK sends the action as a JSON body (it may also come as form/query: GET, other SDKs).
# request_id: the key the SDKs declare for the request id ([U] whether the server spells it so, sheet §9.9); None:
# the declared response has none. Setting kce_request_id_quirks=false answers "RequestId" everywhere.
Route = namedtuple("Route", "service version name write handler body request_id")

_V1, _V2023, _V1115 = "2019-08-06", "2023-01-01", "2023-11-15"

KCE_ROUTES = (
    Route("kce", _V1, "DescribeCluster", False, kce_cluster.describe_cluster, "form", "RequestId"),
    Route("kce", _V1115, "DescribeCluster", False, kce_cluster.describe_cluster, "form", "RequestId"),
    Route("kce", _V1, "DescribeClusterSummary", False, kce_cluster.describe_cluster_summary, "form", "RequestId"),
    Route("kce", _V1, "DescribeClusterInstance", False, kce_cluster.describe_cluster_instance, "form", "RequestId"),
    Route("kce", _V1, "DownloadClusterConfig", False, kce_cluster.download_cluster_config, "form", "RequestId"),
    Route("kce", _V2023, "DescribeNetwork", False, kce_cluster.describe_network, "form", None),
    Route("kce", _V2023, "DescribeAddonList", False, kce_addons.describe_addon_list, "form", "RequestId"),
    Route("kce", _V2023, "DescribeAddonInstances", False, kce_addons.describe_addon_instances, "form", "RequestId"),
    Route("kce", _V2023, "CreateAddonInstance", True, kce_addons.create_addon_instance, "form", "RequestId"),
    Route("kce", _V2023, "DeleteAddonInstance", True, kce_addons.delete_addon_instance, "form", "RequesetId"),
    Route("kce2", _V2023, "DescribeClusters", False, kce2.describe_clusters, "json", "RequestId"),
    Route("kce2", _V2023, "DescribeNodes", False, kce2.describe_nodes, "form", "RequestId"),
    Route("kce2", _V2023, "ModifyCluster", True, kce2.modify_cluster, "form", "RequestId"),
)
