#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fixed_ip_audit
short_description: Report where fixed Pod IP records, pods and the cloud disagree, and repair what is safe to repair
version_added: 0.1.0
description:
  - Reads, in one pass, every C(PodEni)/C(PodEniIP)/C(VpcIP) record (one LIST per kind; a cluster whose CRDs predate
    C(VpcIP) has none), every pod and node, and the pod subnets with their addresses and ENIs, and reports every
    disagreement between them, each with its fix.
  - The kinds of finding are the following.
  - V(record-without-cloud) is a record whose ENI or subnet no longer exists.
  - V(eni-without-record) is an ENI this collection named for this cluster that no record refers to.
  - V(reserved-ip-without-record) is a subnet IP reserved (C(AllocateStatus=specific)) that no C(PodEniIP) records.
  - V(ip-on-eni-without-record) is a pod IP on a shared ENI of this collection that no record (C(PodEniIP) or
    C(VpcIP)) keeps.
  - V(eni-on-another-node) is a pod's exclusive ENI attached to a node where the pod is not.
  - V(record-of-a-gone-pod) is a record still C(Bound) or C(Binding) for a pod UID no pod has. For a C(VpcIP) (or a
    C(PodEniIP) with C(fixed=false)) that is a leaked IP, since a non-fixed IP is never kept, and its repair frees it
    as the pod's release would (the product page's shared mode, step 1) - the record C(Reclaiming), the IP unassigned
    (never reserved), the record deleted.
  - V(pod-outside-its-zone) is a fixed IP pod scheduled outside the zone of its IP, waiting for ever without one;
    the fix names the zone affinity its StatefulSet lacks.
  - V(eip-of-record-gone) is a record whose elastic public IP (C(eipId)) no longer exists.
  - V(eip-not-on-its-ip) is a C(Bound) record whose elastic public IP is not associated with its IP.
  - The result is the report, with a summary, the findings, and for each pod subnet a picture of its addresses
    (held by an ENI, reserved, free, kept by the platform). The C(audit.yml) playbook of the collection writes
    it as a JSON file and as one self-contained HTML page.
  - With O(repair=true), the findings with a safe repair are repaired. An orphan ENI is deleted, an unrecorded
    reserved IP is unreserved, a record whose ENI or subnet is gone is deleted, and a C(VpcIP) whose pod is gone is
    freed (its pod's UID was gone when the pods were read, after the records; the first write is conditional on the
    record as read, so a bind that took it over since stops the repair). Only findings known to be older
    than O(min_age) are repaired, by their creation time or because the saved O(report) listed them that long ago.
    With O(report), only that report's findings are repaired (report, review, repair).
author:
  - ksyun.kce contributors (@ksyun-kce)
options:
  repair:
    description:
      - Repair the findings that have a safe repair and are older than O(min_age).
    type: bool
    default: false
  min_age:
    description:
      - How long a finding must be known to exist before repair touches it, for example V(30m), V(1h) or V(1d).
    type: str
    default: 1h
  report:
    description:
      - A report this module returned earlier (the JSON the audit playbook saved), for repair to act on only its
        findings, each known to exist since the report was made.
      - It must be a report of the same cluster, not edited, and not from the future.
    type: dict
  lock_timeout:
    description:
      - Seconds to wait for a subnet's allocation lock when an unrecorded reserved IP is unreserved or the IP of a
        gone pod's C(VpcIP) is freed.
    type: int
    default: 60
extends_documentation_fragment:
  - ksyun.kce.fixed_ip
  - ksyun.kce.fixed_ip.cluster_and_cloud
  - ansible.builtin.action_common_attributes
  - ksyun.kce.ksyun
  - ksyun.kce.k8s_auth_options
attributes:
  check_mode:
    support: full
    details:
      - The report is made as in a real run; with O(repair=true), each finding's RV(findings[].repaired) lists what
        would be done, and nothing is written.
  diff_mode:
    support: none
seealso:
  - module: ksyun.kce.fixed_ip_reclaim
  - module: ksyun.kce.fixed_ip_info
"""

EXAMPLES = r"""
- name: Audit the cluster's fixed IPs
  ksyun.kce.fixed_ip_audit:
  register: audit

- name: Save the report for review
  ansible.builtin.copy:
    content: "{{ audit | ansible.builtin.to_nice_json }}"
    dest: /var/tmp/fixed-ip-audit.json
    mode: "0600"

- name: Later, repair exactly what the reviewed report found (and only what is older than an hour)
  ksyun.kce.fixed_ip_audit:
    repair: true
    report: "{{ lookup('ansible.builtin.file', '/var/tmp/fixed-ip-audit.json') | ansible.builtin.from_json }}"
"""

RETURN = r"""
format:
  description: The report's format, so a saved report is recognised.
  returned: always
  type: str
  sample: ksyun.kce/fixed-ip-audit/v1
cluster:
  description: The cluster name of the cluster configuration.
  returned: always
  type: str
generated_at:
  description: When the report was made (UTC).
  returned: always
  type: str
in_sync:
  description: Whether nothing disagrees.
  returned: always
  type: bool
summary:
  description: How many findings of each kind.
  returned: always
  type: dict
findings:
  description: Every disagreement, in a stable order.
  returned: always
  type: list
  elements: dict
  contains:
    key:
      description: Kind and subject, stable across runs (what a saved report is matched by).
      type: str
    kind:
      description: The kind of finding (see the description).
      type: str
    subject:
      description: What it is about, for example C(PodEni shop/db-0) or C(IP 10.0.0.77 in subnet ...).
      type: str
    detail:
      description: What disagrees.
      type: str
    fix:
      description: What to do.
      type: str
    since:
      description: Since when it is known to exist (its creation time), null if unknown.
      type: str
    repair:
      description: The API changes repair makes, empty when only a person can decide.
      type: list
      elements: str
    repaired:
      description: The repair actions that ran (in check mode, would run).
      type: list
      elements: str
    not_repaired:
      description: Why a repair did not run (too young, not in the report, failed).
      type: str
subnets:
  description: For each pod subnet, its addresses and their states, for the audit page.
  returned: always
  type: list
  elements: dict
records:
  description: How many records were read.
  returned: always
  type: int
api_calls:
  description: The KSYUN API calls the task made, by action.
  returned: always
  type: dict
"""

from ansible_collections.ksyun.kce.plugins.module_utils.flows.audit import run_audit
from ansible_collections.ksyun.kce.plugins.module_utils.runner.args import CLUSTER_CONFIG_ARGS
from ansible_collections.ksyun.kce.plugins.module_utils.runner.base import KceModule
from ansible_collections.ksyun.kce.plugins.module_utils.runner.checks import parse_duration
from ansible_collections.ksyun.kce.plugins.module_utils.runner.flow_context import flow_context


def ensure(module):
    params = module.params
    min_age = parse_duration(params["min_age"], "min_age")
    ctx = flow_context(module, lock_timeout=params["lock_timeout"])
    return run_audit(ctx, module.check_mode, repair=params["repair"], min_age=min_age, report=params["report"])


def main():
    argument_spec = dict(
        CLUSTER_CONFIG_ARGS,
        repair={"type": "bool", "default": False},
        min_age={"type": "str", "default": "1h"},
        report={"type": "dict"},
        lock_timeout={"type": "int", "default": 60},
    )
    KceModule(argument_spec, cloud=True, cluster=True).run(ensure)


if __name__ == "__main__":
    main()
