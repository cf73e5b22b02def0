#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: instance_info
short_description: List KSYUN KEC instances with their ENIs and the ENI and IP quotas of their type
version_added: 0.1.0
description:
  - Lists KEC instances (for example the nodes of a KCE cluster) with the ENIs attached to each, their
    secondary IPs, and the ENI and private IP quotas of the instance type, so a playbook can see how many
    more ENIs and IPs a node can take.
  - Reads all pages of instances, then the ENIs of all of them in one paged describe and the quotas of all
    instance types involved in one C(DescribeInstanceTypeConfigs) call; there is no call per instance.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  instance_ids:
    description:
      - Only these instances (at most 100).
    type: list
    elements: str
    aliases: [ids]
  project_ids:
    description:
      - The projects to search. The API searches only the default project V(0) unless projects are given.
    type: list
    elements: int
  vpc_id:
    description:
      - Only instances in this VPC.
    type: str
  subnet_id:
    description:
      - Only instances whose primary interface is in this subnet.
    type: str
  availability_zone:
    description:
      - Only instances in this zone.
    type: str
  name:
    description:
      - Only instances with this name.
    type: str
extends_documentation_fragment:
  - ksyun.kce.ksyun.read_only
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
seealso:
  - module: ksyun.kce.eni_attachment
  - module: ksyun.kce.eni_private_ip
"""

EXAMPLES = r"""
- name: How many more ENIs can node 10.0.0.47 take?
  ksyun.kce.instance_info:
    instance_ids: [5f2c7a10-0004-4a6e-9c1b-000000000047]
  register: node

- name: Show it
  ansible.builtin.debug:
    msg: "{{ node.instances[0].free_network_interface_slots }} more ENIs, {{ node.instances[0].quotas.private_ips }} IPs per ENI"
"""

RETURN = r"""
instances:
  description: The matching instances, sorted by id.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The instance id.
      type: str
    name:
      description: The instance name.
      type: str
    instance_type:
      description: The instance type.
      type: str
      sample: N3.2B
    state:
      description: The instance state, for example V(active).
      type: str
    availability_zone:
      description: The zone of the instance.
      type: str
    vpc_id:
      description: The VPC of the instance.
      type: str
    subnet_id:
      description: The subnet of the primary interface.
      type: str
    private_ip_address:
      description: The primary IP of the primary interface.
      type: str
    project_id:
      description: The project of the instance.
      type: str
    network_interfaces:
      description: The attached ENIs, the primary one first, with their secondary IPs. See M(ksyun.kce.eni) for the fields.
      type: list
      elements: dict
    quotas:
      description:
        - The quotas of the instance type, V(null) when the type is unknown to C(DescribeInstanceTypeConfigs).
        - Whether the primary ENI and the primary IP count against them is not documented by KSYUN; the other
          modules of this collection assume they do.
      type: dict
      contains:
        network_interfaces:
          description: ENIs per instance (C(NetworkInterfaceQuota.NetworkInterfaceCount)).
          type: int
          sample: 4
        private_ips:
          description: Private IPs per ENI (C(PrivateIpQuota.PrivateIpCount)).
          type: int
          sample: 10
    free_network_interface_slots:
      description: How many more ENIs the instance can take (the primary ENI counted), V(null) when the quota is unknown.
      type: int
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.quota import enis_counted
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot, EniSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError


def instance_view(instance, enis, behaviour):
    attached = [
        enis.get(eni_id)
        or EniSnapshot(eni_id=eni_id, name="", subnet_id="", zone=instance.zone, instance_id=instance.instance_id)
        for eni_id in instance.eni_ids
    ]
    quota = (
        {"network_interfaces": instance.eni_quota, "private_ips": instance.ip_quota} if instance.has_quotas else None
    )
    free = None
    if quota:
        free = max(
            0, instance.eni_quota - enis_counted(instance.node(), CloudSnapshot(enis=tuple(attached)), behaviour)
        )
    return {
        "id": instance.instance_id,
        "name": instance.name,
        "instance_type": instance.instance_type,
        "state": instance.state,
        "availability_zone": instance.zone,
        "vpc_id": instance.vpc_id,
        "subnet_id": instance.subnet_id,
        "private_ip_address": instance.private_ip,
        "project_id": instance.project_id,
        "network_interfaces": [eni.view() for eni in attached],
        "quotas": quota,
        "free_network_interface_slots": free,
    }


def list_instances(module):
    params = module.params
    if params["instance_ids"] and len(params["instance_ids"]) > 100:
        raise ModuleError(
            "instance_ids: the API takes at most 100 instance ids per call, got %d; split the list"
            % len(params["instance_ids"])
        )
    filters = {
        name: params[option]
        for name, option in (
            ("vpc-id", "vpc_id"),
            ("subnet-id", "subnet_id"),
            ("availability-zone-name", "availability_zone"),
            ("instance-name", "name"),
        )
        if params[option]
    }
    instances = module.reader.instances(params["instance_ids"], filters=filters, project_ids=params["project_ids"])
    enis = {}
    if instances:
        enis = {
            eni.eni_id: eni for eni in module.reader.enis(filters={"instance-id": [i.instance_id for i in instances]})
        }
    return {"changed": False, "instances": [instance_view(i, enis, module.behaviour) for i in instances]}


def main():
    argument_spec = dict(
        instance_ids=dict(type="list", elements="str", aliases=["ids"]),
        project_ids=dict(type="list", elements="int"),
        vpc_id=dict(type="str"),
        subnet_id=dict(type="str"),
        availability_zone=dict(type="str"),
        name=dict(type="str"),
    )
    KceModule(argument_spec, cloud=True).run(list_instances)


if __name__ == "__main__":
    main()
