"""ksyun.kce.k8s_auth_options is a copy of kubernetes.core.k8s_auth_options: it must not drift from it.

The fixed IP modules document their cluster connection options with our own fragment (Galaxy renders
the documentation without installing kubernetes.core), but take the options from kubernetes.core's
AUTH_ARG_SPEC at run time. These tests compare our copy with the installed kubernetes.core fragment and
arg spec: option names, types, aliases, elements, defaults, suboptions and the environment variables the
descriptions name. Descriptions and version_added (kubernetes.core's versions) may differ. No server.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.kubernetes.core.plugins.doc_fragments import k8s_auth_options as upstream_fragment
from ansible_collections.kubernetes.core.plugins.module_utils.args_common import AUTH_ARG_SPEC

from ansible_collections.ksyun.kce.plugins.doc_fragments import k8s_auth_options as ours_fragment

REPO = Path(__file__).resolve().parents[2]
CLUSTER_MODULES = (
    "fixed_ip_crds",
    "pod_eni",
    "pod_eni_ip",
    "fixed_ip",
    "fixed_ip_info",
    "fixed_ip_reclaim",
    "fixed_ip_audit",
)
FREE_TEXT = {"description", "version_added"}
ENV_VAR = re.compile(r"\bK8S_AUTH_[A-Z0-9_]+\b")


def options(fragment) -> dict:
    return yaml.safe_load(fragment.ModuleDocFragment.DOCUMENTATION)["options"]


def env_vars(option: dict) -> set[str]:
    description = option.get("description", [])
    if isinstance(description, str):
        description = [description]
    return set(ENV_VAR.findall(" ".join(description)))


def drift(ours: dict, upstream: dict, path: str = "") -> list[str]:
    """Every difference that matters between two option dicts (empty when the copy is faithful)."""
    problems = []
    for name in sorted(set(ours) | set(upstream)):
        where = f"{path}{name}"
        if name not in ours:
            problems.append(f"{where}: missing from ksyun.kce.k8s_auth_options")
            continue
        if name not in upstream:
            problems.append(f"{where}: not an option of kubernetes.core.k8s_auth_options")
            continue
        a, b = ours[name], upstream[name]
        for key in sorted((set(a) | set(b)) - FREE_TEXT - {"suboptions"}):
            if a.get(key) != b.get(key):
                problems.append(f"{where}: {key} is {a.get(key)!r}, kubernetes.core says {b.get(key)!r}")
        if env_vars(a) != env_vars(b):
            problems.append(
                f"{where}: environment variables {sorted(env_vars(a))}, " f"kubernetes.core says {sorted(env_vars(b))}"
            )
        problems += drift(a.get("suboptions") or {}, b.get("suboptions") or {}, f"{where}.")
    return problems


def spec_drift(documented: dict, spec: dict, path: str = "") -> list[str]:
    """Differences between documented options and an argument spec (type defaults to str)."""
    problems = []
    for name in sorted(set(documented) | set(spec)):
        where = f"{path}{name}"
        if name not in documented or name not in spec:
            problems.append(f"{where}: {'documented' if name in documented else 'accepted'} only")
            continue
        doc, arg = documented[name], spec[name]
        for key, default in (
            ("type", "str"),
            ("elements", None),
            ("default", None),
            ("choices", None),
            ("required", False),
        ):
            if doc.get(key, default) != arg.get(key, default):
                problems.append(
                    f"{where}: {key} documented {doc.get(key, default)!r}, " f"accepted {arg.get(key, default)!r}"
                )
        if sorted(doc.get("aliases", [])) != sorted(arg.get("aliases", [])):
            problems.append(f"{where}: aliases documented {doc.get('aliases', [])}, accepted {arg.get('aliases', [])}")
        problems += spec_drift(doc.get("suboptions") or {}, arg.get("options") or {}, f"{where}.")
    return problems


def test_same_options_as_kubernetes_core_fragment():
    assert drift(options(ours_fragment), options(upstream_fragment)) == []


def test_same_options_as_kubernetes_core_auth_arg_spec():
    assert spec_drift(options(ours_fragment), AUTH_ARG_SPEC) == []


def test_every_option_names_its_environment_variable():
    # kubernetes.core names one for each option but proxy_headers (its suboptions name theirs).
    ours = options(ours_fragment)
    missing = [name for name, option in ours.items() if name != "proxy_headers" and not env_vars(option)]
    missing += [
        f"proxy_headers.{name}" for name, option in ours["proxy_headers"]["suboptions"].items() if not env_vars(option)
    ]
    assert missing == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda o: o.pop("proxy"), "proxy: missing"),
        (lambda o: o.update(extra={"type": "str", "description": ["x"]}), "extra: not an option"),
        (lambda o: o["validate_certs"].update(type="str"), "validate_certs: type"),
        (lambda o: o["client_cert"].update(aliases=["cert"]), "client_cert: aliases"),
        (lambda o: o["persist_config"].update(default=False), "persist_config: default"),
        (lambda o: o["impersonate_groups"].pop("elements"), "impersonate_groups: elements"),
        (lambda o: o["host"].update(description=["Set K8S_AUTH_SERVER."]), "host: environment variables"),
        (lambda o: o["proxy_headers"]["suboptions"].pop("user_agent"), "proxy_headers.user_agent: missing"),
    ],
)
def test_drift_is_detected(mutate, expected):
    """The comparison fails on each kind of drift it is meant to catch (and passes on descriptions)."""
    upstream = options(upstream_fragment)
    changed = copy.deepcopy(upstream)
    mutate(changed)
    assert any(problem.startswith(expected) for problem in drift(changed, upstream)), drift(changed, upstream)
    reworded = copy.deepcopy(upstream)
    reworded["host"]["description"] = ["Reworded; still K8S_AUTH_HOST."]
    reworded["proxy_headers"].pop("version_added")
    assert drift(reworded, upstream) == []


def test_spec_drift_is_detected():
    spec = copy.deepcopy(AUTH_ARG_SPEC)
    spec["validate_certs"]["type"] = "str"
    spec["proxy_headers"]["options"] = dict(spec["proxy_headers"]["options"], extra={})
    problems = spec_drift(options(upstream_fragment), spec)
    assert any(p.startswith("validate_certs: type") for p in problems), problems
    assert any(p.startswith("proxy_headers.extra: accepted only") for p in problems), problems


def documentation(module: Path) -> dict:
    """A module's DOCUMENTATION, read without importing the module."""
    for node in ast.parse(module.read_text()).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "DOCUMENTATION" for t in node.targets):
            return yaml.safe_load(node.value.value)
    raise AssertionError(f"{module} has no DOCUMENTATION")


@pytest.mark.parametrize("module", CLUSTER_MODULES)
def test_cluster_modules_use_our_fragment(module):
    fragments = documentation(REPO / "plugins" / "modules" / f"{module}.py")["extends_documentation_fragment"]
    assert "ksyun.kce.k8s_auth_options" in fragments


def test_no_documentation_needs_another_collection():
    """Galaxy renders documentation without dependencies: only our own and ansible.builtin fragments."""
    foreign = {}
    for module in sorted((REPO / "plugins" / "modules").glob("*.py")):
        for fragment in documentation(module).get("extends_documentation_fragment", []):
            if not fragment.startswith(("ksyun.kce.", "ansible.builtin.")):
                foreign.setdefault(module.name, []).append(fragment)
    for path in sorted((REPO / "plugins" / "doc_fragments").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and isinstance(getattr(node.value, "value", None), str):
                doc = yaml.safe_load(node.value.value)
                if isinstance(doc, dict) and "extends_documentation_fragment" in doc:
                    foreign.setdefault(path.name, []).append(f"{node.targets[0].id} extends another fragment")
    assert foreign == {}
