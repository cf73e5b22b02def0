#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: cluster_vpc_cni
short_description: Switch VPC-CNI of a KCE cluster on or off, and set its mode, pod subnets and security group
version_added: 0.1.0
description:
  - Enables or disables VPC-CNI, the network plugin that gives pods IPs of the VPC (and so fixed Pod IPs), on a
    Kingsoft Cloud Container Engine (KCE) cluster through KCE 2.0 C(ModifyCluster), then waits until the platform
    reports the new settings and its running phase.
  - With O(state=enabled) the cluster gets exactly O(mode), O(subnet_ids) (in any order) and O(security_group_id);
    a cluster that already has them is not changed and no call is sent.
  - "Refused before any change, with the value named: a subnet that does not exist, is in another VPC than the
    cluster, is not of type C(Normal), or lies in a zone where the cluster has no node (its pods could never use it);
    a security group that does not exist or is in another VPC."
  - With O(state=disabled) only C(Enable=false) is sent; the platform keeps the other settings.
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  state:
    description:
      - V(enabled) switches VPC-CNI on with the settings below; V(disabled) switches it off.
    type: str
    choices: [enabled, disabled]
    default: enabled
  mode:
    description:
      - How pods get their IPs (the product page's words).
      - V(shared) (KCE C(eniMultiIP)) gives each pod a secondary IP of an ENI it shares with other pods of its node.
      - V(exclusive) (KCE C(eniOnly)) gives each pod an ENI of its own.
      - Ignored with O(state=disabled).
    type: str
    choices: [shared, exclusive]
    default: shared
  subnet_ids:
    description:
      - The pod subnets, at least one; required with O(state=enabled). Their order does not matter.
      - Each must be a subnet of type C(Normal) in the cluster's VPC, in a zone where the cluster has nodes.
      - Ignored with O(state=disabled).
    type: list
    elements: str
  security_group_id:
    description:
      - The security group of the pods' ENIs, in the cluster's VPC; required with O(state=enabled).
      - Ignored with O(state=disabled).
    type: str
  wait:
    description:
      - Wait until the platform reports the new settings and its running phase (KCE 2.0 C(DescribeClusters)).
      - A phase that turns to failed ends the wait with the platform's message.
      - A cluster that already has the settings but is still updating (an earlier task with O(wait=false)) is waited
        for too, without a call that changes anything; one whose platform failed to apply them fails the task again with
        the platform's message.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait with O(wait=true).
    type: int
    default: 600
extends_documentation_fragment:
  - ksyun.kce.kce_cluster
  - ksyun.kce.ksyun
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
    details:
      - Check mode makes the same reads as a real run, reports C(changed) exactly and lists the change in RV(actions);
        it sends no mutating call.
  diff_mode:
    support: full
    details:
      - The diff shows the VPC-CNI settings before and after.
notes:
  - Whether VPC-CNI can be switched on for a cluster created through the older KCE API is not documented by
    Kingsoft; a cluster the KCE 2.0 API does not list is refused with a message that says so.
seealso:
  - module: ksyun.kce.cluster_info
  - module: ksyun.kce.subnet_info
"""

EXAMPLES = r"""
- name: Fixed Pod IPs in shared mode, pods in the container subnet of zone cn-beijing-6a
  ksyun.kce.cluster_vpc_cni:
    cluster_id: 5f2c7a10-0006-4a6e-9c1b-000000000001
    mode: shared
    subnet_ids:
      - 5f2c7a10-0002-4a6e-9c1b-000000000001
    security_group_id: 5f2c7a10-0003-4a6e-9c1b-000000000001

- name: Every pod an ENI of its own, in both zones
  ksyun.kce.cluster_vpc_cni:
    name: sandbox
    mode: exclusive
    subnet_ids:
      - 5f2c7a10-0002-4a6e-9c1b-000000000001
      - 5f2c7a10-0002-4a6e-9c1b-000000000002
    security_group_id: 5f2c7a10-0003-4a6e-9c1b-000000000001
    wait_timeout: 900

- name: Switch VPC-CNI off
  ksyun.kce.cluster_vpc_cni:
    cluster_id: 5f2c7a10-0006-4a6e-9c1b-000000000001
    state: disabled
"""

RETURN = r"""
actions:
  description: The change the task made (in check mode, would make); empty when the cluster already had the settings.
  returned: always
  type: list
  elements: str
  sample: ["set VPC-CNI of cluster 5f2c7a10-0006-4a6e-9c1b-000000000001: enabled in shared mode (subnets ...; security group ...)"]
cluster_id:
  description: The id of the cluster.
  returned: success
  type: str
phase:
  description: The platform phase after the task (C(Status.Phase), for example V(Running), or V(Updating) with
    O(wait=false)); in check mode, the phase that was read before.
  returned: success
  type: str
vpc_cni:
  description: The VPC-CNI settings after the task (in check mode, as they would be).
  returned: success
  type: dict
  contains:
    enabled:
      description: Whether VPC-CNI is on.
      type: bool
    mode:
      description: V(shared) or V(exclusive); V(null) when unknown.
      type: str
    subnet_ids:
      description: The pod subnets.
      type: list
      elements: str
    security_group_id:
      description: The security group of the pods' ENIs.
      type: str
"""

import dataclasses

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.cluster import PHASE_FAILED, PHASE_UPDATING
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import CloudSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.vpc_cni import (
    plan_vpc_cni,
    planned_settings,
    wanted_settings,
)
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import check_id, check_positive
from ansible_collections.ksyun.kce.plugins.module_utils.runner.cloud import apply_plan
from ansible_collections.ksyun.kce.plugins.module_utils.runner.kce import CLUSTER_ARGS, ONE_CLUSTER, require_cluster

UNSETTLED = (PHASE_UPDATING, PHASE_FAILED)


def managed(settings):
    """What the task manages of the settings (the platform's own mode word is shown by cluster_info)."""
    if settings is None:
        return {}
    view = settings.view()
    view.pop("daemon_mode")
    return view


def ensure(module):
    params = module.params
    check_positive("wait_timeout", params["wait_timeout"])
    enabled = params["state"] == "enabled"
    if enabled:
        for subnet_id in params["subnet_ids"]:
            check_id("subnet_ids", subnet_id)
        check_id("security_group_id", params["security_group_id"])
    wanted = wanted_settings(enabled, params["mode"], params["subnet_ids"] or (), params["security_group_id"])
    cluster = require_cluster(module)
    subnets, group_vpcs = [], {}
    if enabled:
        subnets = module.reader.subnets(list(wanted.subnet_ids))
        group_vpcs = {
            group_id: item.get("VpcId") or ""
            for group_id, item in module.reader.security_groups([wanted.security_group_id]).items()
        }
    plan = plan_vpc_cni(cluster, wanted, subnets, group_vpcs, wait=params["wait"])
    if not plan.actions and params["wait"] and not module.check_mode and cluster.phase in UNSETTLED:
        # Asked before (a task with wait=false, or one the platform failed): wait for it as a change would, read-only.
        state = module.client.wait_cluster_vpc_cni(cluster.cluster_id, wanted, params["wait_timeout"])
        cluster = dataclasses.replace(cluster, phase=state.phase, phase_text=state.phase_text)

    def after(_cloud, result):
        now, phase = planned_settings(cluster, plan), cluster.phase_text
        if plan.actions and result.ok and not module.check_mode:
            state = module.kce.vpc_cni_state(cluster.cluster_id)
            if state is not None:
                now, phase = state.vpc_cni, state.phase_text
        return module.result(
            plan.changed,
            managed(cluster.vpc_cni),
            managed(now),
            cluster_id=cluster.cluster_id,
            phase=phase or None,
            vpc_cni=managed(now),
        )

    return apply_plan(module, plan, CloudSnapshot(), after)


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["enabled", "disabled"], default="enabled"),
        mode=dict(type="str", choices=["shared", "exclusive"], default="shared"),
        subnet_ids=dict(type="list", elements="str"),
        security_group_id=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        **CLUSTER_ARGS,
    )
    KceModule(
        argument_spec,
        cloud=True,
        required_if=[("state", "enabled", ("subnet_ids", "security_group_id"))],
        **ONE_CLUSTER,
    ).run(ensure)


if __name__ == "__main__":
    main()
