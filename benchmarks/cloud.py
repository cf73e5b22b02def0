"""Cloud reads over N ENIs seeded straight into an in-process emulator's state (no N create calls).

- ``list ENIs``: KsyunClient.describe_network_interfaces of one subnet; reads grow with pages, not items.
- ``snapshot``: read_nodes over three nodes plus the read model's cloud snapshot of the subnet, what every flow round reads.
"""

import uuid

import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.flows.snapshots import read_nodes
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from sandbox.controlplane.cluster import DEFAULT_TOPOLOGY
from sandbox.ksyun_emulator import Emulator

from .common import Row, client_for, measure

BENCH_SUBNET = "5f2c7a10-0002-4a6e-9c1b-0000000000b1"
SECURITY_GROUP = "5f2c7a10-0003-4a6e-9c1b-000000000001"
NODES = {
    "10.0.0.47": "5f2c7a10-0004-4a6e-9c1b-000000000047",
    "10.0.0.48": "5f2c7a10-0004-4a6e-9c1b-000000000048",
    "10.0.0.49": "5f2c7a10-0004-4a6e-9c1b-000000000049",
}


def topology():
    """The default topology plus a /20 subnet (4093 usable addresses) in zone cn-beijing-6a for the seeded ENIs."""
    with open(DEFAULT_TOPOLOGY, encoding="utf-8") as handle:
        topo = yaml.safe_load(handle)
    topo["subnets"].append(
        {"id": BENCH_SUBNET, "name": "kce-bench-6a", "cidr": "10.0.16.0/20", "zone": "cn-beijing-6a", "type": "Normal"}
    )
    return topo


def seed_enis(emulator, count):
    """Put ``count`` detached extension ENIs (10.0.16.10 upwards) into the emulator's state directly."""
    with emulator.state.lock:
        enis = emulator.state.data["network_interfaces"]
        for index in range(count):
            eni_id = str(uuid.UUID(int=0xBE4C0000 + index, version=4))
            host = 10 + index
            enis[eni_id] = {
                "id": eni_id,
                "name": "bench-%04d" % index,
                "type": "extension",
                "subnet_id": BENCH_SUBNET,
                "primary_ip": "10.0.%d.%d" % (16 + host // 256, host % 256),
                "secondary_ips": [],
                "security_group_ids": [SECURITY_GROUP],
                "mac": "fa:16:3f:%02x:%02x:%02x" % (index >> 16 & 255, index >> 8 & 255, index & 255),
                "instance_id": None,
                "state": "available",
                "until": None,
                "created": "2026-01-01T00:00:00Z",
            }


def _node(name, instance_id):
    return {"metadata": {"name": name}, "spec": {"providerID": "ksyun://%s" % instance_id}}


class Reader:
    """The measured reads; ``count`` is how many ENIs the last one saw."""

    def __init__(self, cloud):
        self.cloud, self.count = cloud, 0
        self.nodes = [_node(name, instance) for name, instance in sorted(NODES.items())]

    def list_default(self):
        self.count = len(self.cloud.describe_network_interfaces(filters={"subnet-id": [BENCH_SUBNET]}))

    def list_big_pages(self):
        self.count = len(self.cloud.describe_network_interfaces(filters={"subnet-id": [BENCH_SUBNET]}, page_size=1000))

    def snapshot(self):
        reader = CloudReader(self.cloud)
        infos = read_nodes(reader, self.nodes)
        self.count = len(reader.cloud([BENCH_SUBNET], [info.instance for info in infos.values()]).enis)


def run(sizes, repeats):
    """Rows of both benchmarks for each N, one emulator per N."""
    rows = []
    for size in sizes:
        with Emulator(topology(), settings={"transition_seconds": 0}) as emulator:
            seed_enis(emulator, size)
            reader = Reader(client_for(emulator))
            for name, call in (
                ("list ENIs (page size default 20)", reader.list_default),
                ("list ENIs (page size 1000)", reader.list_big_pages),
            ):
                seconds, reads, writes = measure(emulator, repeats, call)
                if reader.count != size:
                    raise RuntimeError("%s listed %d ENIs, %d seeded" % (name, reader.count, size))
                rows.append(Row(name, size, seconds, reads, writes))
            seconds, reads, writes = measure(emulator, repeats, reader.snapshot)
            if reader.count < size:
                raise RuntimeError("the snapshot shows %d ENIs, %d seeded" % (reader.count, size))
            rows.append(Row("snapshot: read_nodes (3 nodes) + CloudReader.cloud", size, seconds, reads, writes))
    return rows
