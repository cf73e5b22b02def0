"""Ids of the default sandbox topology, the task builder and the views the integration tests assert on (Step: playbook_runner)."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO / "sandbox" / "topologies" / "default.yml"

ACCESS_KEY_ID = "AKLTintegration01"
# Distinctive so every test can check that no output ever contains it.
SECRET_ACCESS_KEY = "SKintegration-4b9d2f-never-print-me"
REGION = "cn-beijing-6"
FAST = {"transition_seconds": 0.05}

VPC = "5f2c7a10-0001-4a6e-9c1b-000000000001"
SUBNET_6A = "5f2c7a10-0002-4a6e-9c1b-000000000001"
SUBNET_6B = "5f2c7a10-0002-4a6e-9c1b-000000000002"
SUBNET_SMALL = "5f2c7a10-0002-4a6e-9c1b-000000000003"
SUBNET_RESERVE = "5f2c7a10-0002-4a6e-9c1b-000000000004"
SG = "5f2c7a10-0003-4a6e-9c1b-000000000001"
SG_PODS = "5f2c7a10-0003-4a6e-9c1b-000000000002"
NODE_47 = "5f2c7a10-0004-4a6e-9c1b-000000000047"
NODE_48 = "5f2c7a10-0004-4a6e-9c1b-000000000048"
NODE_TINY = "5f2c7a10-0004-4a6e-9c1b-000000000049"
NODE_6B = "5f2c7a10-0004-4a6e-9c1b-000000001020"
ENI_47 = "5f2c7a10-0005-4a6e-9c1b-000000000047"
ENI_48 = "5f2c7a10-0005-4a6e-9c1b-000000000048"
ENI_TINY = "5f2c7a10-0005-4a6e-9c1b-000000000049"
UNKNOWN = "5f2c7a10-ffff-4a6e-9c1b-00000000dead"


class Cloud:
    """What the emulator holds, read from its state directly (not through the API the modules use)."""

    def __init__(self, emulator):
        self.emulator = emulator

    def enis(self):
        return self.emulator.state.data["network_interfaces"]

    def eni(self, eni_id):
        return self.enis().get(eni_id)

    def eni_named(self, name):
        found = [e for e in self.enis().values() if e["name"] == name]
        assert len(found) <= 1, found
        return found[0] if found else None

    def addresses(self):
        return self.emulator.state.data["addresses"]

    def address(self, allocation_id):
        return self.addresses().get(allocation_id)

    def is_reserved(self, subnet_id, ip):
        return (
            self.emulator.state.data["ip_attributes"].get(subnet_id, {}).get(ip, {}).get("allocate_status")
            == "specific"
        )

    def holder(self, ip):
        return next((e["id"] for e in self.enis().values() if ip == e["primary_ip"] or ip in e["secondary_ips"]), None)


def task(name, module, args, check=False, diff=True, **keywords):
    """A task for ``play``: ``module`` short name (``eni``) or FQCN, ``args`` its options; failures do not stop the play."""
    fqcn = module if "." in module else "ksyun.kce." + module
    out = {"name": name, fqcn: args, "ignore_errors": True, "diff": diff}
    if check:
        out["check_mode"] = True
    out.update(keywords)
    return out


def emulator_task(name, path, body):
    """A task that changes the emulator between two module tasks (``faults`` or ``settings``)."""
    return {
        "name": name,
        "ansible.builtin.uri": {
            "url": "{{ emulator_url }}/_emulator/" + path,
            "method": "POST",
            "body_format": "json",
            "body": body,
            "use_proxy": False,
        },
    }
