"""The access key pair of every cloud module, through ansible-playbook: options (or their aliases access_key and
secret_key), then KSYUN_ACCESS_KEY_ID/KSYUN_SECRET_ACCESS_KEY, then KSYUN_ACCESS_KEY/KSYUN_SECRET_KEY; a pair from two
sources is refused before any call; the emulator's counters show whose key signed the calls."""

import pytest
from kce_cloud import SECRET_ACCESS_KEY, task
from kce_clusters import CLUSTER

pytestmark = pytest.mark.emulator

UNSET = {
    "KSYUN_ACCESS_KEY_ID": None,
    "KSYUN_SECRET_ACCESS_KEY": None,
    "KSYUN_ACCESS_KEY": None,
    "KSYUN_SECRET_KEY": None,
}
# The playbook runner fails a test whose output shows SECRET_ACCESS_KEY; every secret here is that one.
LEGACY = {"KSYUN_ACCESS_KEY": "AKLTlegacy", "KSYUN_SECRET_KEY": SECRET_ACCESS_KEY}
INFO = {"cluster_id": CLUSTER, "include_nodes": False}


def callers(emu):
    return {name for name, calls in emu.counters.as_dict()["callers"].items() if calls["total_reads"]}


def test_the_aliases_access_key_and_secret_key_are_the_options(play, emu):
    args = dict(INFO, access_key="AKLTalias", secret_key=SECRET_ACCESS_KEY)
    step = play([task("aliases", "cluster_info", args)], env=UNSET)["aliases"]
    assert not step.failed, step
    assert callers(emu) == {"AKLTalias"}
    invocation = step.result["invocation"]["module_args"]
    assert (
        SECRET_ACCESS_KEY not in str(invocation)
        and invocation["secret_access_key"] == "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
    )


def test_the_terraform_variables_are_read_when_nothing_else_is_set(play, emu):
    step = play([task("legacy variables", "cluster_info", INFO)], env=dict(UNSET, **LEGACY))["legacy variables"]
    assert not step.failed, step
    assert callers(emu) == {"AKLTlegacy"}


def test_the_ksyun_access_key_id_pair_wins_over_the_terraform_pair_and_options_win_over_both(play, emu):
    env = dict(LEGACY, KSYUN_ACCESS_KEY_ID="AKLTpreferred", KSYUN_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY)
    step = play([task("both pairs", "cluster_info", INFO)], env=env)["both pairs"]
    assert not step.failed and callers(emu) == {"AKLTpreferred"}, step
    args = dict(INFO, access_key_id="AKLToption", secret_access_key=SECRET_ACCESS_KEY)
    step = play([task("options", "cluster_info", args)], env=env)["options"]
    assert not step.failed and callers(emu) == {"AKLToption"}, step


@pytest.mark.parametrize(
    "args, env, named",
    [
        (
            {},
            {"KSYUN_ACCESS_KEY_ID": "AKLTnew", "KSYUN_SECRET_KEY": SECRET_ACCESS_KEY},
            ("KSYUN_ACCESS_KEY_ID", "KSYUN_SECRET_KEY"),
        ),
        (
            {"access_key": "AKLTopt"},
            {"KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY},
            ("the option access_key_id", "KSYUN_SECRET_ACCESS_KEY"),
        ),
        (
            {"secret_key": SECRET_ACCESS_KEY},
            {"KSYUN_ACCESS_KEY": "AKLTlegacy"},
            ("KSYUN_ACCESS_KEY", "the option secret_access_key"),
        ),
    ],
)
def test_an_id_and_a_secret_from_two_sources_are_refused_naming_both_before_any_call(play, emu, args, env, named):
    step = play([task("mixed", "cluster_info", dict(INFO, **args))], env=dict(UNSET, **env))["mixed"]
    assert step.failed and "comes from %s but the secret key from %s" % named in step.msg, step
    assert step.reads == {} and emu.counters.as_dict()["total_reads"] == 0
