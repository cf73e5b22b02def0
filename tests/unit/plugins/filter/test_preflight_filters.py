"""The filters of the preflight playbook and the multus role: thin over the domain, with errors the play shows."""

import pytest

from ansible.errors import AnsibleFilterError

from ansible_collections.ksyun.kce.plugins.filter.multus_plan import multus_plan
from ansible_collections.ksyun.kce.plugins.filter.preflight_report import preflight_report

CRD = {"kind": "CustomResourceDefinition", "metadata": {"name": "network-attachment-definitions.k8s.cni.cncf.io"}}
HELM_CRD = dict(CRD, metadata=dict(CRD["metadata"], managedFields=[{"manager": "helm"}]))


def test_multus_plan_takes_k8s_info_resources_lists():
    assert multus_plan([CRD], existing=[[]])["to_apply"] == ["CustomResourceDefinition " + CRD["metadata"]["name"]]
    refused = multus_plan([CRD], existing=[[HELM_CRD]])
    assert refused["apply"] == [] and "field manager helm" in refused["message"]


def test_multus_plan_refuses_an_unknown_install_word_as_a_filter_error():
    with pytest.raises(AnsibleFilterError, match="multus_install is 'sometimes'"):
        multus_plan([CRD], existing=[None], install="sometimes")


def test_preflight_report_adds_the_cloud_checks_to_the_clusters():
    cluster = {
        "checks": [{"name": "config_map", "status": "ok", "found": "fine", "will": "", "will_not": ""}],
        "config": {
            "source": "ConfigMap kube-system/ksyun-vpc-cni",
            "found": True,
            "pod_subnets": {"cn-beijing-6a": ["subnet-a"]},
        },
        "node_names": ["10.0.0.47"],
    }
    out = preflight_report(cluster, subnets=[], audit={"in_sync": True, "records": 0})
    assert [c["name"] for c in out["checks"]] == ["config_map", "container_subnets", "records"]
    assert out["blockers"] == ["container_subnets: subnet subnet-a does not exist in the cloud"]


def test_preflight_report_refuses_what_is_not_a_preflight_info_result():
    with pytest.raises(AnsibleFilterError, match="the result of ksyun.kce.preflight_info"):
        preflight_report({"msg": "failed"})
