#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: eni_attachment
short_description: Attach a KSYUN ENI to a KEC instance, detach it, or move it to another instance
version_added: 0.1.0
description:
  - Makes sure an existing ENI is attached to a KEC instance (O(state=present)) or is not (O(state=absent)),
    and waits until the attachment has settled.
  - An ENI attached to another instance is moved in one task. Before anything changes, the target instance
    is checked (it exists, is in the zone and VPC of the ENI, has room in its ENI quota and allows as many
    private IPs per ENI as the ENI holds). It is then detached, waited for, attached to O(instance_id) and
    waited for again. If the attachment to O(instance_id) fails, the ENI is attached back to the instance it
    came from, and the error says so; it is only left detached if that fails too, and the error then says that.
  - An ENI keeps its IPs, primary and secondary, while it is detached, so a move never loses an IP.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  network_interface_id:
    description:
      - The id of the ENI.
    type: str
    required: true
    aliases: [id, eni_id]
  instance_id:
    description:
      - The KEC instance.
      - Required with O(state=present).
      - With O(state=absent), the ENI is detached only if it is attached to this instance; leave it out to
        detach the ENI from whichever instance holds it.
    type: str
  state:
    description:
      - V(present) attaches the ENI to O(instance_id) (moving it if needed), V(absent) detaches it.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the attachment or detachment has finished.
      - A move always waits for the detachment, because the API refuses to attach an ENI that is still detaching.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for each attachment or detachment.
    type: int
    default: 300
extends_documentation_fragment:
  - ksyun.kce.ksyun
  - ksyun.kce.ksyun.instance_checks
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads and checks as a real run and predicts C(changed) exactly; it sends no
        mutating call.
  diff_mode:
    support: full
    details:
      - The diff shows the instance the ENI is attached to before and after.
seealso:
  - module: ksyun.kce.eni
  - module: ksyun.kce.instance_info
"""

EXAMPLES = r"""
- name: Attach an ENI to node 10.0.0.47 (or move it there from another node)
  ksyun.kce.eni_attachment:
    network_interface_id: 9b0e3c9e-42a1-4c5e-8f7a-2a9d6e1c0b11
    instance_id: 5f2c7a10-0004-4a6e-9c1b-000000000047

- name: Detach it from whichever instance holds it
  ksyun.kce.eni_attachment:
    network_interface_id: 9b0e3c9e-42a1-4c5e-8f7a-2a9d6e1c0b11
    state: absent
"""

RETURN = r"""
network_interface:
  description:
    - The ENI after the task (in check mode, as it would be). See M(ksyun.kce.eni) for all fields.
  returned: always
  type: dict
  contains:
    id:
      description: The ENI id.
      type: str
    instance_id:
      description: The instance it is attached to, V(null) when detached.
      type: str
    state:
      description: The ENI state as the API reports it.
      type: str
      sample: inuse
    private_ip_address:
      description: The primary private IP.
      type: str
    secondary_private_ip_addresses:
      description: The secondary private IPs.
      type: list
      elements: str
previous_instance_id:
  description: The instance the ENI was attached to before the task, V(null) if it was detached.
  returned: always
  type: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun_module import (
    INSTANCE_CHECKS_ARGSPEC, KsyunModule, ModuleFailure, api_error_details, eni_view)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.errors import KsyunError


def attachment(eni):
    return {"network_interface_id": eni["NetworkInterfaceId"], "instance_id": eni.get("InstanceId") or None}


def move_back(module, eni_id, source, target, cause):
    """The attach to ``target`` failed after the detach from ``source``: put the ENI back where it was."""
    try:
        current = module.settle_eni({"NetworkInterfaceId": eni_id, "State": "attaching"}, module.params["wait_timeout"])
        holder = current.get("InstanceId") if current else None
        if holder != target:
            module.client.attach_network_interface(source, eni_id)
            module.wait_eni(eni_id, source, module.params["wait_timeout"])
    except (KsyunError, ModuleFailure) as err:
        raise ModuleFailure(
            "detached network interface %s from instance %s to move it to instance %s, but attaching it there failed: %s; "
            "attaching it back to %s failed too: %s; the ENI is detached (it keeps its IPs): attach it with "
            "ksyun.kce.eni_attachment" % (eni_id, source, target, cause, source, err), network_interface_id=eni_id) from None
    if holder == target:
        raise ModuleFailure("network interface %s took longer than wait_timeout to attach to instance %s (%s); it is attached there "
                            "now, run the task again to confirm" % (eni_id, target, cause), network_interface_id=eni_id)
    raise ModuleFailure("could not move network interface %s from instance %s to instance %s: %s; it was attached back to %s" % (
        eni_id, source, target, cause, source), network_interface_id=eni_id, **api_error_details(cause))


def attach(module, eni):
    params, client = module.params, module.client
    eni_id, target = eni["NetworkInterfaceId"], params["instance_id"]
    source = eni.get("InstanceId") or None
    before = attachment(eni)
    if source == target:
        return module.result(False, before, before, network_interface=eni_view(eni), previous_instance_id=source)
    module.check_attachable(eni, module.require_instance(target))
    after = dict(before, instance_id=target)
    if module.check_mode:
        return module.result(True, before, after, network_interface=eni_view(dict(eni, InstanceId=target)), previous_instance_id=source)
    if source:
        client.detach_network_interface(source, eni_id)
        module.wait_eni(eni_id, None, params["wait_timeout"])
    try:
        client.attach_network_interface(target, eni_id)
        if params["wait"] or source:
            eni = module.wait_eni(eni_id, target, params["wait_timeout"])
    except KsyunError as err:
        if source:
            move_back(module, eni_id, source, target, err)
        raise
    eni = client.get_network_interface(eni_id) or eni
    return module.result(True, before, attachment(eni), network_interface=eni_view(eni), previous_instance_id=source)


def detach(module, eni):
    params, client = module.params, module.client
    eni_id, source = eni["NetworkInterfaceId"], eni.get("InstanceId") or None
    before = attachment(eni)
    if not source or (params["instance_id"] and source != params["instance_id"]):
        return module.result(False, before, before, network_interface=eni_view(eni), previous_instance_id=source)
    if eni.get("NetworkInterfaceType") == "primary":
        raise ModuleFailure("network interface %s is the primary interface of instance %s; a primary ENI cannot be detached" % (
            eni_id, source))
    after = dict(before, instance_id=None)
    if module.check_mode:
        return module.result(True, before, after, network_interface=eni_view(dict(eni, InstanceId=None)), previous_instance_id=source)
    client.detach_network_interface(source, eni_id)
    if params["wait"]:
        module.wait_eni(eni_id, None, params["wait_timeout"])
    eni = client.get_network_interface(eni_id) or eni
    return module.result(True, before, attachment(eni), network_interface=eni_view(eni), previous_instance_id=source)


def ensure(module):
    params = module.params
    if params["wait_timeout"] < 0:
        raise ModuleFailure("wait_timeout must not be negative, got %d" % params["wait_timeout"])
    eni = module.require_eni(params["network_interface_id"])
    eni = module.settle_eni(eni, params["wait_timeout"])
    if eni is None:
        raise ModuleFailure("network interface %s was deleted while this task ran" % params["network_interface_id"])
    if params["state"] == "present":
        return attach(module, eni)
    return detach(module, eni)


def main():
    argument_spec = dict(
        network_interface_id=dict(type="str", required=True, aliases=["id", "eni_id"]),
        instance_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=300),
        **INSTANCE_CHECKS_ARGSPEC
    )
    module = KsyunModule(argument_spec, required_if=[("state", "present", ["instance_id"])], supports_check_mode=True)
    module.run(ensure)


if __name__ == "__main__":
    main()
