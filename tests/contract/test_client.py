"""The collection's client: configuration from the environment, secrets, proxies, call log, missing SDK."""

import http.client
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, KsyunConfigError
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

pytestmark = pytest.mark.emulator

REPO = Path(__file__).resolve().parents[2]
SECRET = "SKcontract-9f3e1b7d-never-print-me"


def _env(emulator, **extra):
    env = {
        "KSYUN_ACCESS_KEY_ID": "AKLTenv",
        "KSYUN_SECRET_ACCESS_KEY": "SKenv",
        "KSYUN_REGION": "cn-beijing-6",
        "KSYUN_ENDPOINT": "http://" + emulator.endpoint,
    }
    env.update(extra)
    return env


def test_credentials_region_and_endpoint_come_from_the_environment(emulator, monkeypatch, ids):
    for key, value in _env(emulator).items():
        monkeypatch.setenv(key, value)
    client = KsyunClient()
    assert client.config.scheme == "http" and client.config.endpoint == emulator.endpoint
    assert client.get_subnet(ids.subnet_6a)["CidrBlock"] == "10.0.0.0/24"


def test_the_scheme_can_come_from_ksyun_scheme_when_the_endpoint_has_none(emulator, ids):
    client = KsyunClient(env=_env(emulator, KSYUN_ENDPOINT=emulator.endpoint, KSYUN_SCHEME="http"))
    assert client.get_subnet(ids.subnet_6b)["SubnetId"] == ids.subnet_6b


def test_explicit_arguments_win_over_the_environment(emulator):
    client = KsyunClient(region="cn-shanghai-2", env=_env(emulator))
    assert client.config.region == "cn-shanghai-2" and client.config.access_key_id == "AKLTenv"


def test_the_default_endpoint_is_the_sdk_service_host_over_https(emulator):
    client = KsyunClient(env=_env(emulator, KSYUN_ENDPOINT=""))
    assert client.config.scheme == "https" and client.config.endpoint_for("vpc") is None


def test_an_endpoint_template_names_each_service():
    client = KsyunClient("AK", "SK", "cn-beijing-6", endpoint="{service}.cn-beijing-6.api.ksyun.com")
    assert client.config.endpoint_for("kec") == "kec.cn-beijing-6.api.ksyun.com"


@pytest.mark.parametrize(
    "missing,variable",
    [
        ("KSYUN_ACCESS_KEY_ID", "KSYUN_ACCESS_KEY_ID"),
        ("KSYUN_SECRET_ACCESS_KEY", "KSYUN_SECRET_ACCESS_KEY"),
        ("KSYUN_REGION", "KSYUN_REGION"),
    ],
)
def test_missing_settings_name_the_variable_to_set(emulator, missing, variable):
    env = _env(emulator)
    del env[missing]
    with pytest.raises(KsyunConfigError) as err:
        KsyunClient(env=env)
    assert variable in str(err.value)


@pytest.mark.parametrize(
    "kwargs,fragment",
    [
        ({"scheme": "https", "endpoint": "http://127.0.0.1:1"}, "contradicts"),
        ({"scheme": "ftp"}, "ftp"),
        ({"endpoint": "http://127.0.0.1:1/api"}, "path"),
        ({"method": "PUT"}, "PUT"),
    ],
)
def test_inconsistent_settings_are_refused_with_the_bad_value(kwargs, fragment):
    with pytest.raises(KsyunConfigError) as err:
        KsyunClient("AK", "SK", "cn-beijing-6", **kwargs)
    assert fragment in str(err.value)


def test_the_secret_key_never_appears_in_errors_reprs_or_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(KsyunApiError) as err:
        client.modify_network_interface(SECRET, "echoes-the-id")
    texts = [
        str(err.value),
        repr(err.value),
        err.value.message,
        str(err.value.args),
        repr(client),
        str(client.config),
        repr(client.config),
        caplog.text,
        repr(client.call_log.records),
    ]
    assert err.value.status == 404, "the emulator echoes the unknown id (the secret) in its message"
    assert all(SECRET not in text for text in texts)
    assert "********" in err.value.message


def test_loopback_endpoints_bypass_the_proxy_without_changing_the_environment(emulator, make_client, monkeypatch, ids):
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    before = dict(os.environ)
    client = make_client(emulator)
    assert client.get_network_interface(ids.eni_47)["PrivateIpAddress"] == "10.0.0.47"
    assert dict(os.environ) == before


def test_the_stock_sdk_would_send_loopback_calls_to_the_proxy(emulator, monkeypatch):
    from ksyun.client.vpc.v20160304 import client as vpc_client
    from ksyun.client.vpc.v20160304 import models
    from ksyun.common.credential import Credential
    from ksyun.common.exception.ksyun_sdk_exception import KsyunSDKException
    from ksyun.common.profile.client_profile import ClientProfile
    from ksyun.common.profile.http_profile import HttpProfile

    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    stock = vpc_client.VpcClient(
        Credential("AK", "SK"),
        "cn-beijing-6",
        ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=emulator.endpoint, reqTimeout=2)),
    )
    with pytest.raises(KsyunSDKException) as err:
        stock.DescribeSubnets(models.DescribeSubnetsRequest())
    assert err.value.code == "ClientNetworkError"


def test_other_endpoints_follow_the_proxy_environment(emulator, monkeypatch, ids):
    monkeypatch.setenv("HTTP_PROXY", emulator.url)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    client = KsyunClient(
        "AK",
        "SK",
        "cn-beijing-6",
        endpoint="{service}.ksyun-emulator.test",
        scheme="http",
        retry=RetryPolicy(attempts=1),
    )
    assert client.get_subnet(ids.subnet_6a)["SubnetId"] == ids.subnet_6a, "the emulator answered as the proxy"


def test_the_call_log_counts_every_attempt_per_action(client, emulator, ids):
    seen = []
    client.call_log.listeners.append(seen.append)
    emulator.faults.configure({"fail_nth": [{"nth": 1, "mode": "throttle"}]})
    client.describe_subnets()
    client.get_network_interface(ids.eni_47)
    assert client.call_log.counts() == {"DescribeSubnets": 2, "DescribeNetworkInterfaces": 1}
    assert client.call_log.calls() == {"DescribeSubnets": 1, "DescribeNetworkInterfaces": 1}
    assert [r.error_code for r in seen] == ["Throttling", None, None]


def test_the_client_modules_import_without_the_sdk_and_say_what_is_missing():
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from sandbox.paths import collections_root; sys.path.insert(0, str(collections_root()))\n"
        "sys.modules['ksyun'] = None\n"
        "from ansible_collections.ksyun.kce.plugins.module_utils.ksyun import client\n"
        "assert client.HAS_KSYUN_SDK is False and client.KSYUN_SDK_IMPORT_TRACEBACK\n"
        "try:\n    client.KsyunClient('AK', 'SK', 'cn-beijing-6')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    ) % str(REPO)
    result = subprocess.run(check=False, args=[sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("KsyunConfigError ") and "kingsoftcloud-sdk-python" in result.stdout


def test_calls_reuse_one_persistent_connection_per_service(emulator, client, ids):
    """HTTP/1.1 keep-alive: the emulator answers persistently and the client's session reuses its connection, so 30
    calls to two services open two connections, not 30 (wall times measure the calls, not TCP set-up)."""
    before = emulator.connections_opened
    for _round in range(15):
        assert client.get_subnet(ids.subnet_6a)["CidrBlock"] == "10.0.0.0/24"
        assert client.describe_instances()
    assert emulator.connections_opened - before == 2


def test_the_emulator_speaks_http_1_1_and_keeps_the_connection(emulator):
    conn = http.client.HTTPConnection(emulator.host, emulator.port, timeout=10)
    try:
        for _round in range(3):
            conn.request("GET", "/_emulator/health")
            resp = conn.getresponse()
            body = json.loads(resp.read())
            assert (resp.status, resp.version, resp.getheader("Connection")) == (200, 11, None)
        assert body["ok"] is True and body["connections"] == emulator.connections_opened
    finally:
        conn.close()
