"""Fault injection and the client's retries: what is retried, what is not, and the error when it gives up."""

import socket
import threading
import time

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunApiError, is_throttled
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy

pytestmark = pytest.mark.emulator


def _reads(emulator, action):
    return emulator.counters.as_dict()["reads"].get(action, 0)


def _writes(emulator, action):
    return emulator.counters.as_dict()["writes"].get(action, 0)


def test_throttled_calls_are_retried_until_they_succeed(client, emulator, ids):
    emulator.faults.configure({"fail_nth": [{"nth": 1, "times": 2, "mode": "throttle", "action": "DescribeSubnets"}]})
    assert client.get_subnet(ids.subnet_6a)["SubnetId"] == ids.subnet_6a
    assert _reads(emulator, "DescribeSubnets") == 3
    assert emulator.counters.as_dict()["faults"] == {"throttle": 2}


def test_throttling_is_answered_with_http_400_and_code_throttling_by_default(client, emulator):
    emulator.faults.configure({"throttle_rate": 1.0})
    with pytest.raises(KsyunApiError) as err:
        client.describe_subnets()
    assert (err.value.status, err.value.code) == (400, "Throttling") and is_throttled(err.value)
    assert err.value.retryable and err.value.attempts == 4
    assert "gave up after 4 attempts" in str(err.value)
    assert _reads(emulator, "DescribeSubnets") == 4


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_with_another_http_status_is_retried_too(client, emulator, status):
    emulator.faults.configure(
        {
            "throttle_status": status,
            "throttle_code": "RequestLimitExceeded",
            "fail_nth": [{"nth": 1, "mode": "throttle"}],
        }
    )
    assert len(client.describe_subnets()) == 4
    assert _reads(emulator, "DescribeSubnets") == 2


def test_server_errors_are_retried(client, emulator, ids):
    emulator.faults.configure(
        {"fail_nth": [{"nth": 1, "times": 2, "mode": "error", "status": 503, "code": "ServiceUnavailable"}]}
    )
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    assert client.get_network_interface(eni_id) is not None
    assert _writes(emulator, "CreateNetworkInterface") == 3


def test_a_steady_5xx_makes_the_client_give_up_with_the_code_and_request_id(client, emulator):
    emulator.faults.configure({"error_rate": 1.0})
    with pytest.raises(KsyunApiError) as err:
        client.describe_security_groups()
    assert (err.value.status, err.value.code) == (500, "INTERNAL_FAILURE") and err.value.request_id
    assert str(err.value).startswith("Failed to describe security groups: INTERNAL_FAILURE: ")
    assert "(request %s)" % err.value.request_id in str(err.value)
    assert _reads(emulator, "DescribeSecurityGroups") == 4


def test_a_client_error_from_the_api_is_not_retried(client, emulator, ids):
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_6a, [ids.sg], private_ip="10.0.9.9")
    assert not err.value.retryable and err.value.attempts == 1
    assert _writes(emulator, "CreateNetworkInterface") == 1


def test_an_injected_4xx_is_not_retried(client, emulator):
    emulator.faults.configure(
        {"fail_nth": [{"nth": 1, "mode": "error", "status": 403, "code": "SignatureDoesNotMatch"}]}
    )
    with pytest.raises(KsyunApiError) as err:
        client.describe_subnets()
    assert (err.value.status, err.value.code, err.value.attempts) == (403, "SignatureDoesNotMatch", 1)
    assert _reads(emulator, "DescribeSubnets") == 1


def test_a_steady_drop_rate_makes_reads_give_up_with_a_network_error(client, emulator):
    emulator.faults.configure({"drop_rate": 1.0})
    with pytest.raises(KsyunApiError) as err:
        client.describe_subnets()
    assert err.value.code == "ClientNetworkError" and err.value.attempts == 4 and not err.value.ambiguous
    assert emulator.counters.as_dict()["faults"] == {"drop": 4}


def test_a_dropped_connection_on_a_read_is_retried(client, emulator, ids):
    emulator.faults.configure({"fail_nth": [{"nth": 1, "mode": "drop"}]})
    assert client.get_network_interface(ids.eni_47)["PrivateIpAddress"] == "10.0.0.47"
    assert _reads(emulator, "DescribeNetworkInterfaces") == 2
    assert emulator.counters.as_dict()["faults"] == {"drop": 1}


def test_a_write_whose_connection_dropped_after_it_ran_is_not_blindly_repeated(client, emulator, admin, ids):
    before = len(admin.state()["network_interfaces"])
    emulator.faults.configure({"fail_nth": [{"nth": 1, "mode": "drop_after", "scope": "writes"}]})
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface(ids.subnet_6a, [ids.sg], name="maybe-created")
    assert err.value.code == "ClientNetworkError" and err.value.ambiguous and err.value.retryable
    assert "may have been applied" in str(err.value)
    assert _writes(emulator, "CreateNetworkInterface") == 1
    assert len(admin.state()["network_interfaces"]) == before + 1, "the emulator did run the write before dropping"


def test_repeating_an_ambiguous_write_can_be_switched_on(emulator, make_client, ids):
    client = make_client(emulator, retry=RetryPolicy(attempts=3, base_delay=0.001, retry_ambiguous_writes=True))
    emulator.faults.configure({"fail_nth": [{"nth": 1, "mode": "drop", "scope": "writes"}]})
    client.modify_network_interface(ids.eni_47, "renamed")
    assert client.get_network_interface(ids.eni_47)["NetworkInterfaceName"] == "renamed"
    assert _writes(emulator, "ModifyNetworkInterface") == 2


def test_the_nth_mutating_call_can_be_failed_while_reads_pass(client, emulator, ids):
    emulator.faults.configure(
        {"fail_nth": [{"nth": 2, "scope": "writes", "mode": "error", "status": 400, "code": "InvalidParameterValue"}]}
    )
    client.describe_subnets()
    client.describe_subnets()
    first = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.describe_network_interfaces()
    with pytest.raises(KsyunApiError) as err:
        client.assign_private_ips(first, count=1)
    client.assign_private_ips(first, count=1)
    assert err.value.action == "AssignPrivateIpAddress" and err.value.code == "InvalidParameterValue"
    assert emulator.counters.as_dict()["total_writes"] == 3


def test_a_fault_can_target_one_action(client, emulator, ids):
    emulator.faults.configure(
        {"fail_nth": [{"nth": 1, "action": "DescribeInstances", "mode": "error", "status": 400, "code": "Boom"}]}
    )
    assert client.describe_subnets()
    with pytest.raises(KsyunApiError) as err:
        client.describe_instances()
    assert err.value.code == "Boom"


def test_latency_slows_every_call(client, emulator):
    emulator.faults.configure({"latency_ms": 150})
    started = time.monotonic()
    client.describe_security_groups()
    assert time.monotonic() - started >= 0.15


def test_a_call_slower_than_the_client_timeout_is_retried_and_then_reported(emulator, make_client):
    client = make_client(emulator, timeout=0.1, retry=RetryPolicy(attempts=2, base_delay=0.001))
    emulator.faults.configure({"latency_ms": 300})
    with pytest.raises(KsyunApiError) as err:
        client.describe_security_groups()
    assert err.value.code == "ClientNetworkError" and "timed out" in err.value.message.lower()
    assert err.value.attempts == 2


def test_random_faults_repeat_exactly_for_the_same_seed(start_emulator, make_client):
    outcomes = []
    for _attempt in range(2):
        emu = start_emulator(faults={"throttle_rate": 0.5, "fault_seed": 42})
        client = make_client(emu, retry=RetryPolicy(attempts=1))
        run = []
        for _attempt in range(12):
            try:
                client.describe_security_groups()
                run.append("ok")
            except KsyunApiError as err:
                run.append(err.code)
        outcomes.append(run)
    assert outcomes[0] == outcomes[1]
    assert "ok" in outcomes[0] and "Throttling" in outcomes[0]


def test_a_server_that_is_not_there_is_retried_and_reported_as_a_network_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = KsyunClient(
        "AKLTx",
        "SKx",
        "cn-beijing-6",
        endpoint="127.0.0.1:%d" % port,
        scheme="http",
        retry=RetryPolicy(attempts=3, base_delay=0.001),
    )
    with pytest.raises(KsyunApiError) as err:
        client.create_network_interface("s", ["g"])
    assert err.value.code == "ClientNetworkError" and err.value.attempts == 3 and not err.value.ambiguous
    assert client.call_log.counts() == {"CreateNetworkInterface": 3}


@pytest.mark.parametrize("mode, applied", [("hang", False), ("hang_after", True)])
def test_a_hung_call_holds_its_client_until_the_faults_are_reset_with_its_effect_known(
    client, emulator, admin, ids, mode, applied
):
    """The kill points of the crash tests: the Nth write hangs before or after it ran, the fault is counted when the
    hang begins (after the action, for hang_after), and a reset releases the client, which sees a dropped call."""
    before = len(admin.state()["network_interfaces"])
    emulator.faults.configure({"fail_nth": [{"nth": 1, "mode": mode, "scope": "writes"}]})
    outcome = {}

    def call():
        try:
            client.create_network_interface(ids.subnet_6a, [ids.sg], name="hung")
        except KsyunApiError as exc:
            outcome["error"] = exc

    caller = threading.Thread(target=call)
    caller.start()
    deadline = time.monotonic() + 10
    while emulator.counters.as_dict()["faults"].get(mode) != 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.counters.as_dict()["faults"] == {mode: 1}
    time.sleep(0.3)
    assert caller.is_alive(), "the client returned while its call was hung"
    assert len(admin.state()["network_interfaces"]) == before + (1 if applied else 0)
    emulator.faults.reset()
    caller.join(10)
    assert not caller.is_alive() and outcome["error"].code == "ClientNetworkError", outcome
