#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eni_private_ip
short_description: Assign and unassign secondary private IPs of a KSYUN ENI, and reserve subnet IPs
version_added: 0.1.0
description:
  - Assigns secondary private IPs to an ENI, by name (O(private_ip_addresses)) or by number (O(count)), and
    unassigns them (O(state=absent), or O(purge=true) for the ones not asked for).
  - Reserves subnet IPs or releases their reservation with O(reserved). A reserved IP has
    C(AllocateStatus=specific) in its subnet, so random allocation never hands it out; it can only be taken
    by naming it. Fixed Pod IPs in shared ENI mode are kept this way while their pod is gone.
  - Every named IP is checked before the first change. An IP that is not an IPv4 address, lies outside the
    subnet CIDR or outside its DHCP range, is the network, gateway or broadcast address, is the primary IP
    of the ENI or is held by another ENI is refused. So is a change that would exceed the private IP quota
    of the instance type of the instance the ENI is attached to, and a count the subnet cannot allocate at
    random. Nothing is changed then.
  - "Moving a reserved IP onto an ENI (O(state=present), O(reserved=false), the IP reserved and free) is one
    operation in the safe order: the IP is assigned by naming it, then its reservation is released, so no
    random allocation can take it in between. Where the cloud cannot assign a reserved IP
    (O(cloud_behaviour.assign_specific_ip=false)), the module releases the reservation, assigns the IP right
    away, and if that assignment fails it reserves the IP again. The IP is never left both unreserved and
    unassigned; if restoring fails too, the error says so and names the IP."
  - "Releasing an IP into a reservation (O(state=absent), O(reserved=true)) marks the IP reserved before it
    is unassigned where the cloud allows that (O(cloud_behaviour.reserve_assigned_ip=true)). Otherwise the IPs
    are unassigned one at a time, each immediately followed by its reservation; if a reservation fails, the
    IP is assigned back to the ENI."
  - The plan is made from reads only (the ENI, its subnet with its address lists, and the ENIs of the subnet),
    with the same actions, safe orders and compensation the fixed IP flows use; check mode reports those
    actions in RV(actions) and sends no mutating call.
  - Without O(network_interface_id), only the reservation of free IPs of O(subnet_id) is managed.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  network_interface_id:
    description:
      - The ENI whose secondary IPs are managed.
      - Leave it out and give O(subnet_id) to reserve or release free IPs of a subnet without an ENI.
    type: str
    aliases: [id, eni_id]
  subnet_id:
    description:
      - The subnet of the IPs. Required without O(network_interface_id); with it, it must be the subnet of the ENI.
    type: str
  private_ip_addresses:
    description:
      - The secondary IPs to assign (O(state=present)) or unassign (O(state=absent)).
      - Cannot be combined with O(count).
    type: list
    elements: str
    aliases: [private_ips]
  count:
    description:
      - The number of secondary IPs the ENI should hold. Missing ones are assigned at random (never a reserved
        IP); with O(purge=true), surplus ones are unassigned, the last listed ones first.
      - Cannot be combined with O(private_ip_addresses) or O(reserved).
    type: int
  purge:
    description:
      - With O(private_ip_addresses), unassign the secondary IPs of the ENI that are not listed.
      - With O(count), unassign secondary IPs beyond O(count).
      - Only with O(state=present).
    type: bool
    default: false
  reserved:
    description:
      - Whether the named IPs are reserved in their subnet (C(AllocateStatus=specific)); leave it out to
        leave reservations as they are.
      - With O(state=present) and V(false), a reserved free IP is moved onto the ENI and its reservation
        released (see the description for the order). With V(true), an IP that is not reserved yet is
        reserved first and then assigned by name, so it stays reserved when it is unassigned later.
      - With O(state=absent) and V(true), the IPs are unassigned into a reservation, and free IPs that are not
        reserved yet are reserved. With V(false), the IPs are unassigned and their reservation is released,
        which returns them to random allocation.
      - Without O(network_interface_id), V(true) reserves free IPs of O(subnet_id) and V(false) releases them.
      - The API has no call that reads the reservation of an IP that is assigned, so the reservation of IPs
        that stay on the ENI is not changed, and such IPs are not reported as reserved. The reservation of a
        free IP is derived from the subnet's list of available addresses (a reserved IP is not listed there).
    type: bool
  state:
    description:
      - V(present) assigns the IPs, V(absent) unassigns them.
      - V(absent) needs O(private_ip_addresses) and O(network_interface_id).
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment:
  - ksyun.kce.ksyun
  - ksyun.kce.ksyun.instance_checks
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads and checks as a real run and predicts C(changed) exactly; it sends no
        mutating call. IPs that O(count) would assign at random are shown as placeholders in the diff.
  diff_mode:
    support: full
    details:
      - The diff shows the secondary IPs of the ENI and the named IPs known to be reserved, before and after.
seealso:
  - module: ksyun.kce.eni
  - module: ksyun.kce.subnet_info
  - module: ksyun.kce.eni_info
"""

EXAMPLES = r"""
- name: Give an ENI exactly these secondary IPs
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    private_ip_addresses: [10.0.0.236, 10.0.0.237]
    purge: true

- name: Make sure the ENI holds 4 secondary IPs, any free ones
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    count: 4

- name: Release a pod's fixed IP from its node's ENI, keeping it reserved for the pod
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000047
    private_ip_addresses: [10.0.0.236]
    state: absent
    reserved: true

- name: Move the reserved IP onto the ENI of the node the pod comes back on
  ksyun.kce.eni_private_ip:
    network_interface_id: 5f2c7a10-0005-4a6e-9c1b-000000000048
    private_ip_addresses: [10.0.0.236]
    reserved: false

- name: Reserve a free subnet IP for a pod that does not exist yet
  ksyun.kce.eni_private_ip:
    subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
    private_ip_addresses: [10.0.0.240]
    reserved: true
"""

RETURN = r"""
network_interface:
  description:
    - The ENI after the task (in check mode, as it would be, with placeholders for IPs assigned at random);
      empty without O(network_interface_id). See M(ksyun.kce.eni) for all fields.
  returned: always
  type: dict
  contains:
    id:
      description: The ENI id.
      type: str
    private_ip_address:
      description: The primary private IP.
      type: str
    secondary_private_ip_addresses:
      description: The secondary private IPs.
      type: list
      elements: str
      sample: [10.0.0.236, 10.0.0.237]
subnet_id:
  description: The subnet of the IPs.
  returned: always
  type: str
assigned:
  description: IPs assigned to the ENI by this task (in check mode, that would be; placeholders for random ones).
  returned: always
  type: list
  elements: str
unassigned:
  description: IPs unassigned from the ENI by this task.
  returned: always
  type: list
  elements: str
reserved:
  description: IPs whose reservation this task set (C(AllocateStatus=specific)).
  returned: always
  type: list
  elements: str
released:
  description: IPs whose reservation this task released (C(AllocateStatus=random)).
  returned: always
  type: list
  elements: str
actions:
  description: The API changes, in order, that the task made (in check mode, would make).
  returned: always
  type: list
  elements: str
  sample: ["reserve IP 10.0.0.236 in subnet 5f2c7a10-0002-4a6e-9c1b-000000000001 (AllocateStatus=specific)"]
"""

import dataclasses

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip import actions as act
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preview import RANDOM_IP, preview
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.secondary_ips import (
    SecondaryIpRequest,
    plan_secondary_ips,
    reserved_among,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import INSTANCE_CHECKS_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import parse_ipv4
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import (
    apply_plan,
    check_ip_in_subnet,
    check_ip_room,
    require_eni,
    require_subnet,
)


def _ips(plan, kind):
    return [action.ip for action in plan.actions if isinstance(action, kind)]


def ensure(module):
    params = module.params
    if params["count"] is not None and params["count"] < 0:
        raise ModuleError("count must not be negative, got %d" % params["count"])
    if params["state"] == "absent" and params["purge"]:
        raise ModuleError(
            "purge: only with state=present; with state=absent list the IPs to unassign in private_ip_addresses"
        )
    if not params["network_interface_id"] and (
        params["reserved"] is None or not params["private_ip_addresses"] or params["state"] != "present"
    ):
        raise ModuleError(
            "without network_interface_id only the reservation of subnet IPs is managed: give subnet_id, private_ip_addresses "
            "and reserved (state=present), or give network_interface_id"
        )
    ips = list(
        dict.fromkeys(parse_ipv4(value, "private_ip_addresses") for value in params["private_ip_addresses"] or [])
    )
    eni = require_eni(module, params["network_interface_id"]) if params["network_interface_id"] else None
    if eni is not None and params["subnet_id"] and params["subnet_id"] != eni.subnet_id:
        raise ModuleError(
            "subnet_id: network interface %s is in subnet %s, not %s; leave subnet_id out or fix it"
            % (eni.eni_id, eni.subnet_id, params["subnet_id"])
        )
    subnet_id = eni.subnet_id if eni is not None else params["subnet_id"]
    cloud = module.reader.cloud([subnet_id])
    subnet = require_subnet(module, subnet_id, cloud=cloud)
    for ip in ips:
        check_ip_in_subnet(ip, subnet, "private_ip_addresses")
    request = SecondaryIpRequest(
        ips=tuple(ips),
        count=params["count"],
        purge=params["purge"],
        reserved=params["reserved"],
        present=params["state"] == "present",
    )
    plan = plan_secondary_ips(cloud.eni(eni.eni_id) if eni else None, subnet, cloud, request, module.behaviour)
    if eni is not None:
        assigned = len(_ips(plan, act.AssignIp)) + sum(
            a.count for a in plan.actions if isinstance(a, act.AssignRandomIps)
        )
        check_ip_room(module, cloud.eni(eni.eni_id), assigned - len(_ips(plan, act.UnassignIp)))
    for warning in plan.warnings:
        module.warn(warning)

    def view(snapshot):
        now = snapshot.eni(eni.eni_id) if eni else None
        return {
            "network_interface_id": now.eni_id if now else None,
            "subnet_id": subnet_id,
            "secondary_private_ip_addresses": list(now.secondary_ips) if now else [],
            "reserved_addresses": (
                reserved_among(snapshot.subnet(subnet_id), snapshot, ips) if params["reserved"] is not None else []
            ),
        }

    def after(snapshot, result):
        now = snapshot.eni(eni.eni_id) if eni else None
        randoms = [RANDOM_IP] * sum(a.count for a in plan.actions if isinstance(a, act.AssignRandomIps))
        assigned = _ips(plan, act.AssignIp) + randoms
        if randoms and not module.check_mode:
            assigned = [ip for ip in now.secondary_ips if ip not in cloud.eni(eni.eni_id).secondary_ips]
        return module.result(
            bool(plan.actions),
            view(cloud),
            view(snapshot),
            network_interface=now.view() if now else {},
            subnet_id=subnet_id,
            assigned=assigned,
            unassigned=_ips(plan, act.UnassignIp),
            reserved=_ips(plan, act.ReserveIp),
            released=_ips(plan, act.UnreserveIp),
        )

    def reread(result):
        """The plan's effect on the snapshot, with the ENI read again (only the cloud knows the IPs it picked at random)."""
        expected = preview(cloud, plan.actions)
        fresh = module.reader.eni(eni.eni_id) if eni else None
        return dataclasses.replace(
            expected, enis=tuple(fresh if fresh and e.eni_id == fresh.eni_id else e for e in expected.enis)
        )

    return apply_plan(module, plan, cloud, after, reread=reread)


def main():
    argument_spec = dict(
        network_interface_id=dict(type="str", aliases=["id", "eni_id"]),
        subnet_id=dict(type="str"),
        private_ip_addresses=dict(type="list", elements="str", aliases=["private_ips"]),
        count=dict(type="int"),
        purge=dict(type="bool", default=False),
        reserved=dict(type="bool"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        **INSTANCE_CHECKS_ARGS,
    )
    module = KceModule(
        argument_spec,
        cloud=True,
        required_one_of=[["network_interface_id", "subnet_id"], ["private_ip_addresses", "count"]],
        mutually_exclusive=[["private_ip_addresses", "count"], ["count", "reserved"]],
        required_if=[("state", "absent", ["private_ip_addresses"])],
        required_by={"count": "network_interface_id"},
    )
    module.run(ensure)


if __name__ == "__main__":
    main()
