"""kce 2023-01-01 add-ons through the official SDK: the catalogue (flat or nested), instances read by CulsterId and/or
ClusterId, create (the SDK's empty model: attributes set by hand) and delete with their phase progression."""

import pytest
from kce_support import (
    CLUSTER,
    CSI,
    SG,
    SUBNET_6A,
    call,
    clients,
    kce_emulator,
    kce_state,
    refused,
    sdk,
    start,
)

pytestmark = pytest.mark.emulator
_FIXTURES = (kce_emulator, sdk)  # pytest fixtures used by name below

VPC_CNI_ON = {"Enable": True, "DaemonMode": "eniOnly", "SubnetId": [SUBNET_6A], "SecurityGroup": SG}


def _instances(api, **kwargs):
    kwargs.setdefault("CulsterId", CLUSTER)
    return call(api.addons, "DescribeAddonInstances", **kwargs)["Data"]["Addons"]


def _csi(api):
    return [(a["Phase"], a["ToDelete"]) for a in _instances(api, AddonIds=[CSI])]


def _create(api, **item):
    item = item or {"Name": "csi-driver"}
    return call(api.addons, "CreateAddonInstance", ClusterId=CLUSTER, Addons=[item])


@pytest.mark.emulator_settings(kce_addon_list_nested=False)
def test_the_catalogue_is_flat_by_default(sdk):
    items = call(sdk.addons, "DescribeAddonList")["Data"]["AddonList"]
    names = [i["Name"] for i in items]
    assert {"coredns", "kube-proxy", "csi-driver", "lb-controller", "nvidia-gpu"} <= set(names)
    assert "vpc-cni" not in names
    csi = next(i for i in items if i["Name"] == "csi-driver")
    assert csi["AddonId"] == CSI and csi["DefaultInstall"] is False and csi["AddonVersion"]
    assert set(csi["CompatibleK8SVersion"]) == {"Min", "Max"}
    assert [i["Name"] for i in call(sdk.addons, "DescribeAddonList", Name="coredns")["Data"]["AddonList"]] == [
        "coredns"
    ]


@pytest.mark.emulator_settings(kce_addon_list_nested=True)
def test_the_catalogue_nests_every_field_on_the_other_side(sdk):
    items = call(sdk.addons, "DescribeAddonList", Name="csi-driver")["Data"]["AddonList"]
    assert list(items[0]) == ["CompatibleK8SVersion"]
    assert items[0]["CompatibleK8SVersion"]["AddonId"] == CSI and items[0]["CompatibleK8SVersion"]["Min"]


def test_the_default_add_ons_are_running_at_start(sdk):
    addons = _instances(sdk)
    assert [(a["Phase"], a["ToDelete"], a["ClusterId"]) for a in addons] == [("Running", False, CLUSTER)] * 2
    assert {a["AddonId"] for a in addons} == {
        "5f2c7a10-0007-4a6e-9c1b-0000000000a1",
        "5f2c7a10-0007-4a6e-9c1b-0000000000a2",
    }
    assert call(sdk.addons, "DescribeAddonInstances", CulsterId=CLUSTER)["Args"] == {}


@pytest.mark.emulator_settings(kce_addon_instances_cluster_param="both")
def test_both_cluster_spellings_are_read_by_default(sdk):
    assert len(_instances(sdk)) == len(_instances(sdk, CulsterId=None, ClusterId=CLUSTER)) == 2
    assert len(_instances(sdk, CulsterId=None, ClusterName="sandbox")) == 2


@pytest.mark.emulator_settings(kce_addon_instances_cluster_param="CulsterId")
def test_only_the_sdks_culster_id_is_read_on_one_side(sdk):
    assert len(_instances(sdk)) == 2
    err = refused(_instances, sdk, CulsterId=None, ClusterId=CLUSTER)
    assert err.error_code == "MissingParameter" and "CulsterId" in err.error_message


@pytest.mark.emulator_settings(kce_addon_instances_cluster_param="ClusterId")
def test_only_cluster_id_is_read_on_the_other_side(sdk):
    assert len(_instances(sdk, CulsterId=None, ClusterId=CLUSTER)) == 2
    err = refused(_instances, sdk)
    assert err.error_code == "MissingParameter" and "ClusterId" in err.error_message


@pytest.mark.emulator_settings(kce_settle_describes=1)
def test_a_created_add_on_is_installing_then_running(kce_emulator, sdk):
    answer = _create(sdk, Name="csi-driver", Type="optional", Config="{}", AddonVersion="2.4.1")
    assert answer["RequestId"] and answer["Data"]["ClusterId"] == CLUSTER
    (instance_id,) = answer["Data"]["InstanceIds"]
    assert [a["InstanceId"] for a in _instances(sdk, AddonIds=[CSI])] == [instance_id]
    assert _csi(sdk) == [("Running", False)]  # the describe above showed Installing, once
    assert kce_emulator.counters.as_dict()["writes"] == {"CreateAddonInstance": 1}


@pytest.mark.emulator_settings(kce_settle_describes=2)
def test_the_phase_progression_follows_the_settle_setting(sdk):
    _create(sdk, AddonId=CSI)
    assert [_csi(sdk) for _answer in range(3)] == [[("Installing", False)]] * 2 + [[("Running", False)]]


@pytest.mark.emulator_settings(kce_settle_describes=1, kce_deleted_addon_lingers=False)
def test_a_deleted_add_on_is_deleting_then_gone_by_default(kce_emulator, sdk):
    instance_id = _create(sdk)["Data"]["InstanceIds"][0]
    _csi(sdk)
    answer = call(sdk.addons, "DeleteAddonInstance", ClusterId=CLUSTER, AddonId=CSI, InstanceId=instance_id)
    assert answer["RequesetId"] and "RequestId" not in answer  # as the SDKs declare it ([U])
    assert (answer["ClusterId"], answer["AddonId"], answer["Data"]) == (CLUSTER, CSI, {})
    assert [_csi(sdk) for _answer in range(2)] == [[("Deleting", True)], []]
    assert kce_emulator.counters.as_dict()["writes"] == {"CreateAddonInstance": 1, "DeleteAddonInstance": 1}


@pytest.mark.emulator_settings(kce_settle_describes=0, kce_deleted_addon_lingers=True)
def test_a_deleted_add_on_lingers_with_to_delete_on_the_other_side(sdk):
    first = _create(sdk)["Data"]["InstanceIds"][0]
    call(sdk.addons, "DeleteAddonInstance", ClusterId=CLUSTER, AddonId=CSI, InstanceId=first)
    assert _csi(sdk) == [("Deleted", True)] == _csi(sdk)
    err = refused(call, sdk.addons, "DeleteAddonInstance", ClusterId=CLUSTER, AddonId=CSI, InstanceId=first)
    assert err.error_code == "IncorrectAddonInstanceState" and first in err.error_message
    second = _create(sdk)["Data"]["InstanceIds"][0]  # a lingering instance does not block a new one
    assert {a["InstanceId"]: a["Phase"] for a in _instances(sdk, AddonIds=[CSI])} == {
        first: "Deleted",
        second: "Running",
    }


@pytest.mark.emulator_settings(kce_request_id_quirks=False)
def test_delete_answers_request_id_on_the_other_side(sdk):
    instance_id = _create(sdk)["Data"]["InstanceIds"][0]
    assert call(sdk.addons, "DeleteAddonInstance", ClusterId=CLUSTER, AddonId=CSI, InstanceId=instance_id)["RequestId"]


@pytest.mark.parametrize(
    "item, code, named",
    [
        ({"Name": "coredns"}, "AddonAlreadyExists", "coredns"),
        ({"Name": "istio"}, "InvalidAddonId.NotFound", "istio"),
        ({"Name": "csi-driver", "AddonVersion": "9.9.9"}, "InvalidParameterValue", "9.9.9"),
        (
            {"Name": "csi-driver", "AddonId": "5f2c7a10-0007-4a6e-9c1b-0000000000a4"},
            "InvalidParameterValue",
            "0000000000a4",
        ),
        ({"Name": "csi-driver", "Version": "2.4.1"}, "InvalidParameterValue", "Addons.0.Version"),
        ({"Type": "optional"}, "MissingParameter", "Addons.0.Name"),
        ({"Name": "vpc-cni"}, "InvalidAddonId.NotFound", "vpc-cni"),
    ],
)
def test_a_bad_add_on_is_refused_naming_it_and_nothing_is_stored(kce_emulator, sdk, item, code, named):
    before = kce_state(kce_emulator)
    err = refused(_create, sdk, **item)  # the SDK numbers the list from 0: the message names Addons.0.* as sent
    assert err.error_code == code and named in err.error_message
    assert kce_state(kce_emulator) == before


def test_two_add_ons_in_one_call_are_all_or_nothing(kce_emulator, sdk):
    before = kce_state(kce_emulator)
    items = [{"Name": "csi-driver"}, {"Name": "istio"}]
    assert refused(call, sdk.addons, "CreateAddonInstance", ClusterId=CLUSTER, Addons=items).error_code == (
        "InvalidAddonId.NotFound"
    )
    assert kce_state(kce_emulator) == before
    items = [{"Name": "csi-driver"}, {"Name": "lb-controller"}]
    assert len(call(sdk.addons, "CreateAddonInstance", ClusterId=CLUSTER, Addons=items)["Data"]["InstanceIds"]) == 2


def test_deleting_an_instance_of_another_add_on_or_cluster_is_refused(sdk):
    coredns = _instances(sdk, Name="coredns")[0]
    err = refused(
        call, sdk.addons, "DeleteAddonInstance", ClusterId=CLUSTER, AddonId=CSI, InstanceId=coredns["InstanceId"]
    )
    assert err.error_code == "InvalidParameterValue" and CSI in err.error_message
    err = refused(
        call,
        sdk.addons,
        "DeleteAddonInstance",
        ClusterId=CLUSTER,
        AddonId=coredns["AddonId"],
        InstanceId="5f2c7a10-0008-4a6e-9c1b-0000000000ff",
    )
    assert err.error_code == "InvalidAddonInstanceId.NotFound"


@pytest.mark.emulator_settings(kce_vpc_cni_as_addon=False)
def test_vpc_cni_is_not_an_add_on_by_default(sdk):
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=VPC_CNI_ON)
    assert "vpc-cni" not in [i["Name"] for i in call(sdk.addons, "DescribeAddonList")["Data"]["AddonList"]]
    assert len(_instances(sdk)) == 2


@pytest.mark.emulator_settings(kce_vpc_cni_as_addon=True, kce_settle_describes=1)
def test_vpc_cni_shows_as_an_add_on_following_the_cluster_on_the_other_side(sdk):
    (entry,) = call(sdk.addons, "DescribeAddonList", Name="vpc-cni")["Data"]["AddonList"]
    assert _instances(sdk, AddonIds=[entry["AddonId"]]) == []
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI=VPC_CNI_ON)

    def phases():
        return [(a["Phase"], a["ToDelete"]) for a in _instances(sdk, Name="vpc-cni")]

    assert [phases(), phases()] == [[("Installing", False)], [("Running", False)]]
    assert call(sdk.kce2, "DescribeClusters")["Data"]["ClusterSet"][0]["Status"]["Phase"] == "Running"
    call(sdk.kce2, "ModifyCluster", ClusterId=CLUSTER, VpcCNI={"Enable": False})
    assert [phases(), phases()] == [[("Deleting", True)], []]
    err = refused(_create, sdk, Name="vpc-cni")
    assert err.error_code == "InvalidParameterValue" and "ModifyCluster" in err.error_message


def test_add_ons_survive_a_restart_with_a_state_file(start_emulator, tmp_path):
    state_file = tmp_path / "state.json"
    first = start(start_emulator, state_file=state_file, kce_settle_describes=1)
    instance_id = _create(clients(first))["Data"]["InstanceIds"][0]
    first.stop()
    api = clients(start(start_emulator, state_file=state_file, kce_settle_describes=1))
    assert [(a["InstanceId"], a["Phase"]) for a in _instances(api, AddonIds=[CSI])] == [(instance_id, "Installing")]
    assert _csi(api) == [("Running", False)]
    assert _csi(clients(start(start_emulator, state_file=state_file))) == [("Running", False)]
