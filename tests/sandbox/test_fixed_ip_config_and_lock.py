"""The VPC-CNI configuration ConfigMap and the per-subnet allocation lock (a Lease), on the real apiserver."""

import datetime
import threading

import pytest
from kubernetes import dynamic

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    ClusterConfigError,
    config_map_data,
    parse_cluster_config,
    read_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.flows.lock import LockLost, LockTimeout, SubnetLock, lease_name

pytestmark = pytest.mark.controlplane

SUBNET = "5f2c7a10-0002-4a6e-9c1b-000000000001"


@pytest.fixture(scope="module")
def dyn(kube):
    return dynamic.DynamicClient(kube)


def test_the_sandbox_cluster_config_is_read_from_its_configmap_with_the_product_default_retention(dyn):
    config = read_cluster_config(dyn)
    settings = config.settings
    assert (settings.cluster_name, config.crd_group, config.crd_version) == ("sandbox", "k8s.ksyun.com", "v1")
    assert settings.subnets_in("cn-beijing-6a") == (SUBNET,)
    assert str(settings.default_retention) == "never"
    assert (
        settings.cloud == CloudBehaviour()
    ), "the sandbox runs with the default cloud behaviour (the emulator's defaults)"
    assert parse_cluster_config(config_map_data(settings)).settings == settings


@pytest.mark.parametrize(
    "key,value",
    [
        ("ipRetention", "soon"),
        ("podSubnets", "cn-beijing-6a=subnet-1"),
        ("securityGroupIds", "sg-1"),
        ("reserveAssignedIpSupported", "yes"),
        ("fixedIpEnabled", "on"),
        ("crdGroup", "ksyun"),
        ("clusterName", "Bad_Name"),
    ],
)
def test_a_bad_configuration_value_fails_naming_the_key_and_the_value(dyn, key, value):
    data = dict(config_map_data(read_cluster_config(dyn).settings), **{key: value})
    with pytest.raises(ClusterConfigError) as err:
        parse_cluster_config(data, "ConfigMap kube-system/ksyun-vpc-cni")
    assert key in str(err.value) and value in str(err.value) and "ConfigMap kube-system/ksyun-vpc-cni" in str(err.value)


def test_a_missing_configmap_says_how_to_create_it(dyn, namespace):
    with pytest.raises(ClusterConfigError) as err:
        read_cluster_config(dyn, namespace=namespace)
    assert f"ConfigMap {namespace}/ksyun-vpc-cni does not exist" in str(err.value) and "clusterName" in str(err.value)


def test_the_subnet_lock_is_exclusive_and_a_waiter_gets_it_when_it_is_released(dyn, namespace):
    first = SubnetLock(dyn, SUBNET, "flow-a", namespace=namespace, duration=30, timeout=0.5)
    second = SubnetLock(dyn, SUBNET, "flow-b", namespace=namespace, duration=30, timeout=0.5, poll=0.05)
    first.acquire()
    with pytest.raises(LockTimeout) as err:
        second.acquire()
    assert "held by flow-a" in str(err.value) and lease_name(SUBNET) in str(err.value)

    waiter = SubnetLock(dyn, SUBNET, "flow-b", namespace=namespace, duration=30, timeout=10, poll=0.05)
    got = threading.Event()
    thread = threading.Thread(target=lambda: (waiter.acquire(), got.set()))
    thread.start()
    assert not got.wait(0.3), "the lock is still held by flow-a"
    first.release()
    thread.join(10)
    assert got.is_set() and waiter.held
    lease = dyn.resources.get(api_version="coordination.k8s.io/v1", kind="Lease").get(
        name=lease_name(SUBNET), namespace=namespace
    )
    assert lease.spec.holderIdentity == "flow-b" and lease.spec.leaseDurationSeconds == 30
    waiter.release()


def test_a_crashed_holders_lock_expires_and_the_old_holder_learns_it_lost_it(dyn, namespace):
    crashed = SubnetLock(
        dyn,
        SUBNET,
        "crashed",
        namespace=namespace,
        duration=1,
        clock=lambda: datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5),
    )
    crashed.acquire()
    taker = SubnetLock(dyn, SUBNET, "taker", namespace=namespace, duration=30, timeout=2, poll=0.05)
    taker.acquire()
    assert taker.held
    with pytest.raises(LockLost):
        crashed.renew()
    taker.release()
