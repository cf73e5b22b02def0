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
      - Ids of the security groups of a new ENI, at least one, all in the VPC of O(subnet_id).
      - The security groups of an existing ENI cannot be changed through the VPC API, so a different set is
        refused rather than silently ignored.
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
network_interface:
  description:
    - The ENI after the task; empty after O(state=absent).
    - In check mode, the ENI as it would be; RV(network_interface.id) is V(null) for an ENI not created yet.
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
      description: The ENI state as the API reports it, for example V(available) or V(inuse).
      type: str
      sample: inuse
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

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun_module import (
    INSTANCE_CHECKS_ARGSPEC, KsyunModule, ModuleFailure, api_error_details, check_ip_in_subnet, eni_diff_view, eni_view,
    parse_ipv4, private_ips, security_group_ids)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunError


def find_eni(module):
    """``(eni or None, ENIs of the subnet or None)``; by id, else by name within the subnet."""
    params, client = module.params, module.client
    if params["network_interface_id"]:
        eni = client.get_network_interface(params["network_interface_id"])
        if eni is None and params["state"] == "present":
            raise ModuleFailure("network_interface_id: network interface %s does not exist in region %s; leave network_interface_id "
                                "out to create an ENI by name and subnet_id" % (params["network_interface_id"], client.config.region))
        return eni, None
    in_subnet = client.describe_network_interfaces(filters={"subnet-id": params["subnet_id"]})
    named = [e for e in in_subnet if e.get("NetworkInterfaceName") == params["name"]]
    if len(named) > 1:
        raise ModuleFailure("name: %d network interfaces in subnet %s are named %r (%s); give network_interface_id to pick one" % (
            len(named), params["subnet_id"], params["name"], ", ".join(e["NetworkInterfaceId"] for e in named)))
    return (named[0] if named else None), in_subnet


def attach_new(module, eni_id, instance_id):
    """Attach a just-created ENI; if that fails, delete it again so the failed task leaves nothing behind."""
    client = module.client
    try:
        client.attach_network_interface(instance_id, eni_id)
        return module.wait_eni(eni_id, instance_id, module.params["wait_timeout"])
    except KsyunError as err:
        cause = err
    try:
        current = module.settle_eni({"NetworkInterfaceId": eni_id, "State": "attaching"}, module.params["wait_timeout"])
        if current and current.get("InstanceId"):
            client.detach_network_interface(current["InstanceId"], eni_id)
            module.wait_eni(eni_id, None, module.params["wait_timeout"])
        if current:
            client.delete_network_interface(eni_id)
    except (KsyunError, ModuleFailure) as cleanup:
        raise ModuleFailure(
            "created network interface %s, but attaching it to instance %s failed: %s; deleting the new ENI failed too: %s; "
            "network interface %s is left behind: delete it with ksyun.kce.eni network_interface_id=%s state=absent force_detach=true" % (
                eni_id, instance_id, cause, cleanup, eni_id, eni_id), network_interface_id=eni_id) from None
    raise ModuleFailure("created network interface %s, but attaching it to instance %s failed: %s; the new ENI was deleted again, "
                        "nothing is left behind" % (eni_id, instance_id, cause), **api_error_details(cause))


def create(module, in_subnet):
    params, client = module.params, module.client
    if not params["security_groups"]:
        raise ModuleFailure("security_groups: a new network interface needs at least one security group; give the ids of "
                            "security groups in the VPC of subnet %s" % params["subnet_id"])
    subnet = module.require_subnet(params["subnet_id"])
    if subnet.get("SubnetType", "Normal") != "Normal":
        raise ModuleFailure("subnet_id: subnet %s is of type %s; network interfaces need a subnet of type Normal" % (
            params["subnet_id"], subnet.get("SubnetType")))
    module.require_security_groups(params["security_groups"], subnet.get("VpcId"))
    ip = params["private_ip_address"]
    if ip:
        check_ip_in_subnet(ip, subnet["CidrBlock"], params["subnet_id"], "private_ip_address")
        holder = next((e["NetworkInterfaceId"] for e in in_subnet or [] if ip in private_ips(e)), None)
        if holder:
            raise ModuleFailure("private_ip_address: %s is already used by network interface %s; pick a free address "
                                "(ksyun.kce.subnet_info lists them) or leave it out for a random one" % (ip, holder))
    elif int(subnet.get("RandomAvailableIpNum", 1) or 0) < 1:
        raise ModuleFailure("subnet_id: subnet %s has no address left for random allocation; give a reserved address in "
                            "private_ip_address or use another subnet" % params["subnet_id"])
    planned = {
        "NetworkInterfaceId": None, "NetworkInterfaceName": params["name"], "NetworkInterfaceType": "extension",
        "VpcId": subnet.get("VpcId"), "SubnetId": params["subnet_id"], "CidrBlock": subnet.get("CidrBlock"),
        "AvailabilityZoneName": subnet.get("AvailabilityZoneName"), "PrivateIpAddress": ip,
        "SecurityGroupSet": [{"SecurityGroupId": g} for g in params["security_groups"]],
        "InstanceId": params["instance_id"],
    }
    if params["instance_id"]:
        module.check_attachable(planned, module.require_instance(params["instance_id"]))
    if module.check_mode:
        return module.result(True, {}, eni_diff_view(planned), network_interface=eni_view(planned))
    eni_id = client.create_network_interface(params["subnet_id"], params["security_groups"], name=params["name"], private_ip=ip)
    if params["instance_id"]:
        attach_new(module, eni_id, params["instance_id"])
    eni = client.get_network_interface(eni_id)
    return module.result(True, {}, eni_diff_view(eni), network_interface=eni_view(eni))


def refuse_unchangeable(params, eni):
    eni_id = eni["NetworkInterfaceId"]
    if params["subnet_id"] and params["subnet_id"] != eni.get("SubnetId"):
        raise ModuleFailure("subnet_id: network interface %s is in subnet %s, not %s; an ENI cannot change subnets, create another "
                            "one instead" % (eni_id, eni.get("SubnetId"), params["subnet_id"]))
    if params["private_ip_address"] and params["private_ip_address"] != eni.get("PrivateIpAddress"):
        raise ModuleFailure("private_ip_address: the primary IP of network interface %s is %s and cannot change to %s; leave "
                            "private_ip_address out, or delete the ENI and create it again" % (
                                eni_id, eni.get("PrivateIpAddress"), params["private_ip_address"]))
    current = security_group_ids(eni)
    if params["security_groups"] is not None and sorted(set(params["security_groups"])) != sorted(set(current)):
        raise ModuleFailure("security_groups: network interface %s has security groups %s; the VPC API cannot change them to %s, so "
                            "give the current ones (or leave security_groups out), or create a new ENI" % (
                                eni_id, ", ".join(current) or "none", ", ".join(params["security_groups"]) or "none"))


def update(module, eni):
    params, client = module.params, module.client
    refuse_unchangeable(params, eni)
    eni_id = eni["NetworkInterfaceId"]
    rename = params["name"] is not None and params["name"] != eni.get("NetworkInterfaceName")
    attach = False
    if params["instance_id"] and eni.get("InstanceId") != params["instance_id"]:
        eni = module.settle_eni(eni, params["wait_timeout"])
        if eni is None:
            raise ModuleFailure("network interface %s was deleted while this task ran; run it again" % eni_id)
        if eni.get("InstanceId") and eni["InstanceId"] != params["instance_id"]:
            raise ModuleFailure("instance_id: network interface %s is attached to instance %s, not %s; move it with "
                                "ksyun.kce.eni_attachment" % (eni_id, eni["InstanceId"], params["instance_id"]))
        attach = eni.get("InstanceId") != params["instance_id"]
        if attach:
            module.check_attachable(eni, module.require_instance(params["instance_id"]))
    before = eni_diff_view(eni)
    if not rename and not attach:
        return module.result(False, before, before, network_interface=eni_view(eni))
    planned = dict(eni, NetworkInterfaceName=params["name"] if rename else eni.get("NetworkInterfaceName"),
                   InstanceId=params["instance_id"] if attach else eni.get("InstanceId"))
    if module.check_mode:
        return module.result(True, before, eni_diff_view(planned), network_interface=eni_view(planned))
    if rename:
        client.modify_network_interface(eni_id, params["name"])
    if attach:
        client.attach_network_interface(params["instance_id"], eni_id)
        module.wait_eni(eni_id, params["instance_id"], params["wait_timeout"])
    eni = client.get_network_interface(eni_id)
    return module.result(True, before, eni_diff_view(eni), network_interface=eni_view(eni))


def delete(module, eni):
    params, client = module.params, module.client
    if eni is None:
        return module.result(False, {}, {}, network_interface={})
    eni_id = eni["NetworkInterfaceId"]
    if eni.get("NetworkInterfaceType") == "primary":
        raise ModuleFailure("network interface %s is the primary interface of instance %s; a primary ENI cannot be deleted" % (
            eni_id, eni.get("InstanceId")))
    eni = module.settle_eni(eni, params["wait_timeout"])
    if eni is None:
        return module.result(False, {}, {}, network_interface={})
    before = eni_diff_view(eni)
    instance_id = eni.get("InstanceId")
    if instance_id and not params["force_detach"]:
        raise ModuleFailure("network interface %s is attached to instance %s; detach it first with ksyun.kce.eni_attachment "
                            "state=absent, or set force_detach=true to detach and delete it in one task" % (eni_id, instance_id),
                            instance_id=instance_id)
    if module.check_mode:
        return module.result(True, before, {}, network_interface={})
    if instance_id:
        client.detach_network_interface(instance_id, eni_id)
        module.wait_eni(eni_id, None, params["wait_timeout"])
    client.delete_network_interface(eni_id)
    return module.result(True, before, {}, network_interface={})


def ensure(module):
    params = module.params
    if not params["network_interface_id"] and not params["subnet_id"]:
        raise ModuleFailure("name: give subnet_id too; ENIs are looked up by name within a subnet (or give network_interface_id)")
    if params["private_ip_address"]:
        params["private_ip_address"] = parse_ipv4(params["private_ip_address"], "private_ip_address")
    if params["wait_timeout"] < 0:
        raise ModuleFailure("wait_timeout must not be negative, got %d" % params["wait_timeout"])
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
        wait_timeout=dict(type="int", default=300),
        **INSTANCE_CHECKS_ARGSPEC
    )
    module = KsyunModule(argument_spec, required_one_of=[["network_interface_id", "name"]], supports_check_mode=True)
    module.run(ensure)


if __name__ == "__main__":
    main()
