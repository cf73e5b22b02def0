# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one KSYUN client of the collection: ``KsyunClient(...)`` with typed VPC, KEC, EIP and KCE helpers.

Modules check ``HAS_KSYUN_SDK`` first and report ``KSYUN_SDK_IMPORT_TRACEBACK`` via missing_required_lib.
"""

from __future__ import annotations

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.core import KsyunCore
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.eip import EipMixin
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kce import KceMixin
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.kec import KecMixin
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.transport import (  # noqa: F401 pylint: disable=unused-import
    HAS_KSYUN_SDK,
    KSYUN_SDK_IMPORT_ERROR,
    KSYUN_SDK_IMPORT_TRACEBACK,
    SDK_PACKAGE,
)
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.vpc import VpcMixin


class KsyunClient(VpcMixin, KecMixin, EipMixin, KceMixin, KsyunCore):
    """``KsyunClient(access_key_id=None, secret_access_key=None, region=None, endpoint=None, scheme=None,
    timeout=None, method=None, proxy=None, retry=None, call_log=None, env=None)``; unset values come from KSYUN_*."""
