"""The wire format: 1-based lists, GET/POST parameters, the error envelope, signing scope, ids."""

import re

import pytest
import requests

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError

pytestmark = pytest.mark.emulator

SIGNED_VPC = "AWS4-HMAC-SHA256 Credential=AKLTcontracttest01/20260101/cn-beijing-6/vpc/aws4_request, SignedHeaders=host, Signature=00"


def _raw(emulator, method="POST", query=None, form=None, auth=SIGNED_VPC):
    session = requests.Session()
    session.trust_env = False
    headers = {"Accept": "application/json"}
    if auth:
        headers["Authorization"] = auth
    return session.request(method, emulator.url + "/", params=query, data=form, headers=headers, timeout=5)


def test_a_python_list_given_to_the_sdk_becomes_zero_based_keys_which_are_refused_naming_the_key(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.call("vpc", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [ids.eni_47]}, "describe by list")
    assert err.value.code == "InvalidParameterValue" and err.value.status == 400
    assert "NetworkInterfaceId.0" in err.value.message and "NetworkInterfaceId.1" in err.value.message


def test_zero_based_filter_keys_are_refused_by_default(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.call("vpc", "DescribeSubnets", {"Filter": [{"Name": "vpc-id", "Value": [ids.vpc]}]}, "describe subnets")
    assert "Filter.0." in err.value.message


@pytest.mark.emulator_settings(accept_zero_based_lists=True)
def test_zero_based_list_keys_are_accepted_when_switched_on(client, ids):
    found = client.call(
        "vpc", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [ids.eni_47, ids.eni_tiny]}, "describe by list"
    )
    subnets = client.call(
        "vpc", "DescribeSubnets", {"Filter": [{"Name": "availability-zone-name", "Value": ["cn-beijing-6b"]}]}, "zone"
    )
    assert len(found["NetworkInterfaceSet"]) == 2
    assert [s["SubnetId"] for s in subnets["SubnetSet"]] == [ids.subnet_6b]


def test_the_client_sends_one_based_keys(emulator, client, ids):
    found = client.describe_network_interfaces(
        network_interface_ids=[ids.eni_47, ids.eni_tiny], filters={"vpc-id": [ids.vpc]}
    )
    assert len(found) == 2


def test_a_bare_key_for_a_list_parameter_is_refused(client, ids):
    with pytest.raises(KsyunApiError) as err:
        client.call("vpc", "CreateNetworkInterface", {"SubnetId": ids.subnet_6a, "SecurityGroupId": ids.sg}, "create")
    assert "SecurityGroupId.1" in err.value.message


def test_query_string_and_form_body_parameters_are_merged(emulator, ids):
    resp = _raw(
        emulator,
        query={"Action": "DescribeNetworkInterfaces", "Version": "2016-03-04"},
        form={"NetworkInterfaceId.1": ids.eni_47},
    )
    assert resp.status_code == 200
    assert [e["NetworkInterfaceId"] for e in resp.json()["NetworkInterfaceSet"]] == [ids.eni_47]


def test_reads_work_over_get_as_the_older_sdk_sends_them(emulator, make_client, ids):
    client = make_client(emulator, method="GET")
    assert client.get_subnet(ids.subnet_6b)["CidrBlock"] == "10.0.1.0/24"


def test_errors_are_http_4xx_with_request_id_and_error_type_code_message(emulator):
    resp = _raw(
        emulator,
        form={
            "Action": "DeleteNetworkInterface",
            "Version": "2016-03-04",
            "NetworkInterfaceId": "00000000-0000-4000-8000-000000000000",
        },
    )
    body = resp.json()
    assert resp.status_code == 404
    assert set(body) == {"RequestId", "Error"} and set(body["Error"]) == {"Type", "Code", "Message"}
    assert body["Error"]["Type"] == "Sender" and body["Error"]["Code"] == "InvalidNetworkInterfaceId.NotFound"


def test_success_is_a_flat_envelope_with_a_request_id(emulator):
    body = _raw(emulator, form={"Action": "DescribeSecurityGroups", "Version": "2016-03-04"}).json()
    assert re.match(r"^[0-9a-f-]{36}$", body["RequestId"]) and "SecurityGroupSet" in body and "Response" not in body


def test_mutations_without_other_results_return_true(client, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    assert client.call("vpc", "DeleteNetworkInterface", {"NetworkInterfaceId": eni_id}, "delete")["Return"] is True


def test_unsigned_requests_are_refused(emulator):
    resp = _raw(emulator, form={"Action": "DescribeSubnets", "Version": "2016-03-04"}, auth=None)
    assert resp.status_code == 403 and resp.json()["Error"]["Code"] == "MissingAuthenticationToken"


def test_a_kec_action_signed_for_the_vpc_service_is_refused(emulator, ids):
    resp = _raw(emulator, form={"Action": "DescribeInstances", "Version": "2016-03-04"})
    assert resp.status_code == 400 and "signed for vpc" in resp.json()["Error"]["Message"]


def test_a_client_configured_for_another_region_is_refused(emulator, make_client):
    from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient

    other = KsyunClient("AKLTx", "SKx", "cn-shanghai-2", endpoint=emulator.endpoint, scheme="http")
    with pytest.raises(KsyunApiError) as err:
        other.describe_subnets()
    assert "cn-shanghai-2" in err.value.message and "cn-beijing-6" in err.value.message


def test_unknown_actions_and_versions_are_refused(emulator):
    unknown = _raw(emulator, form={"Action": "RunInstances", "Version": "2016-03-04"}).json()
    old = _raw(emulator, form={"Action": "DescribeSubnets", "Version": "2014-01-01"}).json()
    assert unknown["Error"]["Code"] == "InvalidAction" and "RunInstances" in unknown["Error"]["Message"]
    assert old["Error"]["Code"] == "InvalidParameterValue" and "2014-01-01" in old["Error"]["Message"]


def test_a_parameter_sent_twice_with_different_values_is_refused(emulator):
    resp = _raw(
        emulator,
        query={"Action": "DescribeSubnets", "Version": "2016-03-04", "MaxResults": "5"},
        form={"MaxResults": "6"},
    )
    assert resp.status_code == 400 and "MaxResults" in resp.json()["Error"]["Message"]


def test_a_page_token_that_was_not_issued_is_refused(client):
    with pytest.raises(KsyunApiError) as err:
        client.call("vpc", "DescribeSubnets", {"NextToken": "not-a-token"}, "describe subnets")
    assert err.value.code == "InvalidParameterValue" and "NextToken" in err.value.message


def test_the_subnet_address_calls_both_answer_with_the_available_ip_address_key(client, emulator, ids):
    params = {"Filter": {"1": {"Name": "subnet-id", "Value": {"1": ids.subnet_6b}}}}
    allocated = client.call("vpc", "DescribeSubnetAllocatedIpAddresses", params, "allocated")
    available = client.call("vpc", "DescribeSubnetAvailableAddresses", dict(params, MaxResults=1000), "available")
    assert allocated["AvailableIpAddress"] == ["10.0.1.20"]
    assert len(available["AvailableIpAddress"]) == 256 - 4 - 1 and "10.0.1.1" not in available["AvailableIpAddress"]


def test_the_subnet_address_calls_need_exactly_one_subnet(client, ids):
    two = {"Filter": {"1": {"Name": "subnet-id", "Value": {"1": ids.subnet_6a, "2": ids.subnet_6b}}}}
    for params in ({}, two):
        with pytest.raises(KsyunApiError) as err:
            client.call("vpc", "DescribeSubnetAvailableAddresses", params, "available")
        assert err.value.code in ("MissingParameter", "InvalidParameterValue") and "subnet-id" in err.value.message


def test_subnets_show_gateway_dhcp_range_and_ip_counts(client, ids):
    subnet = client.get_subnet(ids.subnet_6a)
    assert (
        subnet["GatewayIp"] == "10.0.0.1" and subnet["DhcpIpFrom"] == "10.0.0.4" and subnet["DhcpIpTo"] == "10.0.0.254"
    )
    assert (
        subnet["AvailableIpNumber"] == subnet["AvailbleIPNumber"] == 256 - 5 - 4
    ), "minus network, gateway, broadcast, 2 reserved, 4 nodes"
    assert subnet["Dns1"] and subnet["AvailabilityZoneName"] == "cn-beijing-6a" and subnet["SubnetType"] == "Normal"


def test_subnets_and_security_groups_are_listed_across_pages(client, emulator, ids):
    emulator.counters.reset()
    subnets = client.describe_subnets(page_size=1)
    groups = client.describe_security_groups(filters={"vpc-id": ids.vpc}, page_size=1)
    assert len(subnets) == 4 and len({s["SubnetId"] for s in subnets}) == 4
    assert [g["SecurityGroupId"] for g in groups] == [ids.sg, ids.sg_pods] and groups[0]["SecurityGroupEntrySet"]
    assert emulator.counters.as_dict()["reads"]["DescribeSubnets"] == 4
    assert emulator.counters.as_dict()["reads"]["DescribeSecurityGroups"] == 2


def test_subnets_are_found_by_zone(client, ids):
    assert [s["SubnetId"] for s in client.describe_subnets(filters={"availability-zone-name": "cn-beijing-6b"})] == [
        ids.subnet_6b
    ]
