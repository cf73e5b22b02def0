"""The docs' console blocks run as written, in a user's shell on the sandbox (user_shell.py: only
``eval "$(make -s sandbox-env)"`` done, a folder of its own, decoy credentials that must not be used): each command must
succeed and print, in shape (tests/docs_console.py shape), the lines the page shows. What a page sets up in prose or in a YAML
block before the console block (its "scene") is done first, with the page's own YAML where it has some, and undone
after, with a check that nothing stays behind. Blocks that cannot run here are named, with why, in
docs_console.NOT_RUN (tests/docs_console.py); tests/unit/test_docs_console.py checks each block is run here or named
there, and a run of either prints that list."""

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from user_shell import run_commands, user_shell

from docs_console import all_blocks, missing_lines
from sandbox.argocd import run as argocd_run
from sandbox.paths import REPO_ROOT

pytestmark = pytest.mark.controlplane

BLOCKS = {block.name: block for block in all_blocks()}
PRODUCT_PAGE = REPO_ROOT / "tests" / "sandbox" / "product_page_statefulset.yaml"


def check(block, ran):
    """Every command exits 0 and prints what the page shows, in shape."""
    for step in ran:
        assert step.rc == 0, f"{block.name}: `{step.command}` exited {step.rc}:\n{step.output[-3000:]}"
    for command, step in zip(block.commands, ran):
        absent = missing_lines(command.shown, step.output)
        assert absent is None, (
            f"{block.name} (line {block.line}): `{command.text.splitlines()[0]}` did not print a line of the shape\n"
            f"  {absent}\nit printed:\n{step.output[-3000:]}"
        )


def page_yaml(page, first_line):
    """The ```yaml block of a page whose first line is first_line (the page's own tasks), parsed."""
    text = (REPO_ROOT / page).read_text()
    match = re.search(r"```yaml\n(%s\n.*?)```" % re.escape(first_line), text, re.S)
    assert match, f"{page} has no yaml block starting with {first_line!r}"
    return yaml.safe_load(match.group(1))


def play(tasks):
    return yaml.safe_dump(
        [{"name": "docs", "hosts": "localhost", "connection": "local", "gather_facts": False, "tasks": tasks}],
        sort_keys=False,
    )


def shell_ok(sandbox_state, cwd, script):
    out = user_shell(sandbox_state, cwd, script)
    assert out.returncode == 0, f"{script}\nexited {out.returncode}:\n{out.stdout[-3000:]}{out.stderr[-2000:]}"
    return out.stdout


def test_sandbox_1(sandbox_state):
    """`make sandbox-up` on a running sandbox says how to use it; `kubectl get nodes` lists the nodes Ready."""
    block = BLOCKS["docs/sandbox.md#1"]
    check(block, run_commands(sandbox_state, REPO_ROOT, [c.text for c in block.commands]))


def test_sandbox_2(sandbox_state, tmp_path, wait_for, cluster):
    """Without the NetworkAttachmentDefinition a pod stays ContainerCreating with the node's event; with it back, it
    runs. The sandbox's own NetworkAttachmentDefinition is put back after."""
    block = BLOCKS["docs/sandbox.md#2"]
    saved = shell_ok(sandbox_state, tmp_path, "kubectl get net-attach-def -n kube-system vpc-cni -o json")
    original = json.loads(saved)
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        original["metadata"].pop(key, None)
    (tmp_path / "nad.json").write_text(json.dumps(original))
    try:
        texts = [c.text for c in block.commands]
        # A user reads the first output before the next command; here: the node's status and its event are written.
        waiting = (
            "kubectl wait po/db-0 --timeout=60s --for=jsonpath='{.status.containerStatuses[0].state.waiting.reason}'"
        )
        event = (
            "for i in $(seq 120); do kubectl get events --field-selector involvedObject.name=db-0,"
            "reason=FailedCreatePodSandBox -o name | grep -q . && break; sleep 0.5; done"
        )
        pauses = {
            texts.index("kubectl get po db-0 -owide"): waiting + "=ContainerCreating",
            texts.index("kubectl describe po db-0"): event,
        }
        check(block, run_commands(sandbox_state, tmp_path, texts, before=pauses))
    finally:
        shell_ok(
            sandbox_state,
            tmp_path,
            "kubectl delete po db-0 --ignore-not-found --wait\n"
            "kubectl replace -f nad.json || kubectl create -f nad.json",
        )
    wait_for("db-0's VpcIP record gone", lambda: not cluster.records("default"), timeout=60)


def test_sandbox_3(sandbox_state, tmp_path):
    """A real Argo CD beside the sandbox syncs an Application from a local Git repository. Argo CD is stopped first so
    the block starts it, as on a fresh sandbox, and stopped again after unless it ran before; /tmp/site, the Application
    and the ConfigMap are removed."""
    block = BLOCKS["docs/sandbox.md#3"]
    site = Path("/tmp/site")
    was_running = argocd_run.running(sandbox_state)
    argocd_run.stop(sandbox_state, Path(sandbox_state["root"]))
    shutil.rmtree(site, ignore_errors=True)
    try:
        check(block, run_commands(sandbox_state, tmp_path, [c.text for c in block.commands]))
    finally:
        shell_ok(
            sandbox_state,
            tmp_path,
            "kubectl -n argocd delete application site --ignore-not-found --wait\n"
            "kubectl delete cm demo --ignore-not-found --wait",
        )
        shutil.rmtree(site, ignore_errors=True)
        if not was_running:
            argocd_run.stop(sandbox_state, Path(sandbox_state["root"]))


def test_fixed_ip_1(sandbox_state, tmp_path, cluster, wait_for):
    """Pre-provisioning: the page's task reserves 10.0.0.236 for sts-0, the product page's StatefulSet (as sts.yaml,
    pinned to the zone) starts with it. After: the StatefulSet deleted, the IP freed with reclaim_manual."""
    block = BLOCKS["docs/fixed-ip.md#1"]
    (tmp_path / "reserve.yml").write_text(
        play(page_yaml("docs/fixed-ip.md", "- name: Reserve 10.0.0.236 for sts-0 before the StatefulSet exists"))
    )
    sts = yaml.safe_load(PRODUCT_PAGE.read_text())
    sts["metadata"] = {"name": "sts", "namespace": "default", "labels": {"ksyun-app": "sts"}}
    sts["spec"]["selector"]["matchLabels"] = sts["spec"]["template"]["metadata"]["labels"] = {"ksyun-app": "sts"}
    sts["spec"]["template"]["spec"]["nodeSelector"] = {"topology.kubernetes.io/zone": "cn-beijing-6a"}
    (tmp_path / "sts.yaml").write_text(yaml.safe_dump(sts, sort_keys=False))
    shell_ok(sandbox_state, tmp_path, "ansible-playbook reserve.yml")
    try:
        check(block, run_commands(sandbox_state, tmp_path, [c.text for c in block.commands]))
    finally:
        shell_ok(sandbox_state, tmp_path, "kubectl delete sts sts --ignore-not-found --wait\n")
        wait_for("sts-0 gone", lambda: not cluster.core.list_namespaced_pod("default").items, timeout=120)
        freed = shell_ok(sandbox_state, tmp_path, "ansible-playbook ksyun.kce.reclaim_manual -e reclaim_ip=10.0.0.236")
        assert "freed 10.0.0.236" in freed, freed[-2000:]
    assert not cluster.records("default"), cluster.records("default")


def test_fixed_ip_2(sandbox_state, tmp_path):
    """Another API group: the page's tasks install the CRDs in fixed-ip.example.com and write a record there; kubectl
    lists both groups. After: the record and that group's CRDs deleted."""
    block = BLOCKS["docs/fixed-ip.md#2"]
    tasks = page_yaml("docs/fixed-ip.md", "- name: The records' CRDs in a group of their own")
    (tmp_path / "group.yml").write_text(play(tasks))
    undo = [
        dict(tasks[1], **{"ksyun.kce.pod_eni_ip": dict(tasks[1]["ksyun.kce.pod_eni_ip"], state="absent")}),
        dict(tasks[0], **{"ksyun.kce.fixed_ip_crds": dict(tasks[0]["ksyun.kce.fixed_ip_crds"], state="absent")}),
    ]
    (tmp_path / "undo.yml").write_text(play(undo))
    shell_ok(sandbox_state, tmp_path, "ansible-playbook group.yml")
    try:
        check(block, run_commands(sandbox_state, tmp_path, [c.text for c in block.commands]))
    finally:
        shell_ok(sandbox_state, tmp_path, "ansible-playbook undo.yml")
    left = shell_ok(sandbox_state, tmp_path, "kubectl api-resources --api-group=fixed-ip.example.com -o name")
    assert not left.strip(), left
