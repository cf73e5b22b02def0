"""Names the fixed IP integration tests share: the sandbox's ids and settings, credentials, the Step of a playbook run."""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import Settings

ACCESS_KEY_ID = "AKLTfixedip01"
# Distinctive, so a test can check that no output ever contains it.
SECRET_ACCESS_KEY = "SKfixed-ip-7c1e-never-print-me"
REGION = "cn-beijing-6"
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
# What the sandbox's VPC-CNI runs with (the node agent installs the same when it manages the add-on).
SANDBOX_SETTINGS = Settings(cluster_name="sandbox", security_group_ids=(SECURITY_GROUP,),
                            pod_subnets={"cn-beijing-6a": (SUBNET_6A,), "cn-beijing-6b": (SUBNET_6B,)})
# IPs the tests choose in SUBNET_6A; a late release by the node agent may leave one reserved after its run.
CHOSEN_IPS = ("10.0.0.236", "10.0.0.238", "10.0.0.239", "10.0.0.246")
COUNTERS = ("{{ lookup('ansible.builtin.url', emulator_url ~ '/_emulator/counters', use_proxy=false, split_lines=false)"
            " | from_json }}")


class Step:
    """One task: its result, and the emulator reads and writes (by action) made while it ran."""

    def __init__(self, name, result, reads, writes):
        self.name, self.result, self.reads, self.writes = name, result, reads, writes

    @property
    def failed(self):
        return bool(self.result.get("failed"))

    @property
    def changed(self):
        return bool(self.result.get("changed"))

    @property
    def msg(self):
        return self.result.get("msg", "")

    @property
    def total_writes(self):
        return sum(self.writes.values())

    def __repr__(self):
        return "Step(%r, changed=%s, failed=%s, writes=%s, msg=%r)" % (self.name, self.changed, self.failed, self.writes, self.msg)
