# -*- coding: utf-8 -*-
"""A tiny in-memory cluster + cloud that executes fixed-IP plans, for testing the pure planners.

Test scaffolding only: it enforces the cloud rules the plans rely on (quotas, AllocateStatus,
no double assignment, no deleting an attached ENI) and records every moment a released fixed IP
was open to random allocation, so tests can prove the order of cloud calls closes that window.
"""

from __future__ import annotations

import copy
import dataclasses
import ipaddress
from datetime import datetime, timedelta, timezone

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.model import Mode, Phase, Reservation
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import CloudBehaviour, Settings
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import (
    CloudSnapshot,
    EniSnapshot,
    NodeSnapshot,
    PodSnapshot,
    SubnetSnapshot,
)

NOW = datetime(2026, 11, 26, 12, 0, 0, tzinfo=timezone.utc)
CLUSTER = "kce-demo"
ZONE_A, ZONE_B = "cn-beijing-6a", "cn-beijing-6b"
SUBNET_A, SUBNET_B = "subnet-a", "subnet-b"


class SimError(Exception):
    """The simulated cloud or cluster refused an action, as the real one would."""


def settings(**overrides) -> Settings:
    """Test settings; CloudBehaviour fields (reserve_assigned_ip=True, ...) may be given directly."""
    behaviour = {
        key: overrides.pop(key)
        for key in list(overrides)
        if key in {f.name for f in dataclasses.fields(CloudBehaviour)}
    }
    values = dict(
        cluster_name=CLUSTER,
        security_group_ids=("sg-pods",),
        pod_subnets={ZONE_A: (SUBNET_A,), ZONE_B: (SUBNET_B,)},
        cloud=CloudBehaviour(**behaviour),
    )
    values.update(overrides)
    return Settings(**values)


def node(name="10.0.0.47", instance_id="i-node47", zone=ZONE_A, eni_quota=4, ip_quota=4) -> NodeSnapshot:
    return NodeSnapshot(
        name=name, instance_id=instance_id, zone=zone, instance_type="N3.2B", eni_quota=eni_quota, ip_quota=ip_quota
    )


def sts_pod(
    name="sts-0", uid="uid-1", node_name="10.0.0.47", mode=Mode.SHARED, fixed=True, namespace="default", **overrides
) -> PodSnapshot:
    annotations = {"v1.multus-cni.io/default-network": "kube-system/vpc-cni"}
    if mode is Mode.SHARED:
        annotations["k8s.ksyun.com/pod-eniip"] = "true"
        resources = {"ksyun/eni-private-ip": "1"}
    else:
        annotations["k8s.ksyun.com/pod-eni"] = "true"
        resources = {"ksyun/eni": "1"}
    if fixed:
        annotations["k8s.ksyun.com/pod-ip-fixed"] = "true"
    values = dict(
        namespace=namespace,
        name=name,
        uid=uid,
        node_name=node_name,
        owner_kind="StatefulSet",
        owner_name="sts",
        annotations=annotations,
        resource_requests=resources,
    )
    values.update(overrides)
    return PodSnapshot(**values)


class World:
    """Records (PodEni/PodEniIP/VpcIP), ENIs, subnet AllocateStatus and pod network, changed only by actions."""

    def __init__(self, cfg: Settings, nodes=(), subnets=None):
        self.settings = cfg
        self.nodes = {each.instance_id: each for each in nodes}
        self.subnets = subnets or {
            SUBNET_A: SubnetSnapshot(SUBNET_A, "10.0.0.0/24", ZONE_A, gateway_ip="10.0.0.1"),
            SUBNET_B: SubnetSnapshot(SUBNET_B, "10.0.1.0/24", ZONE_B, gateway_ip="10.0.1.1"),
        }
        self.reserved = {subnet_id: set() for subnet_id in self.subnets}
        self.enis = {}
        self.records = {}
        self.pod_network = {}
        self.counter = 0
        self.exposures = []
        self.steps = 0

    def copy(self) -> "World":
        return copy.deepcopy(self)

    # --- setup helpers -------------------------------------------------------------------------

    def add_primary_enis(self):
        for each in self.nodes.values():
            self.add_eni(
                EniSnapshot(
                    "eni-primary-%s" % each.instance_id,
                    "primary",
                    "subnet-nodes",
                    each.zone,
                    each.instance_id,
                    primary_ip=each.name,
                    is_primary=True,
                    state="in-use",
                )
            )
        return self

    def add_eni(self, eni: EniSnapshot) -> EniSnapshot:
        self.enis[eni.eni_id] = eni
        return eni

    def put(self, record: Reservation) -> Reservation:
        self.records[(record.kind, record.namespace, record.record_name())] = record
        return record

    # --- views the planners get -----------------------------------------------------------------

    def _assigned(self):
        return {ip for eni in self.enis.values() for ip in (eni.primary_ip,) + eni.secondary_ips}

    def _free(self, subnet_id):
        subnet = self.subnets[subnet_id]
        assigned = self._assigned()
        return [
            str(ip)
            for ip in ipaddress.ip_network(subnet.cidr).hosts()
            if str(ip) != subnet.gateway_ip and str(ip) not in assigned and str(ip) not in self.reserved[subnet_id]
        ]

    def cloud(self) -> CloudSnapshot:
        subnets = tuple(
            dataclasses.replace(
                subnet, reserved_ips=frozenset(self.reserved[subnet_id]), available_ips=tuple(self._free(subnet_id))
            )
            for subnet_id, subnet in sorted(self.subnets.items())
        )
        return CloudSnapshot(enis=tuple(self.enis[key] for key in sorted(self.enis)), subnets=subnets)

    def record_of(self, pod: PodSnapshot, mode: Mode):
        """The lookup the cluster layer does: PodEni by name, PodEniIP or VpcIP by the pod's labels."""
        if mode is Mode.EXCLUSIVE:
            return self.records.get(("PodEni", pod.namespace, pod.name))
        found = [
            r
            for key, r in sorted(self.records.items())
            if key[0] in ("PodEniIP", "VpcIP") and key[1] == pod.namespace and r.pod_name == pod.name
        ]
        if len(found) > 1:
            raise SimError("pod %s has %d PodEniIPs/VpcIPs" % (pod.ref, len(found)))
        return found[0] if found else None

    def pod_view(self, pod: PodSnapshot) -> PodSnapshot:
        uid, ip = self.pod_network.get((pod.namespace, pod.name), ("", ""))[:2]
        return dataclasses.replace(pod, pod_ip=ip if uid == pod.uid else "")

    def state(self):
        """Everything a plan may change, in a comparable form."""
        return (
            sorted((key, record.to_dict()) for key, record in self.records.items()),
            sorted(dataclasses.astuple(eni) for eni in self.enis.values()),
            sorted((key, sorted(value)) for key, value in self.reserved.items()),
            sorted(self.pod_network.items()),
        )

    # --- execution -----------------------------------------------------------------------------

    def run(self, actions):
        results = {}
        for action in actions:
            action = act.resolve_refs(action, results)
            handler = getattr(self, "_" + type(action).__name__)
            created = handler(action)
            if created is not None:
                results[action.ref] = created
            self.steps += 1
            self._watch_window()
        return results

    def _eni(self, eni_id) -> EniSnapshot:
        if eni_id not in self.enis:
            raise SimError("ENI %s not found" % eni_id)
        return self.enis[eni_id]

    def _subnet_of(self, ip):
        for subnet_id, subnet in self.subnets.items():
            if subnet.contains(ip):
                return subnet_id
        raise SimError("IP %s is in no subnet" % ip)

    def _watch_window(self):
        assigned = self._assigned()
        for record in self.records.values():
            if (
                record.mode is Mode.SHARED
                and record.fixed
                and (record.phase in (Phase.RELEASING, Phase.RESERVED) or record.released_at)
            ):
                if record.ip not in assigned and record.ip not in self.reserved[record.subnet_id]:
                    self.exposures.append((self.steps, record.ip))

    def _WriteReservation(self, action):
        record = action.reservation
        if record.has_refs():
            raise SimError("unresolved Ref in %r" % (record,))
        Reservation.from_dict(record.to_dict())
        self.put(record)

    def _DeleteReservation(self, action):
        key = (action.kind, action.namespace, action.name)
        if key not in self.records:
            raise SimError("no record %r to delete" % (key,))
        del self.records[key]

    def _CreateEni(self, action):
        if not action.security_group_ids:
            raise SimError("CreateNetworkInterface needs a security group")
        subnet = self.subnets[action.subnet_id]
        if action.primary_ip:
            if action.primary_ip not in self._free(action.subnet_id):
                raise SimError("primary IP %s is not free" % action.primary_ip)
            ip = action.primary_ip
        else:
            ip = self._free(action.subnet_id)[0]
        self.counter += 1
        eni = EniSnapshot(
            "eni-%04d" % self.counter,
            action.name,
            action.subnet_id,
            subnet.zone,
            None,
            primary_ip=ip,
            mac="fa:16:3e:00:00:%02x" % self.counter,
            state="available",
            create_time=NOW,
        )
        return self.add_eni(eni)

    def _AttachEni(self, action):
        eni = self._eni(action.eni)
        target = self.nodes[action.instance_id]
        if eni.instance_id:
            raise SimError("ENI %s is already attached to %s" % (eni.eni_id, eni.instance_id))
        if eni.zone != target.zone:
            raise SimError(
                "ENI %s in zone %s cannot attach to an instance in zone %s" % (eni.eni_id, eni.zone, target.zone)
            )
        count = sum(1 for each in self.enis.values() if each.instance_id == action.instance_id)
        if count >= target.eni_quota:
            raise SimError("instance %s is at its ENI quota" % action.instance_id)
        self.enis[eni.eni_id] = dataclasses.replace(eni, instance_id=action.instance_id, state="in-use")

    def _DetachEni(self, action):
        eni = self._eni(action.eni)
        if eni.instance_id != action.instance_id:
            raise SimError("ENI %s is not attached to %s" % (eni.eni_id, action.instance_id))
        self.enis[eni.eni_id] = dataclasses.replace(eni, instance_id=None, state="available")

    def _DeleteEni(self, action):
        eni = self._eni(action.eni)
        if eni.instance_id:
            raise SimError("ENI %s is attached; detach it first" % eni.eni_id)
        del self.enis[eni.eni_id]

    def _AssignIp(self, action):
        eni = self._eni(action.eni)
        subnet_id = self._subnet_of(action.ip)
        if subnet_id != eni.subnet_id:
            raise SimError("IP %s is not in ENI %s's subnet" % (action.ip, eni.eni_id))
        if action.ip in self._assigned():
            raise SimError("IP %s is already assigned" % action.ip)
        if action.ip in self.reserved[subnet_id] and not self.settings.cloud.assign_specific_ip:
            raise SimError("IP %s is specific and this cloud will not assign it" % action.ip)
        if eni.instance_id and len(eni.secondary_ips) + 1 >= self.nodes[eni.instance_id].ip_quota:
            raise SimError("ENI %s is at its IP quota" % eni.eni_id)
        self.enis[eni.eni_id] = dataclasses.replace(eni, secondary_ips=eni.secondary_ips + (action.ip,))

    def _UnassignIp(self, action):
        eni = self._eni(action.eni)
        if action.ip not in eni.secondary_ips:
            raise SimError("IP %s is not a secondary IP of %s" % (action.ip, eni.eni_id))
        self.enis[eni.eni_id] = dataclasses.replace(
            eni, secondary_ips=tuple(ip for ip in eni.secondary_ips if ip != action.ip)
        )

    def _ReserveIp(self, action):
        if action.ip in self._assigned() and not self.settings.cloud.reserve_assigned_ip:
            raise SimError("IP %s is assigned and this cloud cannot mark it specific" % action.ip)
        self.reserved[action.subnet_id].add(action.ip)

    def _UnreserveIp(self, action):
        self.reserved[action.subnet_id].discard(action.ip)

    def _SetPodNetwork(self, action):
        self.pod_network[(action.namespace, action.pod)] = (action.uid, action.ip, action.eni_id, action.mac)

    # --- random allocation by someone else, to show what an open window costs -------------------

    def random_allocation(self, subnet_id, eni_id):
        """What SecondaryPrivateIpAddressCount=1 does: take the first free, non-specific IP."""
        ip = self._free(subnet_id)[0]
        eni = self._eni(eni_id)
        self.enis[eni_id] = dataclasses.replace(eni, secondary_ips=eni.secondary_ips + (ip,))
        return ip


def assert_resumable(world: World, plan_of):
    """For every k: run the first k actions, plan again from what the world shows, run to the end.

    Each run must end exactly where the undisturbed run ends (no leaked ENI, no lost or duplicated
    record), and planning once more must find nothing to do. Returns the undisturbed plan and world.
    """
    plan = plan_of(world)
    assert plan.actions, "the scenario plans nothing, so it proves nothing: %r" % (plan,)
    done = world.copy()
    done.run(plan.actions)
    assert plan_of(done).actions == (), "a rerun after the plan is not a no-op"
    for k in range(len(plan.actions) + 1):
        crashed = world.copy()
        crashed.run(plan.actions[:k])
        resumed = plan_of(crashed)
        crashed.run(resumed.actions)
        assert crashed.state() == done.state(), "crash after step %d of %s did not converge" % (k, plan.describe())
        assert plan_of(crashed).actions == (), "crash after step %d: the resumed run left work behind" % k
    return plan, done


def later(hours=0, minutes=0, days=0):
    return NOW + timedelta(days=days, hours=hours, minutes=minutes)
