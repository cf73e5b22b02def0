# -*- coding: utf-8 -*-
# Copyright: contributors to the ksyun.kce collection
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The arguments of the lookups that build objects for the PodEni/PodEniIP API: group=, version= and their own."""

from __future__ import absolute_import, annotations, division, print_function

from ansible.errors import AnsibleLookupError

from ansible_collections.ksyun.kce.plugins.module_utils.flows.cluster_config import GROUP_PATTERN, VERSION_PATTERN
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import DEFAULT_GROUP, DEFAULT_VERSION


def record_api_args(lookup, terms, kwargs, extra=()):
    """``(group, version, {other: value})`` of a lookup's keyword arguments; terms and unknown keywords are refused,
    and group/version are checked by the rules the VPC-CNI ConfigMap's crdGroup/crdVersion follow."""
    known = {"group", "version", *extra}
    unknown = sorted(set(kwargs) - known)
    if terms or unknown:
        raise AnsibleLookupError(
            "%s takes only %s, not %s"
            % (lookup, ", ".join(k + "=" for k in sorted(known)), ", ".join(map(repr, list(terms) + unknown)))
        )
    group, version = kwargs.get("group", DEFAULT_GROUP), kwargs.get("version", DEFAULT_VERSION)
    if not GROUP_PATTERN.fullmatch(group or ""):
        raise AnsibleLookupError(
            "%s: group %r is not an API group; use a DNS name such as k8s.ksyun.com" % (lookup, group)
        )
    if not VERSION_PATTERN.fullmatch(version or ""):
        raise AnsibleLookupError("%s: version %r is not an API version; use v1 or v1beta1" % (lookup, version))
    return group, version, {key: kwargs[key] for key in extra if key in kwargs}
