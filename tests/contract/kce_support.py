"""The official SDK's KCE clients pointed at an in-process emulator, for the tests/contract/test_kce*.py files.

Every call goes over HTTP through ``ksyun.client.kce*`` (or the SDK's ``CommonClient`` for the requests its models
cannot express: DescribeCluster at 2019-08-06, explicit list index forms); the SDK returns the raw JSON text.
"""

import json
from types import SimpleNamespace

import pytest
from ksyun.client.kce2.v20230101 import client as kce2_client
from ksyun.client.kce2.v20230101 import models as kce2_models
from ksyun.client.kce.v20190806 import client as kce_v1_client
from ksyun.client.kce.v20190806 import models as kce_v1_models
from ksyun.client.kce.v20230101 import client as kce_addon_client
from ksyun.client.kce.v20230101 import models as kce_addon_models
from ksyun.client.kce.v20231115 import client as kce_v3_client
from ksyun.client.kce.v20231115 import models as kce_v3_models
from ksyun.client.kec.v20160304 import client as kec_client
from ksyun.client.kec.v20160304 import models as kec_models
from ksyun.common import credential
from ksyun.common.common_client import CommonClient
from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException
from ksyun.common.profile.client_profile import ClientProfile
from ksyun.common.profile.http_profile import HttpProfile

ACCESS_KEY_ID = "AKLTkcecontract01"
SECRET = "SKkce-contract-never-print-me"
REGION = "cn-beijing-6"

CLUSTER = "5f2c7a10-0006-4a6e-9c1b-000000000001"
SECOND_CLUSTER = "5f2c7a10-0006-4a6e-9c1b-000000000002"
VPC = "5f2c7a10-0001-4a6e-9c1b-000000000001"
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
SUBNET_RESERVE = "5f2c7a10-0002-4a6e-9c1b-000000000004"
SG = "5f2c7a10-0003-4a6e-9c1b-000000000001"
NODES = [
    "5f2c7a10-0004-4a6e-9c1b-000000000047",
    "5f2c7a10-0004-4a6e-9c1b-000000000048",
    "5f2c7a10-0004-4a6e-9c1b-000000000049",
    "5f2c7a10-0004-4a6e-9c1b-000000001020",
    "5f2c7a10-0004-4a6e-9c1b-000000000050",
]
CSI = "5f2c7a10-0007-4a6e-9c1b-0000000000a3"  # csi-driver in the catalogue

# The PY SDK flattens a Python list 0-based (``Filter.0.Name``), which the emulator refuses by default
# (``accept_zero_based_lists``, [U]); the KCE tests send what the SDK sends, so they turn it on unless they test it.
PY_SDK_LISTS = {"accept_zero_based_lists": True}

_MODELS = {
    kce_v1_client.KceClient: kce_v1_models,
    kce_v3_client.KceClient: kce_v3_models,
    kce_addon_client.KceClient: kce_addon_models,
    kce2_client.Kce2Client: kce2_models,
    kec_client.KecClient: kec_models,
}


@pytest.fixture
def kce_emulator(request, start_emulator):
    """The default topology's emulator with PY_SDK_LISTS and the test's ``emulator_settings`` marker on top."""
    marker = request.node.get_closest_marker("emulator_settings")
    return start_emulator(**dict(PY_SDK_LISTS, **(marker.kwargs if marker else {})))


@pytest.fixture
def sdk(kce_emulator):
    return clients(kce_emulator)


def start(start_emulator, topology=None, **settings):
    """``start_emulator`` with PY_SDK_LISTS."""
    return start_emulator(topology, **dict(PY_SDK_LISTS, **settings))


def profile(emu, **http):
    return ClientProfile(httpProfile=HttpProfile(**dict({"endpoint": emu.endpoint, "protocol": "http"}, **http)))


def clients(emu, **http):
    """The SDK clients of every KCE version served, and KEC (to compare nodes with)."""
    cred, prof = credential.Credential(ACCESS_KEY_ID, SECRET), profile(emu, **http)
    return SimpleNamespace(
        v1=kce_v1_client.KceClient(cred, REGION, prof),
        v3=kce_v3_client.KceClient(cred, REGION, prof),
        addons=kce_addon_client.KceClient(cred, REGION, prof),
        kce2=kce2_client.Kce2Client(cred, REGION, prof),
        kec=kec_client.KecClient(cred, REGION, prof),
    )


def common(emu, service, version, **http):
    """The SDK's CommonClient: parameters go out as given (``{"AddonIds.1": x}`` stays ``AddonIds.1``)."""
    return CommonClient(service, version, credential.Credential(ACCESS_KEY_ID, SECRET), REGION, profile(emu, **http))


def call(client, action, **attrs):
    """``client.<action>(<action>Request with attrs)`` as a dict; attributes the model lacks are set anyway (the SDK
    serialises every attribute: CreateAddonInstance's model is empty, reference §3.3)."""
    request = getattr(_MODELS[type(client)], action + "Request")()
    for name, value in attrs.items():
        setattr(request, name, value)
    return json.loads(getattr(client, action)(request))


def call_common(client, action, params):
    """CommonClient.call (form or GET) as a dict; an ``Error`` in a 200 answer raises as the generated clients do."""
    body = json.loads(client.call(action, params))
    if body.get("Error"):
        raise KsyunSDKException(body["Error"]["Code"], body["Error"]["Message"], body.get("RequestId"))
    return body


def refused(fn, *args, **kwargs):
    """The SDK's exception of a refused call, with ``body`` (the parsed envelope) and ``http_200`` (whether the error
    came as HTTP 200 + envelope: the SDK then raises Error.Code; any other status is ServerNetworkError + raw body)."""
    with pytest.raises(KsyunSDKException) as info:
        fn(*args, **kwargs)
    exc = info.value
    if exc.code == "ServerNetworkError":
        exc.body, exc.http_200 = json.loads(exc.message), False
    else:
        exc.body = {"RequestId": exc.requestId, "Error": {"Code": exc.code, "Message": exc.message}}
        exc.http_200 = True
    exc.error_code, exc.error_message = exc.body["Error"]["Code"], exc.body["Error"]["Message"]
    return exc


def kce_state(emu):
    """A deep copy of the emulator's KCE state (to prove a refusal changed nothing)."""
    with emu.state.lock:
        return json.loads(json.dumps(emu.state.data["kce"]))


def two_clusters(topology, second_nodes=("5f2c7a10-0004-4a6e-9c1b-000000001020",)):
    """The default topology with a second cluster owning ``second_nodes`` (the first keeps the rest)."""
    topology["kce"]["clusters"].append(
        {
            "id": SECOND_CLUSTER,
            "name": "second",
            "manage_mode": "DedicatedCluster",
            "k8s_version": "v1.30.6",
            "network_type": "Calico",
            "pod_cidr": "172.20.0.0/16",
            "service_cidr": "10.96.0.0/16",
            "instances": list(second_nodes),
        }
    )
    return topology
