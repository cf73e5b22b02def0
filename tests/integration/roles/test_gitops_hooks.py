"""The Argo CD hooks' playbooks, each run with only its own ServiceAccount's token and the RBAC of argocd/app/rbac.yaml
(applied with the real kubectl, its namespace replaced as a user who copies it does), against the sandbox:

PreSync   deploy.yml -e deploy_output=reserve   reserves the pinned IPs and writes nothing else; a rerun writes nothing
Sync      the rendered StatefulSet, applied server-side as Argo CD does (with the admin credentials, not a hook's)
PostSync  deploy.yml -e deploy_output=check     waits for the rollout, checks every pod's IP; writes nothing
PostDelete reclaim.yml (reclaim_statefulset_deleted) after the StatefulSet is deleted, then audit.yml

The tokens come from TokenRequest (kubectl create token) and reach ansible-playbook as K8S_AUTH_HOST/API_KEY/SSL_CA_CERT,
no kubeconfig; the same tokens are refused by the real apiserver for what lies outside their role.
"""

import json
from pathlib import Path

import pytest
import yaml
from fixed_ip_sandbox import ACCESS_KEY_ID, SUBNET_6A

from sandbox import kubectl

REPO = Path(__file__).resolve().parents[3]
DEPLOY = REPO / "playbooks" / "deploy.yml"
RECLAIM = REPO / "playbooks" / "reclaim.yml"
AUDIT = REPO / "playbooks" / "audit.yml"
RBAC = REPO / "argocd" / "app" / "rbac.yaml"
EXAMPLE_NAMESPACE = "fixed-ip-apps"
HOOKS = ("fixed-ip-reserve", "fixed-ip-check", "fixed-ip-reclaim")
ZONE = "cn-beijing-6a"
PINNED = ["10.0.0.236", "10.0.0.239"]

pytestmark = pytest.mark.controlplane


def _kubectl(state, *args):
    out = kubectl.run(state, *args)
    assert out.returncode == 0, "kubectl %s: %s" % (" ".join(args), out.stderr)
    return out.stdout


@pytest.fixture
def hooks(sandbox_state, namespace, tmp_path):
    """The example's RBAC applied for `namespace`; {ServiceAccount: (ansible env, kubeconfig path)} of its hooks."""
    rbac = tmp_path / "rbac.yaml"
    rbac.write_text(RBAC.read_text(encoding="utf-8").replace(EXAMPLE_NAMESPACE, namespace), encoding="utf-8")
    _kubectl(sandbox_state, "apply", "-f", str(rbac))
    ca = str(Path(sandbox_state["root"]) / "pki" / "ca.crt")
    found = {}
    for account in HOOKS:
        token = _kubectl(sandbox_state, "create", "token", account, "-n", namespace, "--duration=1h").strip()
        config = tmp_path / ("%s.kubeconfig" % account)
        config.write_text(
            yaml.safe_dump(
                {
                    "apiVersion": "v1",
                    "kind": "Config",
                    "clusters": [{"name": "s", "cluster": {"server": sandbox_state["server"], "certificate-authority": ca}}],
                    "users": [{"name": account, "user": {"token": token}}],
                    "contexts": [{"name": "c", "context": {"cluster": "s", "user": account}}],
                    "current-context": "c",
                }
            ),
            encoding="utf-8",
        )
        env = {
            "K8S_AUTH_KUBECONFIG": None,
            "K8S_AUTH_HOST": sandbox_state["server"],
            "K8S_AUTH_API_KEY": token,
            "K8S_AUTH_SSL_CA_CERT": ca,
        }
        found[account] = (env, str(config))
    yield found
    kubectl.run(sandbox_state, "delete", "-f", str(rbac), "--ignore-not-found", "--wait=false")


def _records(dyn, namespace):
    items = dyn.resources.get(api_version="k8s.ksyun.com/v1", kind="PodEniIP").get(namespace=namespace).to_dict()
    return {i["spec"].get("podName"): (i["spec"].get("ip"), i["metadata"]["resourceVersion"]) for i in items["items"]}


def _writes(emulator):
    """The cloud writes of the playbooks (signed with their access key), not the node agent's."""
    return emulator.counters(caller=ACCESS_KEY_ID)["writes"]


def _reserved(emulator, ips):
    attributes = emulator.state()["ip_attributes"].get(SUBNET_6A) or {}
    return {ip for ip in ips if (attributes.get(ip) or {}).get("allocate_status") == "specific"}


def _statefulsets(namespace, pinned=True):
    entry = {"name": "web", "namespace": namespace, "image": "nginx:1.25", "replicas": 2, "mode": "shared", "zone": ZONE}
    if pinned:
        entry["ips"] = PINNED
    return {"fixed_ip_statefulsets": [entry]}


def _render(ansible, namespace, folder):
    """The StatefulSet as the Git path holds it (role render mode; pins are not rendered)."""
    entry = _statefulsets(namespace, pinned=False)["fixed_ip_statefulsets"][0]
    play = {
        "name": "render",
        "hosts": "localhost",
        "connection": "local",
        "gather_facts": False,
        "tasks": [
            {
                "name": "render the StatefulSet",
                "ansible.builtin.include_role": {"name": "ksyun.kce.fixed_ip_statefulset"},
                "vars": {
                    **{"fixed_ip_statefulset_" + k: v for k, v in entry.items()},
                    "fixed_ip_statefulset_output": "render",
                    "fixed_ip_statefulset_render_dir": str(folder),
                },
            }
        ],
    }
    run = ansible([play])
    assert run.rc == 0, run
    files = sorted(folder.glob("*.yaml"))
    assert len(files) == 1, files
    return files[0]


def test_each_hook_works_with_its_own_token_alone_and_is_refused_outside_its_role(
    ansible, hooks, namespace, dyn, emulator, sandbox_state, tmp_path, wait_for
):
    # PreSync: the pinned IPs reserved with the reserve hook's token.
    reserve_env, reserve_config = hooks["fixed-ip-reserve"]
    extra = json.dumps(_statefulsets(namespace))
    emulator.reset_counters()
    run = ansible(DEPLOY, args=("-e", "deploy_output=reserve", "-e", extra), env=reserve_env)
    assert run.rc == 0, run.msg
    records = _records(dyn, namespace)
    assert {name: ip for name, (ip, _version) in records.items()} == {"web-0": PINNED[0], "web-1": PINNED[1]}
    assert _reserved(emulator, PINNED) == set(PINNED)
    assert _writes(emulator), "the reserve hook wrote nothing to the cloud"

    # A second PreSync (every sync runs it): succeeds, changes nothing, zero writes.
    emulator.reset_counters()
    again = ansible(DEPLOY, args=("-e", "deploy_output=reserve", "-e", extra), env=reserve_env)
    assert again.rc == 0, again.msg
    assert again.task("Reserve the pinned IPs")["changed"] is False
    assert not _writes(emulator), _writes(emulator)
    assert _records(dyn, namespace) == records

    # Sync: Argo CD applies the rendered StatefulSet.
    rendered = _render(ansible, namespace, tmp_path / "git")
    _kubectl(sandbox_state, "apply", "--server-side", "--field-manager=argocd-controller", "-f", str(rendered))

    # PostSync: the check hook's token waits for the rollout and checks every pod; it writes nothing.
    check_env, check_config = hooks["fixed-ip-check"]
    emulator.reset_counters()
    checked = ansible(DEPLOY, args=("-e", "deploy_output=check", "-e", extra), env=check_env)
    assert checked.rc == 0, checked.msg
    pods = checked.task("Check every pod runs with the IP its reservation keeps, and return ordinal -> IP")
    result = pods["ansible_facts"]["fixed_ip_statefulset_result"]
    assert result["output"] == "check" and result["checked"] is True
    assert {p["pod"]: p["ip"] for p in result["pods"]} == {"web-0": PINNED[0], "web-1": PINNED[1]}
    assert all(p["pinned"] for p in result["pods"])
    assert not _writes(emulator), _writes(emulator)
    live = json.loads(_kubectl(sandbox_state, "get", "po", "-n", namespace, "-o", "json"))
    assert sorted(p["status"].get("podIP") for p in live["items"]) == PINNED

    # Outside their roles, the real apiserver refuses each token.
    for account, (_env, config) in hooks.items():
        secrets = kubectl.run(sandbox_state, "--kubeconfig", config, "get", "secrets", "-n", "kube-system")
        assert secrets.returncode != 0 and "forbidden" in secrets.stderr.lower(), (account, secrets.stderr)
    for config, verb in ((reserve_config, "create"), (check_config, "delete")):
        write = kubectl.run(
            sandbox_state, "--kubeconfig", config, "auth", "can-i", verb, "statefulsets.apps", "-n", namespace
        )
        assert write.stdout.strip() == "no", (config, verb, write.stdout, write.stderr)
    create = kubectl.run(
        sandbox_state, "--kubeconfig", check_config, "create", "configmap", "not-mine", "-n", namespace
    )
    assert create.returncode != 0 and "forbidden" in create.stderr.lower(), create.stderr

    # PostDelete: the StatefulSet is gone; the reclaim hook frees its IPs (reclaim_statefulset_deleted), then audits.
    _kubectl(sandbox_state, "delete", "statefulset", "web", "-n", namespace, "--wait=true")
    wait_for(
        "the pods of web gone",
        lambda: not json.loads(_kubectl(sandbox_state, "get", "po", "-n", namespace, "-o", "json"))["items"],
        timeout=120,
    )
    reclaim_env, _config = hooks["fixed-ip-reclaim"]
    reclaimed = ansible(RECLAIM, args=("-e", "reclaim_statefulset_deleted=true"), env=reclaim_env)
    assert reclaimed.rc == 0, reclaimed.msg
    assert _records(dyn, namespace) == {}
    assert _reserved(emulator, PINNED) == set()
    audited = ansible(AUDIT, args=("-e", "audit_dir=%s" % (tmp_path / "audit")), env=reclaim_env)
    assert audited.rc == 0, audited.msg
    report = json.loads((tmp_path / "audit" / "report.json").read_text(encoding="utf-8"))
    mine = [f for f in report["findings"] if namespace in f["subject"] or any(ip in f["subject"] for ip in PINNED)]
    assert not mine, mine
