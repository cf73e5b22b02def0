"""The VPC-CNI ConfigMap data an installer writes is read back as the same settings (no server needed)."""

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour, Settings
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    ClusterConfigError,
    config_map_data,
    parse_cluster_config,
)

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"
GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"


@pytest.mark.parametrize("fixed_ip", [True, False])
def test_config_map_data_reads_back_as_the_same_settings(fixed_ip):
    settings = Settings(
        cluster_name="kce-prod",
        security_group_ids=(GROUP,),
        pod_subnets={"cn-beijing-6a": (SUBNET,)},
        default_retention="24h",
        cloud=CloudBehaviour(reserve_assigned_ip=True),
        fixed_ip=fixed_ip,
    )
    data = config_map_data(settings)
    assert data["fixedIpEnabled"] == ("true" if fixed_ip else "false")
    assert parse_cluster_config(data).settings == settings


def test_fixed_ip_is_on_when_the_configmap_does_not_say():
    assert parse_cluster_config({"clusterName": "kce-prod"}).settings.fixed_ip is True


def test_a_fixed_ip_switch_that_is_not_true_or_false_names_the_key_and_the_value():
    with pytest.raises(ClusterConfigError, match='key fixedIpEnabled has value \'on\'; write "true" or "false"'):
        parse_cluster_config({"clusterName": "kce-prod", "fixedIpEnabled": "on"})
