"""The emulator's state: a JSON-shaped dict behind one lock, seeded from a topology, optionally persisted."""

import hashlib
import json
import os
import random
import threading
import time
import uuid
from pathlib import Path

from . import ipam
from .errors import missing, not_found
from .kce_topology import kce_state
from .topology import TopologyError, eip_config, initial_state


class State:
    """Everything the API can see or change. Callers hold ``lock`` around a whole action."""

    def __init__(self, topology, settings, state_file=None):
        self.topology = topology
        self.settings = settings
        self.state_file = Path(state_file) if state_file else None
        self.lock = threading.RLock()
        self.kce_runtime = None  # kce_platform.KceRuntime, set by the Emulator
        self.data = {}
        self.rng = random.Random(settings.seed)
        if self.state_file and self.state_file.exists():
            self._load()
        else:
            self.reset()

    def reset(self):
        """Back to the topology, as if freshly seeded."""
        with self.lock:
            data = initial_state(self.topology)
            for eni in data["network_interfaces"].values():
                subnet = data["subnets"][eni["subnet_id"]]
                if eni["primary_ip"] in ipam.platform_reserved(subnet):
                    raise TopologyError(
                        "primary IP %s of %s is a gateway/reserved address of %s"
                        % (eni["primary_ip"], eni["instance_id"], subnet["cidr"])
                    )
                eni["mac"] = eni["mac"] or self._mac_for(eni["id"], data)
            self.data = data
            self.rng = random.Random(self.settings.seed)
            self.save()

    def _load(self):
        try:
            saved = json.loads(self.state_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise TopologyError(
                "cannot read state file %s: %s (delete it to start from the topology)" % (self.state_file, exc)
            ) from None
        self.data = saved["data"]
        # A state file written before the EIP service existed has no public side yet.
        if "addresses" not in self.data:
            self.data["eip"], self.data["addresses"] = eip_config(self.topology), {}
        # Nor one written before the KCE API existed.
        if "kce" not in self.data:
            self.data["kce"] = kce_state(self.topology, self.data, TopologyError)
        rng_state = saved.get("rng")
        if rng_state:
            self.rng.setstate((rng_state[0], tuple(rng_state[1]), rng_state[2]))

    def save(self):
        """Write the state file atomically (no-op without one)."""
        if not self.state_file:
            return
        tmp = self.state_file.with_name(self.state_file.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"data": self.data, "rng": self.rng.getstate()}), encoding="utf-8")
        os.replace(tmp, self.state_file)

    def new_id(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _mac_for(self, eni_id, data=None):
        used = {e["mac"] for e in (data or self.data)["network_interfaces"].values() if e.get("mac")}
        salt = 0
        while True:
            digest = hashlib.sha1(("%s/%d" % (eni_id, salt)).encode()).hexdigest()
            mac = "fa:16:3e:%s:%s:%s" % (digest[0:2], digest[2:4], digest[4:6])
            if mac not in used:
                return mac
            salt += 1

    def new_mac(self, eni_id):
        return self._mac_for(eni_id)

    def settle(self, now=None):
        """Finish attach/detach transitions whose time is up."""
        now = time.time() if now is None else now
        for eni in self.data["network_interfaces"].values():
            if eni["until"] is not None and eni["until"] <= now:
                if eni["state"] == "detaching":
                    eni["instance_id"] = None
                    eni["state"] = "available"
                elif eni["state"] == "attaching":
                    eni["state"] = "inuse"
                eni["until"] = None

    def subnet(self, subnet_id):
        item = self.data["subnets"].get(subnet_id or "")
        if item is None:
            raise not_found("subnet", subnet_id)
        return item

    def eni(self, eni_id):
        item = self.data["network_interfaces"].get(eni_id or "")
        if item is None:
            raise not_found("network interface", eni_id)
        return item

    def instance(self, instance_id):
        item = self.data["instances"].get(instance_id or "")
        if item is None:
            raise not_found("instance", instance_id)
        return item

    def cluster(self, cluster_id, param="ClusterId"):
        if not cluster_id:
            raise missing(param)
        item = self.data["kce"]["clusters"].get(cluster_id)
        if item is None:
            raise not_found("cluster", cluster_id)
        return item

    def security_group(self, group_id):
        item = self.data["security_groups"].get(group_id or "")
        if item is None:
            raise not_found("security group", group_id)
        return item

    def enis_of(self, instance_id):
        return [e for e in self.data["network_interfaces"].values() if e["instance_id"] == instance_id]

    def instance_state(self, instance):
        """``updating`` while any of its ENIs is attaching or detaching, else the stored state."""
        if any(e["state"] in ("attaching", "detaching") for e in self.enis_of(instance["id"])):
            return "updating"
        return instance["state"]
