"""The KCE wire format: routing by service and version, list index forms, the error envelope and its status, SigV4
scope, JSON bodies. Through the official SDK; the few requests no PY SDK call can make (no ``Service`` parameter, as
KSCGO/Terraform send; a signature scope that differs from ``Service``) are sent raw and say so."""

import json

import pytest
import requests
from kce_support import (
    ACCESS_KEY_ID,
    CLUSTER,
    CSI,
    SG,
    SUBNET_6A,
    call,
    call_common,
    clients,
    common,
    kce_emulator,
    kce_state,
    refused,
    sdk,
)
from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException

from sandbox.ksyun_emulator.admin_client import AdminClient

pytestmark = pytest.mark.emulator
_FIXTURES = (kce_emulator, sdk)  # pytest fixtures used by name below

COREDNS = "5f2c7a10-0007-4a6e-9c1b-0000000000a1"


def _addon_ids(client, params):
    answer = call_common(client, "DescribeAddonInstances", dict({"CulsterId": CLUSTER}, **params))
    return [a["AddonId"] for a in answer["Data"]["Addons"]]


@pytest.mark.emulator_settings(accept_zero_based_lists=True)
@pytest.mark.parametrize(
    "params",
    [
        {"AddonIds.0": COREDNS},  # PY and GO SDKs
        {"AddonIds.1": COREDNS},  # Terraform / KSCGO
        {"AddonIds[0]": COREDNS},  # Java SDK type=2
        {"AddonIds[1]": COREDNS, "AddonIds[2]": CSI},
    ],
)
def test_every_list_index_form_is_read_when_zero_based_lists_are_accepted(kce_emulator, params):
    assert _addon_ids(common(kce_emulator, "kce", "2023-01-01"), params) == [COREDNS]


@pytest.mark.emulator_settings(accept_zero_based_lists=False)
def test_zero_based_indexes_are_refused_naming_the_key_when_switched_off(kce_emulator):
    client = common(kce_emulator, "kce", "2023-01-01")
    assert _addon_ids(client, {"AddonIds.1": COREDNS}) == [COREDNS]
    for key in ("AddonIds.0", "AddonIds[0]"):
        err = refused(_addon_ids, client, {key: COREDNS})
        assert err.error_code == "InvalidParameterValue" and "AddonIds.0" in err.error_message
        assert "AddonIds.1" in err.error_message
    nodes = call_common(
        common(kce_emulator, "kce", "2019-08-06"),
        "DescribeClusterInstance",
        {"ClusterId": CLUSTER, "Filter.1.Name": "instance-ip", "Filter.1.Value.1": "10.0.0.48"},
    )["InstanceSet"]
    assert [n["NodeName"] for n in nodes] == ["10.0.0.48"]
    err = refused(
        call, clients(kce_emulator).v3, "DescribeCluster", Filter=[{"Name": "cluster-manage-mode", "Value": ["x"]}]
    )
    assert "Filter.0.Name" in err.error_message


def test_the_same_key_in_two_spellings_with_two_values_is_refused(kce_emulator):
    err = refused(_addon_ids, common(kce_emulator, "kce", "2023-01-01"), {"AddonIds.1": COREDNS, "AddonIds[1]": CSI})
    assert err.error_code == "InvalidParameterValue" and "AddonIds[1]" in err.error_message


@pytest.mark.emulator_settings(kce_errors_http_200=False)
def test_errors_are_non_2xx_with_the_envelope_by_default(sdk):
    err = refused(call, sdk.v1, "DescribeClusterInstance", ClusterId="5f2c7a10-0006-4a6e-9c1b-0000000000ff")
    assert err.code == "ServerNetworkError" and not err.http_200  # the SDK raises this for any status but 200
    assert err.body["RequestId"] and err.body["Error"]["Type"] == "Sender"
    assert err.error_code == "InvalidClusterId.NotFound" and "5f2c7a10-0006-4a6e-9c1b-0000000000ff" in err.error_message


@pytest.mark.emulator_settings(kce_errors_http_200=True, kce_unknown_cluster="error")
def test_errors_are_http_200_with_the_envelope_on_the_other_side(sdk):
    err = refused(call, sdk.v1, "DescribeClusterInstance", ClusterId="5f2c7a10-0006-4a6e-9c1b-0000000000ff")
    assert err.http_200 and err.code == "InvalidClusterId.NotFound" and err.requestId
    err = refused(call, sdk.kce2, "DescribeClusters", ClusterIds=["5f2c7a10-0006-4a6e-9c1b-0000000000ff"])
    assert err.http_200 and err.code == "InvalidClusterId.NotFound"
    # VPC/KEC keep their non-2xx errors whatever the KCE setting says
    kec = refused(call, sdk.kec, "DescribeInstances", Filter=[{"Name": "no-such-filter", "Value": ["x"]}])
    assert not kec.http_200


def test_an_unknown_action_or_version_is_refused(kce_emulator):
    err = refused(call_common, common(kce_emulator, "kce", "2019-08-06"), "DescribeEverything", {})
    assert not err.http_200 and err.error_code == "InvalidAction" and "DescribeEverything" in err.error_message
    err = refused(call_common, common(kce_emulator, "kce", "2099-01-01"), "DescribeCluster", {})
    assert err.error_code == "InvalidParameterValue" and "2099-01-01" in err.error_message
    assert "2019-08-06, 2023-11-15" in err.error_message
    err = refused(call_common, common(kce_emulator, "kce", "2023-11-15"), "DescribeClusterInstance", {})
    assert "2019-08-06" in err.error_message


def test_an_action_of_kce_asked_of_kce2_is_refused_naming_both(kce_emulator):
    err = refused(
        call_common, common(kce_emulator, "kce2", "2019-08-06"), "DescribeClusterInstance", {"ClusterId": CLUSTER}
    )
    assert err.error_code == "InvalidAction" and "belongs to service kce, not kce2" in err.error_message


def test_the_sdk_with_a_root_domain_reaches_the_emulator_as_kce_dot_host(kce_emulator):
    """HttpProfile(rootDomain=...) sends Host kce.<domain> / kce2.<domain>, here through the emulator as a proxy."""
    api = clients(kce_emulator, rootDomain="api.ksyun.test", proxy=kce_emulator.url, endpoint=None)
    assert call(api.v3, "DescribeCluster")["ClusterSet"][0]["ClusterId"] == CLUSTER
    assert call(api.kce2, "DescribeClusters")["Data"]["TotalCount"] == 1


def _raw(emu, host, form, signed_for):
    """A request as KSCGO/Terraform send it: no Service parameter (raw: every PY SDK call sends one)."""
    session = requests.Session()
    session.trust_env = False
    headers = {
        "Host": host,
        "Authorization": "AWS4-HMAC-SHA256 Credential=%s/20260101/cn-beijing-6/%s/aws4_request, "
        "SignedHeaders=host, Signature=00" % (ACCESS_KEY_ID, signed_for),
    }
    return session.post(emu.url + "/", data=form, headers=headers, timeout=5)


def test_without_a_service_parameter_the_host_prefix_then_the_action_name_route(kce_emulator):
    form = {"Action": "DescribeClusterInstance", "Version": "2019-08-06", "ClusterId": CLUSTER}
    assert _raw(kce_emulator, "kce.api.ksyun.com", form, "kce").status_code == 200
    assert _raw(kce_emulator, kce_emulator.endpoint, form, "kce").status_code == 200  # by the action name
    wrong = _raw(kce_emulator, "kce2.api.ksyun.com", form, "kce")
    assert wrong.status_code == 400 and "not kce2" in wrong.json()["Error"]["Message"]


def test_the_signature_scope_must_name_the_actions_service(kce_emulator):
    form = {"Action": "DescribeClusters", "Version": "2023-01-01", "Service": "kce2"}
    assert _raw(kce_emulator, kce_emulator.endpoint, form, "kce2").status_code == 200
    resp = _raw(kce_emulator, kce_emulator.endpoint, form, "kce")
    assert resp.status_code == 400 and "signed for kce" in resp.json()["Error"]["Message"]
    form = {"Action": "DescribeCluster", "Version": "2023-11-15", "Service": "kce"}
    resp = _raw(kce_emulator, kce_emulator.endpoint, form, "kce2")
    assert resp.status_code == 400 and "signed for kce2" in resp.json()["Error"]["Message"]


def test_describe_clusters_as_json_and_as_a_get_query(kce_emulator, sdk):
    as_json = call(sdk.kce2, "DescribeClusters", ClusterIds=[CLUSTER], MaxResults=5)["Data"]
    as_get = call(clients(kce_emulator, reqMethod="GET").kce2, "DescribeClusters", ClusterIds=[CLUSTER], MaxResults=5)
    assert as_json["ClusterSet"] == as_get["Data"]["ClusterSet"] and as_json["MaxResults"] == 5


def test_a_json_body_for_a_form_action_is_refused_and_changes_nothing(kce_emulator):
    before = kce_state(kce_emulator)
    client = common(kce_emulator, "kce2", "2023-01-01")
    vpc_cni = {"Enable": True, "DaemonMode": "eniOnly", "SubnetId": [SUBNET_6A], "SecurityGroup": SG}
    with pytest.raises(KsyunSDKException) as err:
        client.call_json("ModifyCluster", {"ClusterId": CLUSTER, "VpcCNI": vpc_cni})
    body = json.loads(err.value.message)
    assert "form-encoded" in body["Error"]["Message"] and "ModifyCluster" in body["Error"]["Message"]
    assert kce_state(kce_emulator) == before


@pytest.mark.emulator_settings(kce_strict_booleans=False)
def test_capitalised_and_lowercase_booleans_are_the_same_by_default(sdk):
    for enable in (True, "true", "TRUE"):
        call(
            sdk.kce2,
            "ModifyCluster",
            ClusterId=CLUSTER,
            VpcCNI={"Enable": enable, "DaemonMode": "eniOnly", "SubnetId": [SUBNET_6A], "SecurityGroup": SG},
        )
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI={"Enable": False})
    assert call(sdk.kce2, "DescribeClusters")["Data"]["ClusterSet"][0]["Network"]["VpcCNI"]["Enable"] is False


def test_the_admin_catalog_lists_the_kce_routes_with_their_versions(kce_emulator):
    catalog = AdminClient(kce_emulator.url).catalog()["actions"]
    assert catalog["DescribeCluster"] == {"service": "kce", "write": False, "versions": ["2019-08-06", "2023-11-15"]}
    assert catalog["ModifyCluster"] == {"service": "kce2", "write": True, "versions": ["2023-01-01"]}
    assert catalog["DescribeSubnets"]["versions"] == ["2016-03-04"]
