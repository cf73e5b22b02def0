# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The preflight report: the cluster's checks (ksyun.kce.preflight_info) with the cloud's (the cloud modules' results)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: preflight_report
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: One preflight report from the cluster's checks and the cloud modules' results
description:
  - Adds to the checks of M(ksyun.kce.preflight_info) the checks of the cloud - C(kce_vpc_cni) from the result of
    M(ksyun.kce.cluster_info) (VpcCNI on, its DaemonMode, subnets and security group against the ConfigMap),
    C(container_subnets) from M(ksyun.kce.subnet_info) (each subnet exists, is Normal, lies in the zone it is listed
    under and in the cluster's VPC, and how many IPs are free) and C(records) from M(ksyun.kce.fixed_ip_audit) run in
    check mode (records that disagree with pods or the cloud) - and makes the report the C(ksyun.kce.preflight)
    playbook prints and saves.
options:
  _input:
    description: The result of M(ksyun.kce.preflight_info).
    type: dict
    required: true
  kce:
    description:
      - One cluster of M(ksyun.kce.cluster_info) (its C(vpc_id), C(vpc_cni) and C(nodes)); left out, not checked.
      - Its nodes are compared with the C(node_names) of the input, so a kubeconfig of another cluster is a blocker.
    type: dict
  subnets:
    description: The C(subnets) of M(ksyun.kce.subnet_info); left out, not checked.
    type: list
    elements: dict
  audit:
    description: The result of M(ksyun.kce.fixed_ip_audit); left out, not checked.
    type: dict
  skipped:
    description: Parts not checked, each C({name, reason}), listed at the end of the table.
    type: list
    elements: dict
"""

EXAMPLES = r"""
- name: Make the report
  ansible.builtin.set_fact:
    report: "{{ cluster_checks | ksyun.kce.preflight_report(subnets=container_subnets.subnets, audit=audit) }}"
"""

RETURN = r"""
_value:
  description: The report.
  type: dict
  contains:
    checks:
      description: Every check, C({name, status, found, will, will_not}).
      type: list
      elements: dict
    counts:
      description: How many checks of each status.
      type: dict
    blockers:
      description: Each blocker as its name, a colon and what was found.
      type: list
      elements: str
    skipped:
      description: The parts not checked.
      type: list
      elements: dict
    table:
      description: The readable report, one line per check with its will / will not beneath.
      type: list
      elements: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight import ConfigView, report
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.preflight_cloud import cloud_checks


def preflight_report(cluster, kce=None, subnets=None, audit=None, skipped=None):
    if not isinstance(cluster, dict) or not isinstance(cluster.get("checks"), list):
        raise AnsibleFilterError(
            "preflight_report: the input must be the result of ksyun.kce.preflight_info (with checks), got %r"
            % (str(cluster)[:200],)
        )
    config = ConfigView.from_dict(cluster.get("config") or {"source": "the VPC-CNI ConfigMap"})
    try:
        checks = list(cluster["checks"]) + cloud_checks(
            config, kce=kce, subnets=subnets, audit=audit, node_names=cluster.get("node_names")
        )
        return report(checks, skipped or [])
    except (TypeError, ValueError, KeyError) as err:
        raise AnsibleFilterError("preflight_report: %s" % err) from None


class FilterModule(object):
    """ksyun.kce.preflight_report"""

    def filters(self):
        return {"preflight_report": preflight_report}
