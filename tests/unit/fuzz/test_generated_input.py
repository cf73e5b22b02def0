"""Bad input at volume (hypothesis): thousands of generated values through every input check of the modules, the
pod annotation and resource parsing, the VPC-CNI ConfigMap parsing and the emulator's request parsing.

The property each time: a value is accepted, or refused with the one error type the caller turns into a clear
message naming the value; never a traceback of another kind. For the emulator: every refused request answers 4xx
with a KSYUN error code, never 500, and leaves the cloud's state exactly as it was. The counts of generated inputs are
in docs/reliability.md (hypothesis' settings below).
"""

import copy
import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.pod import (
    EXCLUSIVE_ANNOTATION,
    EXCLUSIVE_RESOURCE,
    FIXED_ANNOTATION,
    SHARED_ANNOTATION,
    SHARED_RESOURCE,
    pod_request,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.retention import Retention
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import PodSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import (
    ClusterConfigError,
    parse_cluster_config,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner import checks
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import ModuleError

REPO = Path(__file__).resolve().parents[3]
MANY = settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Text a user could type or paste: anything, with the characters of real values over-represented.
_VALUE_CHARS = string.ascii_letters + string.digits + ".-_/:, " + "\u00e9\u4e2d\t\n"
texts = st.one_of(st.text(max_size=40), st.text(alphabet=_VALUE_CHARS, max_size=40))
values = st.one_of(texts, st.integers(), st.floats(allow_nan=True), st.none(), st.booleans())


def _refused_clearly(call, *args, kinds=(ModuleError,), names=()):
    """call(*args) succeeds, or raises one of kinds with a message that names the value (or one of names)."""
    try:
        return call(*args)
    except kinds as exc:
        text = str(exc)
        assert text.strip(), "an empty message for %r" % (args,)
        assert any(str(n) in text for n in names) or any(repr(a) in text or str(a) in text for a in args), (text, args)
        return None


@MANY
@given(values)
def test_ip_check_accepts_a_dotted_quad_or_names_the_value(value):
    parsed = _refused_clearly(checks.parse_ipv4, value, "ip")
    if parsed is not None:
        assert parsed.count(".") == 3 and all(0 <= int(p) <= 255 for p in parsed.split("."))


@MANY
@given(texts, st.one_of(st.none(), texts))
def test_pod_check_accepts_kubernetes_names_or_names_the_value(namespace, pod_name):
    _refused_clearly(checks.check_pod, namespace, pod_name, names=(repr(namespace), repr(pod_name)))


@MANY
@given(texts)
def test_id_check(value):
    _refused_clearly(checks.check_id, "subnet_id", value)


@MANY
@given(values)
def test_retention_parses_or_names_the_value(value):
    parsed = _refused_clearly(checks.parse_retention, value, names=(repr(value), str(value)))
    if parsed is not None:
        assert isinstance(parsed, Retention)
        assert Retention.parse(parsed.text if hasattr(parsed, "text") else parsed) == parsed


@MANY
@given(texts)
def test_durations_parse_or_name_the_value(value):
    parsed = _refused_clearly(checks.parse_duration, value, "min_orphan_age", names=(repr(value),))
    if parsed is not None:
        assert parsed.total_seconds() > 0


@MANY
@given(texts)
def test_time_check(value):
    _refused_clearly(checks.check_time, "since", value, names=(repr(value), value))


@MANY
@given(values, values)
def test_group_version_check(group, version):
    _refused_clearly(checks.check_group_version, group, version, names=(repr(group), repr(version)))


_annotation_values = st.one_of(st.sampled_from(["true", "false", "True", " TRUE ", ""]), texts)
_resource_values = st.one_of(st.sampled_from(["1", "0", "2", " 1 ", "1.5", "1k", "-1"]), texts, st.integers())


@settings(max_examples=3000, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [SHARED_ANNOTATION, EXCLUSIVE_ANNOTATION, FIXED_ANNOTATION, "v1.multus-cni.io/default-network"]
        ),
        _annotation_values,
    ),
    st.dictionaries(st.sampled_from([SHARED_RESOURCE, EXCLUSIVE_RESOURCE, "cpu"]), _resource_values),
)
def test_pod_annotations_and_resources_are_a_request_or_an_error_naming_what_to_fix(annotations, requests):
    pod = PodSnapshot("ns", "sts-0", "uid-1", annotations=annotations, resource_requests=requests)
    try:
        request = pod_request(pod)
    except FixedIpError as exc:
        text = str(exc)
        named = (SHARED_ANNOTATION, EXCLUSIVE_ANNOTATION, FIXED_ANNOTATION, SHARED_RESOURCE, EXCLUSIVE_RESOURCE)
        assert "pod ns/sts-0" in text and any(k in text for k in named), text
        return
    if request.mode is not None:
        wanted = SHARED_RESOURCE if request.mode.value == "shared" else EXCLUSIVE_RESOURCE
        assert int(str(requests[wanted]).strip()) == 1


_config_keys = st.sampled_from(
    ["clusterName", "podSubnets", "securityGroupIds", "fixedIpEnabled", "reclaimPolicy", "crdGroup", "other"]
)


@settings(max_examples=2000, deadline=None)
@given(
    st.dictionaries(_config_keys, st.one_of(texts, st.sampled_from(['{"cn-beijing-6a": ["subnet-1"]}', "[]", "{}"])))
)
def test_vpc_cni_configmap_parses_or_names_the_key(data):
    try:
        config = parse_cluster_config(data)
    except ClusterConfigError as exc:
        assert "ConfigMap kube-system/ksyun-vpc-cni" in str(exc), str(exc)
        return
    assert config.settings.cluster_name


# --- the emulator's request parsing -----------------------------------------------------------------------------

_PARAMS = [
    "SubnetId",
    "NetworkInterfaceId",
    "InstanceId",
    "PrivateIpAddress",
    "PrivateIpAddress.1",
    "PrivateIpAddress.2",
    "SecurityGroupId",
    "SecurityGroupId.1",
    "SecurityGroupId.2",
    "NetworkInterfaceName",
    "MaxResults",
    "NextToken",
    "Marker",
    "SecondaryPrivateIpAddressCount",
    "ProjectId",
    "Filter.1.Name",
    "Filter.1.Value.1",
    "Filter.2.Name",
    "NetworkInterfaceId.1",
    "SubnetId.1",
    "InstanceId.1",
    "AllocateStatus",
    "Service",
]
_IDS = ["5f2c7a10-0002-4a6e-9c1b-000000000001", "5f2c7a10-0004-4a6e-9c1b-000000000047", "10.0.0.47", "10.0.0.300"]


@pytest.fixture(scope="module")
def emulator():
    from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY  # pylint: disable=import-outside-toplevel
    from sandbox.ksyun_emulator import Emulator  # pylint: disable=import-outside-toplevel

    emu = Emulator(DEFAULT_TOPOLOGY, settings={"transition_seconds": 0, "require_auth": False})
    return emu


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.one_of(
        st.sampled_from(sorted(__import__("sandbox.ksyun_emulator.actions", fromlist=["ACTIONS"]).ACTIONS)), texts
    ),
    st.dictionaries(
        st.sampled_from(_PARAMS), st.one_of(st.sampled_from(_IDS), texts, st.integers().map(str)), max_size=6
    ),
    st.sampled_from(["2016-03-04", "", "2020-01-01"]),
)
def test_emulator_answers_every_request_with_json_and_a_refusal_changes_nothing(emulator, action, params, version):
    flat = dict(params, Action=action, Version=version)
    before = copy.deepcopy(emulator.state.data)
    status, payload = emulator.execute(flat, {})
    assert status != 500, (flat, payload)
    json.dumps(payload)
    if status >= 400:
        error = payload.get("Error") or payload
        assert error.get("Code") and error.get("Message"), payload
        assert emulator.state.data == before, "a refused %s changed the state" % flat
