# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The name that starts a KCE cluster's ENI names, from the cluster's name and id (the sandbox's platform agrees)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: eni_cluster_name
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: The name that starts a KCE cluster's ENI names
description:
  - Every ENI the fixed-IP flows create starts with a short name of its cluster, so ENIs of different clusters never
    mix. For a KCE cluster that is the cluster's name where it is at most 40 lower-case letters, digits and C(-)
    (starting and ending with a letter or digit), else the cluster id.
options:
  _input:
    description: The KCE cluster's name.
    type: str
    required: true
  cluster_id:
    description: The KCE cluster's id.
    type: str
    required: true
"""

EXAMPLES = r"""
- name: The ENI name prefix of a KCE cluster read with ksyun.kce.cluster_info
  ansible.builtin.debug:
    msg: "{{ cluster.name | ksyun.kce.eni_cluster_name(cluster.id) }}"
"""

RETURN = r"""
_value:
  description: The cluster's name, or its id where the name cannot mark ENIs.
  type: str
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.errors import FixedIpError
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.settings import eni_cluster_name as _name


def eni_cluster_name(name, cluster_id):
    try:
        return _name(name or "", cluster_id or "")
    except FixedIpError as err:
        raise AnsibleFilterError("eni_cluster_name: cluster %r (%r): %s" % (cluster_id, name, err)) from None


class FilterModule(object):
    """ksyun.kce.eni_cluster_name"""

    def filters(self):
        return {"eni_cluster_name": eni_cluster_name}
