"""ksyun.kce.cluster_vpc_cni through ansible-playbook against the emulator, without the sandbox's platform: a VpcCNI
change shows Updating for kce_settle_describes DescribeClusters answers, then Running (call-driven), or fails through a
platform_reconcile the test gives the emulator. What the module sends and waits for is what the sandbox's platform gets.
"""

import pytest
from kce_cloud import SG, SG_PODS, SUBNET_6A, SUBNET_6B, SUBNET_RESERVE, SUBNET_SMALL, UNKNOWN, task
from kce_clusters import CLUSTER, CLUSTER_NAME, OTHER_VPC, SG_OTHER_VPC, SUBNET_6C, SUBNET_OTHER_VPC, kce_topology

pytestmark = pytest.mark.emulator

SHARED = {"cluster_id": CLUSTER, "mode": "shared", "subnet_ids": [SUBNET_6A, SUBNET_6B], "security_group_id": SG}
WRITE = {"ModifyCluster": 1}


def vpc_cni(emu):
    """The cluster's VpcCNI as the emulator stores it."""
    return emu.state.data["kce"]["clusters"][CLUSTER]["vpc_cni"]


def test_enable_shared_check_mode_sends_nothing_a_rerun_writes_nothing_then_exclusive_then_off(play, emu):
    emu.settings.update({"kce_settle_describes": 2})
    steps = play(
        [
            task("enable in check mode", "cluster_vpc_cni", SHARED, check=True),
            task("enable shared", "cluster_vpc_cni", SHARED),
            task("enable shared again", "cluster_vpc_cni", dict(SHARED, subnet_ids=[SUBNET_6B, SUBNET_6A])),
            task(
                "exclusive by name",
                "cluster_vpc_cni",
                dict({k: v for k, v in SHARED.items() if k != "cluster_id"}, name=CLUSTER_NAME, mode="exclusive"),
            ),
            task("disable", "cluster_vpc_cni", {"cluster_id": CLUSTER, "state": "disabled"}),
            task("disable again", "cluster_vpc_cni", {"cluster_id": CLUSTER, "state": "disabled"}),
        ]
    )
    line = "set VPC-CNI of cluster %s: enabled in shared mode (subnets %s, %s; security group %s)" % (
        CLUSTER,
        SUBNET_6A,
        SUBNET_6B,
        SG,
    )
    check = steps["enable in check mode"]
    assert check.changed and check.result["actions"] == [line] and check.total_writes == 0, check
    off = {"enabled": False, "mode": None, "subnet_ids": [], "security_group_id": None}
    on = {"enabled": True, "mode": "shared", "subnet_ids": [SUBNET_6A, SUBNET_6B], "security_group_id": SG}
    assert check.diff == {"before": off, "after": on} and check.result["phase"] == "Running"
    enable = steps["enable shared"]
    assert not enable.failed and enable.changed and enable.result["actions"] == [line], enable
    assert enable.writes == WRITE and enable.result["vpc_cni"] == on and enable.result["phase"] == "Running"
    # The read before the change, then one answer per poll: two Updating, one Running (plus the result's read).
    assert enable.reads["DescribeClusters"] == 5 and enable.diff == {"before": off, "after": on}
    assert steps["enable shared again"].is_noop and steps["enable shared again"].result["actions"] == []
    exclusive = steps["exclusive by name"]
    assert exclusive.changed and exclusive.writes == WRITE and exclusive.result["vpc_cni"]["mode"] == "exclusive"
    disable = steps["disable"]
    assert disable.changed and disable.writes == WRITE and disable.result["vpc_cni"]["enabled"] is False, disable
    assert disable.result["actions"] == ["set VPC-CNI of cluster %s: disabled" % CLUSTER]
    assert steps["disable again"].is_noop
    assert vpc_cni(emu) == {"Enable": False, "DaemonMode": "", "SubnetIds": [], "SecurityGroup": ""}


@pytest.mark.parametrize(
    "change, named",
    [
        ({"subnet_ids": [SUBNET_6A, SUBNET_OTHER_VPC]}, "subnet %s is in VPC %s" % (SUBNET_OTHER_VPC, OTHER_VPC)),
        ({"subnet_ids": [UNKNOWN]}, "subnet %s does not exist" % UNKNOWN),
        ({"subnet_ids": [SUBNET_6C]}, "subnet %s is in zone cn-beijing-6c, where cluster" % SUBNET_6C),
        ({"subnet_ids": [SUBNET_RESERVE]}, "subnet %s is of type Reserve" % SUBNET_RESERVE),
        ({"security_group_id": SG_OTHER_VPC}, "security group %s is in VPC %s" % (SG_OTHER_VPC, OTHER_VPC)),
        ({"security_group_id": UNKNOWN}, "security group %s does not exist" % UNKNOWN),
        ({"mode": "trunk"}, "trunk"),
        ({"subnet_ids": ["subnet-1"]}, "'subnet-1' is not a KSYUN resource id"),
    ],
)
def test_bad_values_are_refused_naming_the_value_and_nothing_is_written(play, emu, change, named):
    step = play([task("refused", "cluster_vpc_cni", dict(SHARED, **change))])["refused"]
    assert step.failed and named in step.msg and step.total_writes == 0, step
    assert vpc_cni(emu)["Enable"] is False


def test_missing_subnets_or_group_with_state_enabled_are_refused_before_any_call(play):
    step = play([task("no subnets", "cluster_vpc_cni", {"cluster_id": CLUSTER, "security_group_id": SG})])["no subnets"]
    assert step.failed and "subnet_ids" in step.msg and step.reads == {} and step.total_writes == 0


@pytest.mark.parametrize("zero_based", [False, True])
@pytest.mark.parametrize("strict_booleans", [False, True])
def test_the_subnet_list_goes_out_1_based_and_the_boolean_lower_case_which_either_server_reading_accepts(
    play, emu, zero_based, strict_booleans
):
    emu.settings.update({"accept_zero_based_lists": zero_based, "kce_strict_booleans": strict_booleans})
    change = dict(SHARED, subnet_ids=[SUBNET_6A, SUBNET_SMALL, SUBNET_6B], security_group_id=SG_PODS)
    step = play([task("enable", "cluster_vpc_cni", change)])["enable"]
    assert not step.failed and step.writes == WRITE, step
    assert vpc_cni(emu) == {
        "Enable": True,
        "DaemonMode": "eniMultiIP",
        "SubnetIds": [SUBNET_6A, SUBNET_SMALL, SUBNET_6B],
        "SecurityGroup": SG_PODS,
    }


def test_a_refusal_of_the_api_is_reported_with_its_code_request_id_and_status(play, emu):
    emu.faults.configure(
        {"fail_nth": [{"nth": 1, "action": "ModifyCluster", "mode": "error", "status": 409, "code": "ClusterBusy"}]}
    )
    step = play([task("refused by the api", "cluster_vpc_cni", SHARED)])["refused by the api"]
    assert step.failed and "ClusterBusy" in step.msg and step.result["code"] == "ClusterBusy", step
    assert step.result["http_status"] == 409 and step.result["request_id"]
    assert vpc_cni(emu)["Enable"] is False


def test_a_platform_that_never_settles_times_out_naming_the_phase(play, emu):
    emu.settings.update({"kce_settle_describes": 1000})
    step = play([task("slow", "cluster_vpc_cni", dict(SHARED, wait_timeout=2))])["slow"]
    assert step.failed and "timed out after 2.0s waiting for cluster %s" % CLUSTER in step.msg, step
    assert "last phase Updating" in step.msg and step.writes == WRITE


def test_without_wait_the_task_returns_after_the_call_and_a_rerun_with_wait_waits_without_writing(play, emu):
    emu.settings.update({"kce_settle_describes": 3})
    steps = play(
        [
            task("no wait", "cluster_vpc_cni", dict(SHARED, wait=False)),
            task("rerun with wait", "cluster_vpc_cni", SHARED),
        ]
    )
    no_wait = steps["no wait"]
    assert not no_wait.failed and no_wait.changed and no_wait.writes == WRITE, no_wait
    assert no_wait.result["vpc_cni"]["enabled"] is True and no_wait.result["phase"] == "Updating"
    rerun = steps["rerun with wait"]
    assert rerun.is_noop and rerun.result["phase"] == "Running", rerun
    # 3 answers show Updating (the first went to the task without wait), then Running.
    assert rerun.reads["DescribeClusters"] == 3


def test_a_failed_platform_phase_ends_the_wait_with_the_platforms_message(platform_emulator, tmp_path):
    from kce_cloud import ACCESS_KEY_ID, REGION, SECRET_ACCESS_KEY

    from playbook_runner import run_playbook

    def reconcile(_kubeconfig, cluster):
        raise RuntimeError("no ENI quota left for subnet %s" % cluster["VpcCNI"]["SubnetIds"][0])

    emu = platform_emulator(reconcile)
    env = {
        "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "KSYUN_REGION": REGION,
        "KSYUN_ENDPOINT": emu.url,
    }
    steps = run_playbook(
        [
            task("fails", "cluster_vpc_cni", dict(SHARED, wait_timeout=30)),
            task("rerun fails again without writing", "cluster_vpc_cni", dict(SHARED, wait_timeout=30)),
        ],
        tmp_path,
        emu.url,
        SECRET_ACCESS_KEY,
        env,
    )
    reason = "no ENI quota left for subnet %s" % SUBNET_6A
    step = steps["fails"]
    assert step.failed and "phase is Failed: " in step.msg and reason in step.msg, step
    assert step.writes == WRITE
    rerun = steps["rerun fails again without writing"]
    assert rerun.failed and reason in rerun.msg and rerun.total_writes == 0, rerun


def test_the_topology_of_these_tests_has_what_the_refusals_need():
    topo = kce_topology()
    assert {s["id"] for s in topo["subnets"]} >= {SUBNET_OTHER_VPC, SUBNET_6C}
