# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Options every KSYUN cloud module shares (credentials, region, endpoint, retries) and their attributes."""

from __future__ import annotations


class ModuleDocFragment:

    # Connection options of every cloud module; module_defaults group/ksyun.kce.ksyun sets them once.
    DOCUMENTATION = r"""
options:
  access_key_id:
    description:
      - The KSYUN access key id (AK).
      - "The key pair comes from the first of these sources that gives the id: the options O(access_key_id) and
        O(secret_access_key), then the environment variables E(KSYUN_ACCESS_KEY_ID) and E(KSYUN_SECRET_ACCESS_KEY),
        then E(KSYUN_ACCESS_KEY) and E(KSYUN_SECRET_KEY) (the names Kingsoft's Terraform provider and SDK samples use)."
      - The id and the secret key must come from the same source. An id from one source with a secret key from
        another (for example O(access_key_id) with E(KSYUN_SECRET_ACCESS_KEY), or E(KSYUN_ACCESS_KEY_ID) with
        E(KSYUN_SECRET_KEY)) is refused with a message naming both, before any call.
    type: str
    aliases: [access_key]
  secret_access_key:
    description:
      - The KSYUN secret access key (SK). It is never logged or returned.
      - It comes from the same source as the access key id, see O(access_key_id).
    type: str
    aliases: [secret_key]
  region:
    description:
      - The region to manage, for example V(cn-beijing-6).
      - If not set, the value of the E(KSYUN_REGION) environment variable is used.
    type: str
  endpoint:
    description:
      - API endpoint as C(host[:port]), C(http://host[:port]) or C(https://host[:port]).
      - It may contain C({service}), which is replaced by V(vpc), V(kec), V(eip), V(tagv2), V(kce) or V(kce2), for
        example V({service}.cn-beijing-6.api.ksyun.com).
      - If not set, the value of the E(KSYUN_ENDPOINT) environment variable is used; if that is not set
        either, the SDK defaults C(vpc.api.ksyun.com), C(kec.api.ksyun.com), C(eip.api.ksyun.com),
        C(tagv2.api.ksyun.com), C(kce.api.ksyun.com) and C(kce2.api.ksyun.com) are used.
      - Only point it at a local emulator for tests, for example V(http://127.0.0.1:38417).
    type: str
  scheme:
    description:
      - The protocol used to reach O(endpoint).
      - If not set, the scheme of O(endpoint) is used, then the E(KSYUN_SCHEME) environment variable,
        then V(https).
    type: str
    choices: [https, http]
  timeout:
    description:
      - Seconds to wait for one HTTP answer from the API.
    type: float
    default: 30
  max_attempts:
    description:
      - How many times one API call is sent before giving up, the first attempt included.
      - Throttling, HTTP 5xx answers and connection failures are retried with jittered exponential
        backoff; other errors are reported at once.
      - A mutating call whose connection broke after it was sent is not repeated, because it may have
        been applied; the error says so, and running the task again reads the state first.
    type: int
    default: 5
  cloud_behaviour:
    description:
      - How the KSYUN API behaves where its documentation does not say. Leave it out unless you have checked
        the real behaviour of your account; each choice is made for all the collection's modules here.
      - M(ksyun.kce.fixed_ip) and M(ksyun.kce.fixed_ip_info) take these choices from the cluster configuration
        (the VPC-CNI ConfigMap) instead, so the node's VPC-CNI and the playbook agree; a different value here
        is reported as a warning.
    type: dict
    suboptions:
      reserve_assigned_ip:
        description:
          - Whether an IP can be marked reserved (C(AllocateStatus=specific)) while it is assigned. With V(true)
            an IP is reserved before it is unassigned; with V(false) it is unassigned and reserved right after,
            and put back on its ENI if the reservation fails. Default V(false).
        type: bool
      assign_specific_ip:
        description:
          - Whether an IP that is reserved can be assigned by naming it. With V(true) it is assigned first and
            unreserved after; with V(false) it is unreserved and assigned right after, and reserved again if the
            assignment fails. Default V(true).
        type: bool
      available_excludes_reserved:
        description:
          - Whether C(DescribeSubnetAvailableAddresses) leaves reserved IPs out, so the reserved free IPs of a
            subnet can be derived. With V(false) reservations cannot be listed and are known only from the
            records that made them. Default V(true).
        type: bool
      eni_quota_counts_primary:
        description:
          - Whether the instance type's C(NetworkInterfaceCount) counts the primary ENI. Default V(true).
        type: bool
      ip_quota_counts_primary:
        description:
          - Whether the instance type's C(PrivateIpCount) counts each ENI's primary IP. Default V(true).
        type: bool
      ip_quota_per_instance:
        description:
          - Whether C(PrivateIpCount) limits all ENIs of an instance together (V(true)) or each ENI
            (V(false)). Default V(false).
        type: bool
notes:
  - "Every task sends its API calls from the controller (or the execution environment), never from a
    managed host, so run it in a play on C(localhost) or with C(delegate_to: localhost)."
  - Set the connection options once for all modules of the collection with
    C(module_defaults) and the action group C(group/ksyun.kce.ksyun).
  - Errors name the API call that failed and carry the KSYUN error C(code), C(request_id) and HTTP
    C(status) in the task result.
requirements:
  - kingsoftcloud-sdk-python
attributes:
  platform:
    support: full
    platforms: posix
    details:
      - The module talks to the KSYUN API over HTTPS from the host it runs on.
  action_group:
    description: Use C(group/ksyun.kce.ksyun) in C(module_defaults) to set the connection options of all modules
      at once.
    support: full
    membership:
      - ksyun.kce.ksyun
"""

    # Options of the modules that read an instance to check zone and quotas before they change anything.
    # The *_info modules: they only read. List it before ansible.builtin.action_common_attributes (first listed wins).
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    details:
      - This module only reads.
  diff_mode:
    support: N/A
    details:
      - This module only reads.
"""

    INSTANCE_CHECKS = r"""
options:
  project_ids:
    description:
      - The KSYUN projects to look for instances in.
      - The API searches only the default project V(0) unless projects are given, so an instance of another
        project is reported as not found until its project is listed here.
    type: list
    elements: int
  check_quotas:
    description:
      - Refuse up front, before any change, when attaching an ENI would exceed the ENI quota of the
        instance type, or when an attached ENI would hold more private IPs than the instance type allows.
      - How C(NetworkInterfaceQuota.NetworkInterfaceCount) and C(PrivateIpQuota.PrivateIpCount) are counted is
        set by O(cloud_behaviour); by default the primary ENI and each primary IP count, and the IP quota is
        per ENI.
      - Set V(false) to leave the limit to the cloud, which then refuses the call itself.
    type: bool
    default: true
"""
