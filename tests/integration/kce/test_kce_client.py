"""The collection's KCE client on the official SDK over HTTP against the emulator: offset paging, filters and lists as
every list of the client sends them (1-based), the JSON body of kce2 DescribeClusters, GET, and the read model."""

import pytest
from kce_cloud import ACCESS_KEY_ID, NODE_47, NODE_48, REGION, SECRET_ACCESS_KEY, SG, SUBNET_6A
from kce_clusters import CLUSTER, CLUSTER_NAME, OTHER_CLUSTER, UNKNOWN_CLUSTER

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import PHASE_RUNNING, VpcCniSettings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce_model import ClusterReader
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

pytestmark = pytest.mark.emulator


@pytest.fixture
def make_client(emu):
    def make(method=None):
        return KsyunClient(
            ACCESS_KEY_ID,
            SECRET_ACCESS_KEY,
            REGION,
            endpoint=emu.url,
            method=method,
            retry=RetryPolicy(attempts=2, base_delay=0.001),
        )

    return make


def reads(emu):
    return emu.counters.as_dict()["reads"]


def test_nodes_and_clusters_are_read_page_by_page_by_offset(emu, make_client):
    client = make_client()
    nodes = client.describe_cluster_instances(CLUSTER, page_size=2)
    assert sorted(n["InstanceId"] for n in nodes) == sorted(emu.state.data["instances"])
    assert reads(emu) == {"DescribeClusterInstance": 3}
    emu.counters.reset()
    assert [c["ClusterId"] for c in client.describe_clusters(page_size=1)] == [CLUSTER, OTHER_CLUSTER]
    assert [c["ClusterId"] for c in client.describe_kce2_clusters(page_size=1)] == [CLUSTER, OTHER_CLUSTER]
    assert reads(emu) == {"DescribeCluster": 2, "DescribeClusters": 2}


@pytest.mark.parametrize("zero_based", [False, True])
def test_a_filter_goes_out_1_based_which_the_server_takes_whether_or_not_it_also_takes_0_based(
    emu, make_client, zero_based
):
    emu.settings.update({"accept_zero_based_lists": zero_based})
    nodes = make_client().describe_cluster_instances(CLUSTER, filters={"instance-id": [NODE_47, NODE_48]})
    assert sorted(n["InstanceId"] for n in nodes) == sorted([NODE_47, NODE_48])


@pytest.mark.parametrize("method", ["POST", "GET"])
def test_kce2_describe_clusters_takes_its_ids_as_a_json_array_or_1_based_in_a_query(emu, make_client, method):
    client = make_client(method)
    assert [c["ClusterId"] for c in client.describe_kce2_clusters([OTHER_CLUSTER])] == [OTHER_CLUSTER]
    assert client.get_kce2_cluster(UNKNOWN_CLUSTER) is None


@pytest.mark.parametrize("unknown_cluster", ["empty", "error"])
def test_an_unknown_cluster_is_none_for_every_getter_either_way(emu, make_client, unknown_cluster):
    emu.settings.update({"kce_unknown_cluster": unknown_cluster})
    client = make_client()
    assert client.get_cluster(UNKNOWN_CLUSTER) is None and client.get_kce2_cluster(UNKNOWN_CLUSTER) is None
    assert ClusterReader(client).cluster(UNKNOWN_CLUSTER) is None
    with pytest.raises(KsyunApiError) as err:
        client.describe_cluster_instances(UNKNOWN_CLUSTER)
    assert err.value.status == 404 and err.value.code == "InvalidClusterId.NotFound"


@pytest.mark.parametrize("settle", [0, 3])
def test_the_read_model_joins_the_three_answers_and_a_change_waits_until_the_platform_echoes_it(
    emu, make_client, settle
):
    emu.settings.update({"kce_settle_describes": settle})
    client = make_client()
    reader = ClusterReader(client)
    (cluster,) = reader.clusters(name=CLUSTER_NAME)
    assert cluster.cluster_id == CLUSTER and cluster.vpc_cni == VpcCniSettings(enabled=False)
    assert len(cluster.nodes) == 5 and cluster.phase == PHASE_RUNNING
    wanted = VpcCniSettings(True, Mode.EXCLUSIVE, (SUBNET_6A,), SG)
    client.modify_cluster_vpc_cni(CLUSTER, wanted)
    assert reader.vpc_cni_state(CLUSTER).phase_text == ("Updating" if settle else "Running")
    emu.counters.reset()
    done = client.wait_cluster_vpc_cni(CLUSTER, wanted, timeout=30, interval=0.01)
    assert done.vpc_cni.matches(wanted) and done.vpc_cni.daemon_mode == "eniOnly" and done.phase == PHASE_RUNNING
    # settle answers show Updating (the first one went to vpc_cni_state), then one shows Running.
    assert reads(emu) == {"DescribeClusters": max(1, settle)}
