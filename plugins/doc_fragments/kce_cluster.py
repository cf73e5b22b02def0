# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options that name one KCE cluster (runner/kce.CLUSTER_ARGS is their spec at run time)."""

from __future__ import annotations


class ModuleDocFragment:

    # One KCE cluster, by id or by exact name.
    DOCUMENTATION = r"""
options:
  cluster_id:
    description:
      - The id of the cluster. Give this or O(name).
    type: str
    aliases: [id]
  name:
    description:
      - The exact name of the cluster, instead of O(cluster_id). Several clusters with this name are refused.
    type: str
"""
