# -*- coding: utf-8 -*-
"""The CRD manifests shipped for ``kubectl apply`` users are exactly what the modules install.

Re-render them after changing crds.py: ``python tests/unit/plugins/module_utils/k8s/test_crds.py``
(from the collection root, with the collection importable).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from ansible_collections.ksyun.kce.plugins.module_utils.k8s.crds import (
    DEFAULT_GROUP,
    DEFAULT_VERSION,
    KINDS,
    RESERVATION_KINDS,
    crd,
    crds,
)

DEPLOY = Path(__file__).resolve().parents[5] / "deploy" / "crds"
FILES = {"PodEni": "podeni.yaml", "PodEniIP": "podeniip.yaml", "VpcIP": "vpcip.yaml"}
HEADER = """# {kind} CustomResourceDefinition of ksyun.kce (group {group}, version {version}), for `kubectl apply -f`.
# Rendered from plugins/module_utils/k8s/crds.py; tests/unit/plugins/module_utils/k8s/test_crds.py fails if they drift.
# For another API group or version, use the ksyun.kce.fixed_ip_crds module with its group and version options.
---
"""


class _IndentedDumper(yaml.SafeDumper):
    """Indent block sequences under their key, as yamllint's default indentation rule wants."""

    def increase_indent(self, flow=False, indentless=False):
        return super().increase_indent(flow, False)


def render(kind: str) -> str:
    body = yaml.dump(crd(kind), Dumper=_IndentedDumper, sort_keys=False, default_flow_style=False, width=150)
    return HEADER.format(kind=kind, group=DEFAULT_GROUP, version=DEFAULT_VERSION) + body


def test_every_kind_has_a_shipped_manifest():
    assert sorted(FILES) == sorted(KINDS)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_shipped_manifest_equals_the_crd_the_modules_install(kind):
    shipped = yaml.safe_load((DEPLOY / FILES[kind]).read_text(encoding="utf-8"))
    assert shipped == crd(kind), "deploy/crds/%s drifted from crds.crd(%r); re-render it: python %s" % (
        FILES[kind],
        kind,
        Path(__file__).relative_to(DEPLOY.parents[1]),
    )


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_shipped_manifest_is_the_default_group_and_version(kind):
    shipped = yaml.safe_load((DEPLOY / FILES[kind]).read_text(encoding="utf-8"))
    assert shipped["spec"]["group"] == "k8s.ksyun.com"
    assert [v["name"] for v in shipped["spec"]["versions"]] == ["v1"]


def test_another_group_changes_only_the_group_and_the_crd_name():
    default, other = crd("PodEniIP"), crd("PodEniIP", group="kce.example.com", version="v1beta1")
    assert other["metadata"]["name"] == "podeniips.kce.example.com"
    assert other["spec"]["group"] == "kce.example.com"
    assert other["spec"]["versions"][0]["name"] == "v1beta1"
    assert other["spec"]["versions"][0]["schema"] == default["spec"]["versions"][0]["schema"]


def test_the_three_kinds_share_the_group_short_names_and_the_ksyun_category():
    built = crds("kce.example.com", "v1beta1")
    assert [c["spec"]["names"]["kind"] for c in built] == ["PodEni", "PodEniIP", "VpcIP"]
    assert all(c["spec"]["group"] == "kce.example.com" and c["spec"]["scope"] == "Namespaced" for c in built)
    assert all(c["spec"]["names"]["categories"] == ["ksyun"] for c in built), "kubectl get ksyun -A lists all three"
    shorts = [short for c in built for short in c["spec"]["names"]["shortNames"]]
    assert len(shorts) == len(set(shorts)) == 3
    assert RESERVATION_KINDS == ("PodEni", "PodEniIP"), "a VpcIP keeps no IP, so it is no reservation kind"


def test_a_vpcip_names_its_pod_and_the_ip_but_no_retention():
    version = crd("VpcIP")["spec"]["versions"][0]
    schema = version["schema"]["openAPIV3Schema"]
    spec, status = schema["properties"]["spec"], schema["properties"]["status"]
    assert crd("VpcIP")["metadata"]["name"] == "vpcips.k8s.ksyun.com"
    assert set(spec["properties"]) == {"ip", "subnetId", "zone", "eniId", "mac", "node", "instanceId", "pod"}
    assert set(spec["properties"]["pod"]["properties"]) == {"namespace", "name", "uid"}
    assert spec["required"] == ["ip", "pod"] and version["subresources"] == {"status": {}}
    assert status["properties"]["phase"]["enum"] == ["Binding", "Bound", "Reclaiming"]
    assert [c["name"] for c in version["additionalPrinterColumns"]] == ["IP", "Pod", "ENI", "Node", "Phase", "Age"]


if __name__ == "__main__":
    for each, name in FILES.items():
        (DEPLOY / name).write_text(render(each), encoding="utf-8")
        sys.stdout.write("rendered deploy/crds/%s\n" % name)
