#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eni
short_description: Create, update and delete KSYUN elastic network interfaces (ENIs)
version_added: 0.1.0
description:
  - Creates, renames, attaches and deletes an ENI of the Kingsoft Cloud VPC.
  - The ENI is found by O(network_interface_id), or by O(name) within O(subnet_id).
  - Everything that can be checked by reading is checked before the first change, for example an
    O(private_ip_address) outside the subnet, an unknown subnet, security group or instance, a subnet in
    another zone than O(instance_id), or an instance whose ENI quota is full. Nothing is created then.
  - A new ENI that cannot be attached to O(instance_id) is deleted again, so a failed task leaves no ENI
    behind; if even that deletion fails, the error names the ENI that is left.
  - Secondary IPs are managed by M(ksyun.kce.eni_private_ip); moving an ENI between instances by
    M(ksyun.kce.eni_attachment).
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  network_interface_id:
    description:
      - The id of an existing ENI.
      - Required to rename an ENI; otherwise the ENI is looked up by O(name) in O(subnet_id).
    type: str
    aliases: [id, eni_id]
  name:
    description:
      - The name of the ENI. Names are free-form, but ENIs the collection creates for fixed Pod IPs follow
        the convention C(kcefip_<cluster>_ex_<namespace>_<pod>) for the ENI of one exclusive-mode pod and
        C(kcefip_<cluster>_sh_<n>_<node>) for the n-th shared ENI of a node, so that audit and crash recovery
        can trace every ENI back to its cluster and reservation. Fields are separated by C(_), which no
        cluster, namespace, pod or node name can contain.
      - Required when O(network_interface_id) is not given. A name that matches several ENIs in the subnet
        is refused; give O(network_interface_id) then.
      - With O(network_interface_id), a different name renames the ENI.
    type: str
  subnet_id:
    description:
      - The subnet of the ENI. Required to create an ENI, and to find one by O(name).
      - An existing ENI cannot move to another subnet; a different value is refused.
    type: str
  security_groups:
    description:
      - Ids of the security groups of the ENI, at least one, all in the VPC of its subnet. The order does not matter.
      - A different set on an existing ENI replaces its security groups in place (KEC
        C(ModifyNetworkInterfaceAttribute), which removes the groups left out). That call needs the instance the ENI is
        attached to, so the groups of a detached ENI cannot change; give O(instance_id) to attach it in the same task.
      - Leaving it out keeps the groups an existing ENI has.
    type: list
    elements: str
  private_ip_address:
    description:
      - The primary private IP of a new ENI. Without it the subnet picks a free address at random (never
        one that is reserved).
      - It must lie inside the CIDR of O(subnet_id) and not be its network, gateway or broadcast address.
      - The primary IP of an existing ENI cannot change; a different value is refused.
    type: str
  instance_id:
    description:
      - A KEC instance the ENI must be attached to (it is attached after creation, and waited for).
      - An ENI attached to another instance is refused; move it with M(ksyun.kce.eni_attachment).
      - Leaving it out never detaches an ENI.
    type: str
  state:
    description:
      - V(present) creates or updates the ENI, V(absent) deletes it.
    type: str
    choices: [present, absent]
    default: present
  force_detach:
    description:
      - With O(state=absent), detach an attached ENI first, wait until it is detached, then delete it.
      - Without it an attached ENI is not deleted and the task fails, naming the instance.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to wait for an attachment or detachment to finish.
    type: int
    default: 300
notes:
  - Deleting an ENI releases its IPs. For a fixed Pod IP ENI (named C(kcefip_...)) make sure its reservation
    is gone first; M(ksyun.kce.fixed_ip_info) shows which reservation holds an IP.
extends_documentation_fragment:
  - ksyun.kce.ksyun
  - ksyun.kce.ksyun.instance_checks
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads as a real run and predicts C(changed) exactly; it sends no mutating call.
  diff_mode:
    support: full
seealso:
  - module: ksyun.kce.eni_info
  - module: ksyun.kce.eni_attachment
  - module: ksyun.kce.eni_private_ip
"""

EXAMPLES = r"""
- name: Set the KSYUN connection once for all ksyun.kce cloud modules
  module_defaults:
    group/ksyun.kce.ksyun:
      region: cn-beijing-6
  block:
    - name: Create the ENI of an exclusive-mode pod and attach it to its node
      ksyun.kce.eni:
        name: kcefip_prod_ex_shop_db-0
        subnet_id: 5f2c7a10-0002-4a6e-9c1b-000000000001
        security_groups:
          - 5f2c7a10-0003-4a6e-9c1b-000000000001
        private_ip_address: 10.0.0.236
        instance_id: 5f2c7a10-0004-4a6e-9c1b-000000000047
      register: eni

    - name: Let the pod be reached on 443 as well (security groups change in place while it is attached)
      ksyun.kce.eni:
        network_interface_id: "{{ eni.network_interface.id }}"
        security_groups:
          - 5f2c7a10-0003-4a6e-9c1b-000000000001
          - 5f2c7a10-0003-4a6e-9c1b-000000000002

    - name: Rename it
      ksyun.kce.eni:
        network_interface_id: "{{ eni.network_interface.id }}"
        name: kcefip_prod_ex_shop_db-1

    - name: Delete it, detaching it first
      ksyun.kce.eni:
        network_interface_id: "{{ eni.network_interface.id }}"
        state: absent
        force_detach: true
"""

RETURN = r"""
actions:
  description: The API changes, in order, that the task made (in check mode, would make).
  returned: always
  type: list
  elements: str
  sample: ["create ENI kcefip_prod_ex_shop_db-0 in subnet 5f2c7a10-0002-4a6e-9c1b-000000000001 (security groups ...) as <new-eni.eni_id>"]
network_interface:
  description:
    - The ENI after the task; empty after O(state=absent).
    - In check mode, the ENI as it would be; values only the cloud can choose, such as the id of an ENI not
      created yet, read like V(<new-eni.eni_id>).
  returned: always
  type: dict
  contains:
    id:
      description: The ENI id.
      type: str
      sample: 9b0e3c9e-42a1-4c5e-8f7a-2a9d6e1c0b11
    name:
      description: The ENI name.
      type: str
      sample: kcefip_prod_ex_shop_db-0
    type:
      description: V(primary) for the first interface of an instance, V(extension) for the others.
      type: str
      sample: extension
    state:
      description:
        - The ENI state in the collection's words, whatever the API calls it (its own words are not documented),
          one of V(available) (detached), V(attaching), V(in-use) (attached) or V(detaching).
      type: str
      sample: in-use
    vpc_id:
      description: The VPC of the ENI.
      type: str
    subnet_id:
      description: The subnet of the ENI.
      type: str
    cidr_block:
      description: The CIDR of the subnet.
      type: str
      sample: 10.0.0.0/24
    availability_zone:
      description: The zone of the subnet.
      type: str
      sample: cn-beijing-6a
    private_ip_address:
      description: The primary private IP.
      type: str
      sample: 10.0.0.236
    secondary_private_ip_addresses:
      description: The secondary private IPs.
      type: list
      elements: str
      sample: [10.0.0.237]
    security_groups:
      description: Ids of the security groups.
      type: list
      elements: str
    mac_address:
      description: The MAC address.
      type: str
      sample: fa:16:3e:12:34:56
    instance_id:
      description: The instance the ENI is attached to, V(null) when detached.
      type: str
    create_time:
      description: When the ENI was created.
      type: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import (
    AttachEni,
    CreateEni,
    DeleteEni,
    DetachEni,
    RenameEni,
    SetEniSecurityGroups,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.refs import NEW_ENI, Ref
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import INSTANCE_CHECKS_ARGS, WAIT_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_positive, parse_ipv4
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import (
    NORMAL_SUBNET,
    apply_plan,
    check_attachable,
    check_ip_in_subnet,
    refuse_primary,
    require_instance,
    require_security_groups,
    require_subnet,
    settle,
)

# What a user manages on an ENI: the diff leaves out state, timestamps and what follows from the subnet.
UNMANAGED = ("state", "create_time", "mac_address", "cidr_block", "vpc_id", "availability_zone")


def managed(eni):
    return {k: v for k, v in eni.view().items() if k not in UNMANAGED} if eni is not None else {}


def find_eni(module):
    """(eni or None, the ENIs of the subnet or None): by id, else by name within the subnet."""
    params = module.params
    if params["network_interface_id"]:
        eni = module.reader.eni(params["network_interface_id"])
        if eni is None and params["state"] == "present":
            raise ModuleError(
                "network_interface_id: network interface %s does not exist in region %s; leave network_interface_id out "
                "to create an ENI by name and subnet_id" % (params["network_interface_id"], module.reader.region)
            )
        return eni, None
    in_subnet = module.reader.enis(filters={"subnet-id": params["subnet_id"]})
    named = [e for e in in_subnet if e.name == params["name"]]
    if len(named) > 1:
        raise ModuleError(
            "name: %d network interfaces in subnet %s are named %r (%s); give network_interface_id to pick one"
            % (len(named), params["subnet_id"], params["name"], ", ".join(e.eni_id for e in named))
        )
    return (named[0] if named else None), in_subnet


def outcome(module, plan, cloud, eni_id):
    """Run the plan and return the ENI as it is (would be) afterwards."""

    def after(snapshot, result):
        created = result.created.get(NEW_ENI)
        now = snapshot.eni(created.eni_id if created else str(eni_id)) if snapshot is not None else None
        return module.result(
            bool(plan.actions),
            managed(cloud.eni(str(eni_id))),
            managed(now),
            network_interface=now.view() if now else {},
        )

    def reread(result):
        created = result.created.get(NEW_ENI)
        found = module.reader.eni(created.eni_id if created else eni_id)
        return CloudSnapshot(enis=(found,) if found else ())

    return apply_plan(module, plan, cloud, after, reread)


def create(module, in_subnet):
    params = module.params
    if not params["security_groups"]:
        raise ModuleError(
            "security_groups: a new network interface needs at least one security group; give the ids of security groups "
            "in the VPC of subnet %s" % params["subnet_id"]
        )
    subnet = require_subnet(module, params["subnet_id"])
    if (subnet.subnet_type or NORMAL_SUBNET) != NORMAL_SUBNET:
        raise ModuleError(
            "subnet_id: subnet %s is of type %s; network interfaces need a subnet of type Normal"
            % (subnet.subnet_id, subnet.subnet_type)
        )
    require_security_groups(module, params["security_groups"], subnet.vpc_id)
    ip = params["private_ip_address"]
    if ip:
        check_ip_in_subnet(ip, subnet, "private_ip_address")
        holder = next((e for e in in_subnet if e.holds(ip)), None)
        if holder is not None:
            raise ModuleError(
                "private_ip_address: %s is already used by network interface %s; pick a free address (ksyun.kce.subnet_info "
                "lists them) or leave it out for a random one" % (ip, holder.eni_id)
            )
    elif subnet.random_available_count is not None and subnet.random_available_count < 1:
        raise ModuleError(
            "subnet_id: subnet %s has no address left for random allocation; give a reserved address in private_ip_address "
            "or use another subnet" % subnet.subnet_id
        )
    actions = [CreateEni(NEW_ENI, subnet.subnet_id, params["name"], tuple(params["security_groups"]), primary_ip=ip)]
    if params["instance_id"]:
        planned = EniSnapshot(
            eni_id=str(Ref()),
            name=params["name"],
            subnet_id=subnet.subnet_id,
            zone=subnet.zone,
            vpc_id=subnet.vpc_id,
            primary_ip=ip or "",
        )
        check_attachable(module, planned, require_instance(module, params["instance_id"]))
        actions.append(AttachEni(Ref(), params["instance_id"]))
    return outcome(module, Plan(tuple(actions)), CloudSnapshot(subnets=(subnet,)), Ref())


def refuse_unchangeable(params, eni):
    if params["subnet_id"] and params["subnet_id"] != eni.subnet_id:
        raise ModuleError(
            "subnet_id: network interface %s is in subnet %s, not %s; an ENI cannot change subnets, create another one "
            "instead" % (eni.eni_id, eni.subnet_id, params["subnet_id"])
        )
    if params["private_ip_address"] and params["private_ip_address"] != eni.primary_ip:
        raise ModuleError(
            "private_ip_address: the primary IP of network interface %s is %s and cannot change to %s; leave "
            "private_ip_address out, or delete the ENI and create it again"
            % (eni.eni_id, eni.primary_ip, params["private_ip_address"])
        )


def groups_differ(wanted, eni):
    return wanted is not None and sorted(set(wanted)) != sorted(set(eni.security_group_ids))


def security_group_change(module, eni, instance_id):
    """SetEniSecurityGroups when O(security_groups) differs from the ENI's (checked first); None when it does not."""
    wanted = module.params["security_groups"]
    if not groups_differ(wanted, eni):
        return None
    if not wanted:
        raise ModuleError(
            "security_groups: network interface %s needs at least one security group; give the ids to keep (now %s)"
            % (eni.eni_id, ", ".join(eni.security_group_ids) or "none")
        )
    if not instance_id:
        raise ModuleError(
            "security_groups: network interface %s is detached, and its security groups can only change while it is "
            "attached (KEC ModifyNetworkInterfaceAttribute names the instance), so %s cannot be set now; give instance_id "
            "to attach it in this task, or leave security_groups out" % (eni.eni_id, ", ".join(wanted))
        )
    refuse_primary(eni, "given other security groups by this module")
    require_security_groups(module, wanted, eni.vpc_id)
    return SetEniSecurityGroups(eni.eni_id, instance_id, eni.subnet_id, tuple(dict.fromkeys(wanted)))


def update(module, eni):
    params = module.params
    eni_id = eni.eni_id
    refuse_unchangeable(params, eni)
    actions = []
    if params["name"] is not None and params["name"] != eni.name:
        actions.append(RenameEni(eni.eni_id, params["name"]))
    if params["instance_id"] and eni.instance_id != params["instance_id"]:
        eni = settle(module, eni)
        if eni is None:
            raise ModuleError(
                "network interface %s was deleted while this task ran; run it again" % params["network_interface_id"]
            )
        if eni.instance_id and eni.instance_id != params["instance_id"]:
            raise ModuleError(
                "instance_id: network interface %s is attached to instance %s, not %s; move it with ksyun.kce.eni_attachment"
                % (eni.eni_id, eni.instance_id, params["instance_id"])
            )
        if eni.instance_id != params["instance_id"]:
            check_attachable(module, eni, require_instance(module, params["instance_id"]))
            actions.append(AttachEni(eni.eni_id, params["instance_id"]))
    if groups_differ(params["security_groups"], eni) and eni.is_transient:
        # An attach or detach in flight decides which instance (if any) the KEC call can name.
        eni = settle(module, eni)
        if eni is None:
            raise ModuleError("network interface %s was deleted while this task ran; run it again" % eni_id)
    groups = security_group_change(module, eni, params["instance_id"] or eni.instance_id)
    if groups is not None:
        actions.append(groups)
    return outcome(module, Plan(tuple(actions)), CloudSnapshot(enis=(eni,)), eni.eni_id)


def delete(module, eni):
    if eni is None:
        return module.result(False, {}, {}, network_interface={}, actions=[])
    refuse_primary(eni, "deleted")
    eni = settle(module, eni)
    if eni is None:
        return module.result(False, {}, {}, network_interface={}, actions=[])
    if eni.instance_id and not module.params["force_detach"]:
        raise ModuleError(
            "network interface %s is attached to instance %s; detach it first with ksyun.kce.eni_attachment state=absent, or "
            "set force_detach=true to detach and delete it in one task" % (eni.eni_id, eni.instance_id),
            instance_id=eni.instance_id,
        )
    actions = ([DetachEni(eni.eni_id, eni.instance_id)] if eni.instance_id else []) + [DeleteEni(eni.eni_id)]
    return outcome(module, Plan(tuple(actions)), CloudSnapshot(enis=(eni,)), eni.eni_id)


def ensure(module):
    params = module.params
    if params["private_ip_address"]:
        params["private_ip_address"] = parse_ipv4(params["private_ip_address"], "private_ip_address")
    check_positive("wait_timeout", params["wait_timeout"])
    eni, in_subnet = find_eni(module)
    if params["state"] == "absent":
        return delete(module, eni)
    if eni is None:
        return create(module, in_subnet)
    return update(module, eni)


def main():
    argument_spec = dict(
        network_interface_id=dict(type="str", aliases=["id", "eni_id"]),
        name=dict(type="str"),
        subnet_id=dict(type="str"),
        security_groups=dict(type="list", elements="str"),
        private_ip_address=dict(type="str"),
        instance_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        force_detach=dict(type="bool", default=False),
        **WAIT_ARGS,
        **INSTANCE_CHECKS_ARGS,
    )
    module = KceModule(
        argument_spec,
        cloud=True,
        required_one_of=[["network_interface_id", "name"], ["network_interface_id", "subnet_id"]],
    )
    module.run(ensure)


if __name__ == "__main__":
    main()
