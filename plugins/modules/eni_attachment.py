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
      description: The ENI state in the collection's words (see M(ksyun.kce.eni)).
      type: str
      sample: in-use
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
actions:
  description: The API changes, in order, that the task made (in check mode, would make).
  returned: always
  type: list
  elements: str
"""

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.actions import AttachEni, DetachEni
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.plan import Plan
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import INSTANCE_CHECKS_ARGS, WAIT_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule, ModuleError
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_positive
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import (
    apply_plan,
    check_attachable,
    refuse_primary,
    require_eni,
    require_instance,
    settle,
)


def attachment(eni):
    return {"network_interface_id": eni.eni_id, "instance_id": eni.instance_id}


def ensure(module):
    params = module.params
    check_positive("wait_timeout", params["wait_timeout"])
    eni = settle(module, require_eni(module, params["network_interface_id"]))
    if eni is None:
        raise ModuleError("network interface %s was deleted while this task ran" % params["network_interface_id"])
    source, target = eni.instance_id, params["instance_id"]
    actions = []
    if params["state"] == "present" and source != target:
        check_attachable(module, eni, require_instance(module, target))
        actions = ([DetachEni(eni.eni_id, source)] if source else []) + [AttachEni(eni.eni_id, target)]
    elif params["state"] == "absent" and source and (not target or source == target):
        refuse_primary(eni, "detached")
        actions = [DetachEni(eni.eni_id, source)]
    plan = Plan(tuple(actions))

    def after(snapshot, result):
        now = snapshot.eni(eni.eni_id)
        return module.result(
            bool(actions), attachment(eni), attachment(now), network_interface=now.view(), previous_instance_id=source
        )

    return apply_plan(
        module,
        plan,
        CloudSnapshot(enis=(eni,)),
        after,
        reread=lambda result: CloudSnapshot(enis=(module.reader.eni(eni.eni_id) or eni,)),
        settle_last=params["wait"],
    )


def main():
    argument_spec = dict(
        network_interface_id=dict(type="str", required=True, aliases=["id", "eni_id"]),
        instance_id=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        wait=dict(type="bool", default=True),
        **WAIT_ARGS,
        **INSTANCE_CHECKS_ARGS,
    )
    module = KceModule(argument_spec, cloud=True, required_if=[("state", "present", ["instance_id"])])
    module.run(ensure)


if __name__ == "__main__":
    main()
