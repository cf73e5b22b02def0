# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The file a rendered Kubernetes object is written to (ksyun.kce.manifests role, render output)."""

from __future__ import absolute_import, annotations, division, print_function

DOCUMENTATION = r"""
name: manifest_file_name
author:
  - ksyun.kce contributors (@ksyun-kce)
version_added: 0.1.0
short_description: The file name a rendered Kubernetes object is written to
description:
  - Names the file of one object in a render folder as C(<prefix>__<kind>[-<namespace>]-<name>.yaml), all lower case,
    so each role owns the files of its prefix and an object always lands in the same file.
options:
  _input:
    description: A Kubernetes object with kind and metadata.name (metadata.namespace when namespaced).
    type: dict
    required: true
  prefix:
    description: The prefix of the role that renders the object; it must not contain C(__) or C(/).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Name the file of the multus DaemonSet
  ansible.builtin.debug:
    msg: "{{ {'kind': 'DaemonSet', 'metadata': {'name': 'kube-multus-ds', 'namespace': 'kube-system'}} | ksyun.kce.manifest_file_name('multus') }}"
  # multus__daemonset-kube-system-kube-multus-ds.yaml
"""

RETURN = r"""
_value:
  description: The file name, without a folder.
  type: str
"""

import re

from ansible.errors import AnsibleFilterError

_SAFE = re.compile(r"[^a-z0-9.-]+")


def manifest_file_name(obj, prefix):
    if not isinstance(prefix, str) or not prefix or "__" in prefix or "/" in prefix:
        raise AnsibleFilterError(
            "manifest_file_name: prefix %r must be a non-empty name without '__' or '/'" % (prefix,)
        )
    metadata = obj.get("metadata") if isinstance(obj, dict) else None
    if not isinstance(metadata, dict) or not obj.get("kind") or not metadata.get("name"):
        raise AnsibleFilterError(
            "manifest_file_name: %r is not a Kubernetes object with kind and metadata.name" % (str(obj)[:200],)
        )
    parts = [obj["kind"], metadata.get("namespace"), metadata["name"]]
    name = "-".join(_SAFE.sub("-", str(part).lower()) for part in parts if part)
    return "%s__%s.yaml" % (prefix, name)


class FilterModule(object):
    """ksyun.kce.manifest_file_name"""

    def filters(self):
        return {"manifest_file_name": manifest_file_name}
