"""The docs' console blocks run as written, in a user's shell on the sandbox (user_shell.py: only
``eval "$(make -s sandbox-env)"`` done, a folder of its own, decoy credentials that must not be used): each command must
succeed and print, in shape (tests/docs_console.py shape), the lines the page shows. What a page sets up in prose or in a YAML
block before the console block (its "scene") is done first, with the page's own YAML where it has some, and undone
after, with a check that nothing stays behind. Blocks that cannot run here are named, with why, in
docs_console.NOT_RUN (tests/docs_console.py); tests/unit/test_docs_console.py checks each block is run here or named
there, and a run of either prints that list."""

import json
import re
import shlex
import shutil
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from kubernetes import config
from user_shell import run_commands, user_shell

from docs_console import all_blocks, missing_lines
from sandbox.argocd import run as argocd_run
from sandbox.controlplane import cluster as sandbox_cluster
from sandbox.controlplane import processes
from sandbox.paths import REPO_ROOT, collections_root, state_dir

# One worker runs them all, on a sandbox of their own (docs_sandbox), started once.
pytestmark = [pytest.mark.controlplane, pytest.mark.xdist_group("docs")]

BLOCKS = {block.name: block for block in all_blocks()}
RECLAIM_PAGE = [BLOCKS["docs/reclaim.md#%d" % n] for n in range(1, 8)]
PRODUCT_PAGE = REPO_ROOT / "tests" / "sandbox" / "product_page_statefulset.yaml"


@pytest.fixture(scope="module")
def docs_sandbox():
    """A sandbox as a user's: the session's sandbox also serves PodEniIP/PodEni in other tests' API groups, and kubectl
    reads the group that sorts first for `kubectl get podeniip` (fixed-ip.md#another-api-group), so the pages' commands
    run on a sandbox of their own, with the add-ons and nothing else; stopped (Argo CD too) after the module."""
    root = Path("%s-docs" % state_dir())
    state = sandbox_cluster.up(root=root)
    yield state
    sandbox_cluster.down(root=root)


@pytest.fixture(scope="module")
def docs_cluster(docs_sandbox, cluster, wait_for):
    """The tests' view of the docs sandbox (pods, records, the emulated cloud): the session's Cluster helper, pointed
    at it."""
    return type(cluster)(config.new_client_from_config(config_file=docs_sandbox["kubeconfig"]), docs_sandbox, wait_for)


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


class User:
    """The pages' reader: a shell on the docs sandbox (user_shell.py) with the collection installed read-only, working
    in a folder of its own."""

    def __init__(self, sandbox, collections, cwd):
        self.sandbox, self.collections, self.cwd = sandbox, collections, cwd

    def ok(self, script):
        """Run script (a scene, a clean-up); it must succeed. Returns what it printed."""
        out = user_shell(self.sandbox, self.cwd, script, collections=self.collections)
        assert out.returncode == 0, f"{script}\nexited {out.returncode}:\n{out.stdout[-3000:]}{out.stderr[-2000:]}"
        return out.stdout

    def run(self, texts, before=None, cwd=None):
        """The commands in one shell, as run_commands; one Ran each."""
        return run_commands(self.sandbox, cwd or self.cwd, texts, collections=self.collections, before=before)

    def reads(self, block, before=None, cwd=None):
        """Run a block's commands as written and check them against the page."""
        check(block, self.run([c.text for c in block.commands], before=before, cwd=cwd))


@pytest.fixture()
def user(docs_sandbox, readonly_collection, tmp_path):
    return User(docs_sandbox, readonly_collection, tmp_path)


def test_sandbox_1(user):
    """`make sandbox-up` on a running sandbox says how to use it; `kubectl get nodes` lists the nodes Ready."""
    block = BLOCKS["docs/sandbox.md#1"]
    user.reads(block, cwd=REPO_ROOT)


def test_sandbox_2(user, tmp_path, wait_for, docs_cluster):
    """Without the NetworkAttachmentDefinition a pod stays ContainerCreating with the node's event; with it back, it
    runs. The sandbox's own NetworkAttachmentDefinition is put back after."""
    block = BLOCKS["docs/sandbox.md#2"]
    saved = user.ok(
        "kubectl get net-attach-def -n kube-system vpc-cni -o json",
    )
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
        check(block, user.run(texts, before=pauses))
    finally:
        user.ok(
            "kubectl delete po db-0 --ignore-not-found --wait\n"
            "kubectl replace -f nad.json || kubectl create -f nad.json",
        )
    wait_for("db-0's VpcIP record gone", lambda: not docs_cluster.records("default"), timeout=60)


def test_sandbox_3(user, docs_sandbox):
    """A real Argo CD beside the sandbox syncs an Application from a local Git repository. Argo CD is stopped first so
    the block starts it, as on a fresh sandbox, and stopped again after unless it ran before; /tmp/site, the Application
    and the ConfigMap are removed."""
    block = BLOCKS["docs/sandbox.md#3"]
    site, root = Path("/tmp/site"), Path(docs_sandbox["root"])
    # The state file, never the session's dict: `make sandbox-up-argocd` writes Argo CD's pids there, and stop() writes
    # back the state it is given (a stale one would forget the pids, and the processes would outlive the sandbox).
    was_running = argocd_run.running(sandbox_cluster.read_state(root))
    argocd_run.stop(sandbox_cluster.read_state(root), root)
    shutil.rmtree(site, ignore_errors=True)
    try:
        user.reads(block)
    finally:
        user.ok(
            "kubectl -n argocd delete application site --ignore-not-found --wait\n"
            "kubectl delete cm demo --ignore-not-found --wait",
        )
        shutil.rmtree(site, ignore_errors=True)
        state = sandbox_cluster.read_state(root)
        pids = [state.get("pids", {}).get(name) for name in argocd_run.COMPONENTS]
        if not was_running:
            argocd_run.stop(state, root)
            assert not any(pid and processes.alive(pid) for pid in pids), f"Argo CD's processes outlived stop: {pids}"


def test_fixed_ip_1(user, tmp_path, docs_cluster, wait_for):
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
    user.ok("ansible-playbook reserve.yml")
    try:
        user.reads(block)
    finally:
        user.ok(
            "kubectl delete sts sts --ignore-not-found --wait\n",
        )
        wait_for("sts-0 gone", lambda: not docs_cluster.core.list_namespaced_pod("default").items, timeout=120)
        freed = user.ok(
            "ansible-playbook ksyun.kce.reclaim_manual -e reclaim_ip=10.0.0.236",
        )
        assert "freed 10.0.0.236" in freed, freed[-2000:]
    assert not docs_cluster.records("default"), docs_cluster.records("default")


def test_fixed_ip_2(user, tmp_path):
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
    user.ok("ansible-playbook group.yml")
    try:
        user.reads(block)
    finally:
        user.ok("ansible-playbook undo.yml")
    left = user.ok(
        "kubectl api-resources --api-group=fixed-ip.example.com -o name",
    )
    assert not left.strip(), left


def shop(docs_cluster):
    """The reservations of the page's scene. The page's IPs (10.0.0.4, .117, .6) may be taken on this sandbox: free
    ones are chosen, in the same order (kubectl lists records by name, so db-0's IP sorts before cache-0's)."""
    free = [
        ip
        for ip in ("10.0.0.%d" % n for n in range(200, 250))
        if docs_cluster.holder(ip) is None and docs_cluster.allocate_status(ip) != "specific"
    ]
    assert len(free) >= 3, f"the sandbox's subnet 10.0.0.0/24 has no three free IPs in .200-.249: {free}"
    return [
        {"namespace": "shop", "pod_name": "db-0", "zone": "cn-beijing-6a", "ip": free[0], "retention": "7d"},
        {"namespace": "shop", "pod_name": "db-1", "zone": "cn-beijing-6a", "ip": free[2], "retention": "7d"}
        | {"mode": "exclusive"},
        {"namespace": "shop", "pod_name": "cache-0", "zone": "cn-beijing-6a", "ip": free[1]},
    ]


DRIFT = """import os
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
cloud = KsyunClient(access_key_id=os.environ["KSYUN_ACCESS_KEY"], secret_access_key=os.environ["KSYUN_SECRET_KEY"],
                    region=os.environ["KSYUN_REGION"], endpoint=os.environ["KSYUN_ENDPOINT"])
subnet = "5f2c7a10-0002-4a6e-9c1b-000000000001"
cloud.create_network_interface(subnet, ["5f2c7a10-0003-4a6e-9c1b-000000000001"], name="kcefip_sandbox_ex_shop_old-0")
cloud.reserve_private_ip(subnet, "10.0.0.251")
"""


def _ago(days):
    return (datetime.now(timezone.utc) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_reclaim_1_to_7(user, tmp_path, docs_cluster):
    """The whole reclaim page, one block after another as a user reads it. Its scene: namespace shop with cache-0
    running and db-0 (shared, released 8 days ago) and db-1 (exclusive, released 2 days ago), both kept 7 days (their
    IPs reserved with ksyun.kce.fixed_ip as fixed-ip.md shows, the pods run and are deleted, then the release times
    moved back); before the audit, an ENI named for this cluster and a reserved IP that no record keeps (what the
    page's audit finds). After: shop, its pods and records gone, every IP and ENI freed, checked."""
    audit_dir = Path("/tmp/fixed-ip-audit")
    shutil.rmtree(audit_dir, ignore_errors=True)
    reservations = shop(docs_cluster)
    db0, cache0 = reservations[0]["ip"], reservations[2]["ip"]
    (tmp_path / "scene.yml").write_text(
        play([{"name": "reserve", "ksyun.kce.fixed_ip": {"reservations": reservations}}])
    )
    pods = [
        docs_cluster.bare_pod(item["pod_name"], item.get("mode", "shared"), node="10.0.0.47" if n != 1 else "10.0.0.48")
        for n, item in enumerate(reservations)
    ]
    (tmp_path / "pods.yaml").write_text(yaml.safe_dump_all(pods, sort_keys=False))
    done = False
    try:
        user.ok(
            "kubectl create namespace shop\nansible-playbook scene.yml\nkubectl apply -n shop -f pods.yaml\n"
            "kubectl wait -n shop --for=condition=Ready po --all --timeout=120s\n"
            "kubectl delete -n shop po db-0 db-1 --wait\n"
            f"kubectl wait -n shop --for=jsonpath='{{.status.phase}}'=Reserved podeniip/{db0} podeni/db-1 --timeout=60s\n"
            f"kubectl patch -n shop podeniip {db0} --subresource=status --type=merge"
            f' -p \'{{"status": {{"releasedAt": "{_ago(8)}", "reclaimAt": "{_ago(1)}"}}}}\'\n'
            f"kubectl patch -n shop podeni db-1 --subresource=status --type=merge"
            f' -p \'{{"status": {{"releasedAt": "{_ago(2)}", "reclaimAt": "{_ago(-5)}"}}}}\'',
        )
        # One shell for the whole page, as a user reads it ($cols of the first block is used later). Before the
        # audit's block: the drift it finds, made a moment before (the page says so), with the shell's own KSYUN_*.
        blocks = RECLAIM_PAGE
        commands = [(block, command) for block in blocks for command in block.commands]
        (tmp_path / "drift.py").write_text(DRIFT)
        audit = next(i for i, (block, _command) in enumerate(commands) if block.number == 6)
        drift = f"PYTHONPATH={shlex.quote(str(collections_root()))} {shlex.quote(sys.executable)} drift.py"
        # The page's IPs in its commands (reclaim_ip=10.0.0.6) become the scene's, as a user types their own.
        ips = {"10.0.0.4": db0, "10.0.0.6": cache0, "10.0.0.117": reservations[1]["ip"]}
        texts = [
            re.sub(r"(?<![\d.])10\.0\.0\.(4|6|117)(?![\d.])", lambda m: ips[m.group(0)], c.text)
            for _block, c in commands
        ]
        steps = user.run(texts, before={audit: drift})
        for i, (block, command) in enumerate(commands):
            if any("FAILED!" in line for line in command.shown):
                assert (
                    steps[i].rc != 0
                ), f"{block.name}: `{command.text}` should fail as the page shows:\n{steps[i].output}"
                steps[i].rc = 0
        for block in blocks:
            check(block, [step for (owner, _command), step in zip(commands, steps) if owner is block])
        done = True
        assert (audit_dir / "report.html").is_file()
    finally:
        if not done:  # the test failed, maybe before the page's repair: undo the drift
            user.ok(
                "ansible-playbook ksyun.kce.audit -e audit_repair=true -e audit_min_age=1s",
            )
        user.ok(
            "kubectl delete -n shop po --all --wait\n"
            f"for ip in {db0} {cache0}; do kubectl get -n shop podeniip $ip -o name >/dev/null 2>&1 &&"
            " ansible-playbook ksyun.kce.reclaim_manual -e reclaim_ip=$ip; done\n"
            "kubectl get -n shop podeni db-1 -o name >/dev/null 2>&1 &&"
            " ansible-playbook ksyun.kce.reclaim_manual -e reclaim_namespace=shop -e reclaim_pod=db-1 || true\n"
            "kubectl delete namespace shop --ignore-not-found --wait --timeout=120s",
        )
        shutil.rmtree(audit_dir, ignore_errors=True)
    assert not docs_cluster.records("shop"), docs_cluster.records("shop")
    held = {
        eni["id"]
        for eni in docs_cluster.enis().values()
        if (eni.get("name") or "").startswith("kcefip_sandbox_ex_shop")
    }
    assert not held, f"ENIs of shop left in the cloud: {held}"
