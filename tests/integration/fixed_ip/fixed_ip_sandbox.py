"""Names the fixed IP integration tests share: the sandbox's ids and settings, credentials."""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings

ACCESS_KEY_ID = "AKLTfixedip01"
# Distinctive, so a test can check that no output ever contains it.
SECRET_ACCESS_KEY = "SKfixed-ip-7c1e-never-print-me"
REGION = "cn-beijing-6"
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
# What the sandbox's VPC-CNI runs with (the node agent installs the same when it manages the add-on).
SANDBOX_SETTINGS = Settings(
    cluster_name="sandbox",
    security_group_ids=(SECURITY_GROUP,),
    pod_subnets={"cn-beijing-6a": (SUBNET_6A,), "cn-beijing-6b": (SUBNET_6B,)},
)
# IPs the tests choose in SUBNET_6A; a late release by the node agent may leave one reserved after its run.
CHOSEN_IPS = ("10.0.0.236", "10.0.0.238", "10.0.0.239", "10.0.0.246")


def sandbox_environment(sandbox_state, emulator_url, env=None):
    """What a playbook of these tests runs with: the sandbox's cluster (K8S_AUTH_KUBECONFIG) and emulator (KSYUN_*),
    updated by env (a value None unsets it)."""
    environment = {
        "ANSIBLE_PIPELINING": "True",
        "K8S_AUTH_KUBECONFIG": sandbox_state["kubeconfig"],
        "KSYUN_ACCESS_KEY_ID": ACCESS_KEY_ID,
        "KSYUN_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
        "KSYUN_REGION": REGION,
        "KSYUN_ENDPOINT": emulator_url,
    }
    environment.update(env or {})
    return environment
