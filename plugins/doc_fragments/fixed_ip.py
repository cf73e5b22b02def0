# -*- coding: utf-8 -*-
# Copyright: ksyun.kce contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the fixed IP modules (the ksyun.kce.fixed_ip action group) say alike: requirements, attributes, record options.

For an attribute that two fragments define, the one listed first wins, so list these before
ansible.builtin.action_common_attributes and ksyun.kce.ksyun in extends_documentation_fragment.
"""

from __future__ import annotations


class ModuleDocFragment:

    # Every module of the fixed_ip action group; each adds CLUSTER or CLUSTER_AND_CLOUD for its action_group attribute.
    DOCUMENTATION = r"""
attributes:
  platform:
    support: full
    platforms: posix
requirements:
  - kubernetes >= 24.2.0
  - PyYAML >= 3.11
"""

    # The modules that only talk to the cluster (pod_eni, pod_eni_ip, fixed_ip_crds).
    CLUSTER = r"""
attributes:
  action_group:
    description:
      - Use C(group/ksyun.kce.fixed_ip) in C(module_defaults) to set the cluster connection options, O(group) and O(version)
        of all fixed IP modules at once.
    support: full
    membership:
      - ksyun.kce.fixed_ip
"""

    # ksyun.kce.fixed_ip and ksyun.kce.fixed_ip_info: members of both action groups, CRD group/version from the cluster configuration.
    CLUSTER_AND_CLOUD = r"""
options:
  cluster_config:
    description:
      - The ConfigMap holding the cluster's fixed IP configuration, as C(<namespace>/<name>).
      - It has the keys C(clusterName), C(securityGroupIds), C(podSubnets) (JSON, zone to subnet ids), C(ipRetention),
        optionally C(crdGroup) and C(crdVersion), and the keys that say how the KSYUN API behaves where that is unknown
        (see O(cloud_behaviour); this ConfigMap's choices are used).
    type: str
    default: kube-system/ksyun-vpc-cni
  group:
    description:
      - API group of the C(PodEni)/C(PodEniIP) CRDs. Left out, C(crdGroup) of O(cluster_config), else V(k8s.ksyun.com).
    type: str
  version:
    description:
      - API version of the CRDs. Left out, C(crdVersion) of O(cluster_config), else V(v1).
    type: str
attributes:
  action_group:
    description:
      - Use C(group/ksyun.kce.fixed_ip) in C(module_defaults) to set the cluster connection options, O(group) and O(version)
        of all fixed IP modules at once, and C(group/ksyun.kce.ksyun) to set the cloud options of all modules that call
        the KSYUN API; this module is in both groups.
    support: full
    membership:
      - ksyun.kce.fixed_ip
      - ksyun.kce.ksyun
"""

    # ksyun.kce.pod_eni and ksyun.kce.pod_eni_ip: the record options whose meaning does not depend on the kind.
    RECORDS = r"""
options:
  namespace:
    description:
      - Namespace of the record, which is the namespace of the pod.
    type: str
    required: true
  pod_uid:
    description:
      - UID of the pod that last held the IP. Empty for a reservation made before the pod exists.
    type: str
  zone:
    description:
      - Availability zone of the subnet, for example V(cn-beijing-6a).
    type: str
  mac:
    description:
      - MAC address of that ENI.
    type: str
  instance_id:
    description:
      - KEC instance of that node; stored in C(status.instanceId).
    type: str
attributes:
  check_mode:
    support: full
    details:
      - Writes are sent as server-side dry runs.
  diff_mode:
    support: full
"""
