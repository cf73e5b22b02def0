"""The admin endpoint, the command line, and state that survives an emulator restart."""

import json
import os
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from sandbox.ksyun_emulator import Emulator
from sandbox.ksyun_emulator.admin_client import AdminClient

REPO = Path(__file__).resolve().parents[2]
DEFAULT_TOPOLOGY = REPO / "sandbox" / "topologies" / "default.yml"

pytestmark = pytest.mark.emulator


def test_counters_split_reads_and_writes_per_action_and_can_be_reset(client, admin, ids):
    client.describe_subnets()
    client.create_network_interface(ids.subnet_6a, [ids.sg])
    counters = admin.counters()
    assert counters["reads"] == {"DescribeSubnets": 1} and counters["writes"] == {"CreateNetworkInterface": 1}
    assert (counters["total_reads"], counters["total_writes"]) == (1, 1)
    admin.reset_counters()
    assert admin.counters()["total_reads"] == 0


def test_counters_keep_each_callers_calls_apart_by_the_access_key_it_signed_with(client, admin, emulator, ids):
    other = KsyunClient(
        access_key_id="AKLTsomeoneelse", secret_access_key="x", region=ids.region, endpoint=emulator.url
    )
    other.describe_network_interfaces(filters={"instance-id": [ids.node_47, ids.node_48]})
    other.describe_network_interfaces()
    client.describe_subnets()
    emulator.settings.update({"require_auth": False})
    urllib.request.build_opener(urllib.request.ProxyHandler({})).open(
        emulator.url + "/?Action=DescribeSubnets&Version=2016-03-04&Service=vpc", timeout=10
    ).read()
    me = client.config.access_key_id
    mine = admin.counters(caller=me)
    assert mine["reads"] == {"DescribeSubnets": 1} and mine["writes"] == {} and mine["caller"] == me
    assert admin.counters(caller="AKLTsomeoneelse")["reads"] == {"DescribeNetworkInterfaces": 2}
    assert admin.counters(caller="")["reads"] == {"DescribeSubnets": 1}, "an unsigned call has the caller ''"
    assert admin.counters(caller="nobody")["total_reads"] == 0
    total = admin.counters()
    assert total["reads"] == {"DescribeSubnets": 2, "DescribeNetworkInterfaces": 2}, "the totals count every caller"
    assert total["callers"] == {
        "": {"total_reads": 1, "total_writes": 0},
        "AKLTsomeoneelse": {"total_reads": 2, "total_writes": 0},
        me: {"total_reads": 1, "total_writes": 0},
    }
    admin.reset_counters()
    assert admin.counters(caller=me)["total_reads"] == 0 and admin.counters()["callers"] == {}


def test_the_state_dump_shows_what_the_api_changed_and_reset_restores_the_topology(client, admin, ids):
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg])
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.236")
    state = admin.state()
    assert eni_id in state["network_interfaces"]
    assert state["ip_attributes"][ids.subnet_6a]["10.0.0.236"]["allocate_status"] == "specific"
    admin.reset()
    assert eni_id not in admin.state()["network_interfaces"] and admin.state()["ip_attributes"] == {}
    assert client.get_network_interface(eni_id) is None


def test_settings_change_at_runtime(client, admin, ids):
    assert admin.settings()["accept_zero_based_lists"] is False
    admin.settings(accept_zero_based_lists="true")
    found = client.call("vpc", "DescribeNetworkInterfaces", {"NetworkInterfaceId": [ids.eni_47]}, "describe")
    assert len(found["NetworkInterfaceSet"]) == 1


def test_a_bad_setting_is_refused_naming_it(admin):
    with pytest.raises(urllib.error.HTTPError) as err:
        admin.settings(ip_quota_scope="zone")
    body = json.loads(err.value.read().decode())
    assert err.value.code == 400 and "ip_quota_scope" in body["error"] and "eni, instance" in body["error"]


def test_faults_are_set_read_and_cleared_over_http(client, admin):
    admin.faults(fail_nth=[{"nth": 1, "mode": "error", "status": 400, "code": "Injected"}])
    assert admin.faults()["fail_nth"][0]["code"] == "Injected"
    with pytest.raises(Exception) as err:
        client.describe_subnets()
    assert "Injected" in str(err.value)
    admin.reset_faults()
    assert admin.faults()["fail_nth"] == [] and client.describe_subnets()


def test_unknown_admin_routes_list_the_known_ones(emulator):
    with pytest.raises(urllib.error.HTTPError) as err:
        AdminClient(emulator.url)._call("GET", "nope")
    assert err.value.code == 404 and "/_emulator/state" in err.value.read().decode()


def test_the_emulator_listens_on_loopback_only():
    with pytest.raises(ValueError) as err:
        Emulator(str(DEFAULT_TOPOLOGY), host="0.0.0.0")
    assert "loopback" in str(err.value)


def test_state_survives_a_restart_with_a_state_file(tmp_path, start_emulator, make_client, ids):
    state_file = tmp_path / "state.json"
    first = start_emulator(state_file=state_file)
    client = make_client(first)
    eni_id = client.create_network_interface(ids.subnet_6a, [ids.sg], name="kept")
    client.assign_private_ips(eni_id, ["10.0.0.236"])
    client.reserve_private_ip(ids.subnet_6a, "10.0.0.237")
    first.stop()
    second = start_emulator(state_file=state_file)
    again = make_client(second)
    eni = again.get_network_interface(eni_id)
    assert eni["NetworkInterfaceName"] == "kept" and eni["AssignedPrivateIpAddressSet"] == [
        {"PrivateIpAddress": "10.0.0.236"}
    ]
    assert "10.0.0.237" not in again.describe_subnet_available_addresses(ids.subnet_6a, page_size=1000)
    assert again.create_network_interface(ids.subnet_6a, [ids.sg]) != eni_id


def _start_cli(state_file, *settings):
    cmd = [
        sys.executable,
        "-m",
        "sandbox.ksyun_emulator",
        "--topology",
        str(DEFAULT_TOPOLOGY),
        "--listen",
        "127.0.0.1:0",
        "--state-file",
        str(state_file),
        "--settings",
        *settings,
    ]
    proc = subprocess.Popen(
        cmd, cwd=str(REPO), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    line = proc.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
    if not match:
        proc.kill()
        raise AssertionError("no URL line from the emulator: %r %r" % (line, proc.stderr.read()))
    return proc, "127.0.0.1:%s" % match.group(1)


def test_the_command_line_prints_its_url_and_keeps_state_across_a_restart(tmp_path, make_client, ids):
    state_file = tmp_path / "cli-state.json"
    proc, endpoint = _start_cli(state_file, "transition_seconds=0", "latency_ms=0")
    try:
        client = make_client(type("E", (), {"endpoint": endpoint})())
        eni_id = client.create_network_interface(ids.subnet_6b, [ids.sg])
        client.attach_network_interface(ids.node_6b, eni_id)
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    proc, endpoint = _start_cli(state_file)
    try:
        client = make_client(type("E", (), {"endpoint": endpoint})())
        assert client.get_network_interface(eni_id)["InstanceId"] == ids.node_6b
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_the_command_line_refuses_a_bad_setting_with_a_message():
    result = subprocess.run(
        check=False,
        args=[sys.executable, "-m", "sandbox.ksyun_emulator", "--settings", "ip_quota_scope=zone"],
        cwd=str(REPO),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "ip_quota_scope" in result.stderr
