"""The GitOps path end to end, through a real Argo CD (v3.2.11, sandbox/argocd/) and real hook Jobs: argocd/app as a
user copies it into Git (its namespace replaced, its variables set to one fixed-IP StatefulSet with pinned IPs), plus
the StatefulSet rendered by the fixed_ip_statefulset role, synced from a local Git repository.

- The first sync applies the RBAC and variables (wave -2), runs the reserve Job (a Sync hook of wave -1) in the
  execution-environment image, which the sandbox's node runs as a process with its ServiceAccount token, applies the
  StatefulSet (wave 0), whose pods get the pinned IPs, and runs the PostSync check Job; the Application ends Synced
  and Healthy.
- A second sync runs the hooks again: they succeed and the cloud sees no write from them (their access key's
  counters), the StatefulSet is unchanged.
- Deleting the Application (with Argo CD's resources finalizer) prunes the StatefulSet and runs the PostDelete reclaim
  Job, which frees both IPs (reclaim_statefulset_deleted, set in its env here).
- A sync whose reserve Job fails (a pinned IP kept for another pod) fails, and the Application's sync result shows the
  playbook's message for the hook: the Job's annotation kce.ksyun.com/failure (callback ksyun.kce.job_failure) read
  by the Job health check of argocd/argocd-cm.yaml. The Job itself: tests/integration/roles/test_gitops_hooks.py.
"""

import json
import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException
from test_argocd import GROUP, NS, SYNC_TIMEOUT, VERSION, finished, get_app, git_repo, healthy, sync_operation

from playbook_runner import ansible_playbook_json
from sandbox import kubectl
from sandbox.argocd import run as argocd_run
from sandbox.ksyun_emulator.admin_client import AdminClient
from sandbox.paths import REPO_ROOT

pytestmark = pytest.mark.controlplane

APP = REPO_ROOT / "argocd" / "app"
EXAMPLE_NAMESPACE = "fixed-ip-apps"
HOOK_KEY, HOOK_SECRET = "AKLTgitopshooks", "SKgitops-hooks-never-print-me"
ZONE = "cn-beijing-6a"
PINNED = ["10.0.0.232", "10.0.0.233"]


@pytest.fixture(scope="module")
def argocd(sandbox_state):
    was_running = argocd_run.running(sandbox_state)
    state = argocd_run.up(sandbox_state)
    yield state
    if not was_running:
        argocd_run.stop(state, Path(state["root"]))


def _statefulset(namespace, name="web", pinned=True):
    entry = {"name": name, "namespace": namespace, "image": "nginx:1.25", "replicas": 2, "mode": "shared", "zone": ZONE}
    if pinned:
        entry["ips"] = PINNED
    return entry


def _role(sandbox_state, entry, output, tmp_path, **variables):
    """The fixed_ip_statefulset role run from the test (the admin's kubeconfig, the hooks' cloud credentials)."""
    play = [
        {
            "name": output,
            "hosts": "localhost",
            "connection": "local",
            "gather_facts": False,
            "tasks": [
                {
                    "name": output,
                    "ansible.builtin.include_role": {"name": "ksyun.kce.fixed_ip_statefulset"},
                    "vars": dict(
                        {"fixed_ip_statefulset_" + k: v for k, v in entry.items()},
                        fixed_ip_statefulset_output=output,
                        **variables,
                    ),
                }
            ],
        }
    ]
    path = tmp_path / ("%s.yml" % output)
    path.write_text(yaml.safe_dump(play))
    env = {
        "K8S_AUTH_KUBECONFIG": sandbox_state["kubeconfig"],
        "KSYUN_ACCESS_KEY_ID": HOOK_KEY,
        "KSYUN_SECRET_ACCESS_KEY": HOOK_SECRET,
        "KSYUN_REGION": "cn-beijing-6",
        "KSYUN_ENDPOINT": "http://" + sandbox_state["ksyun_endpoint"],
    }
    proc, _report = ansible_playbook_json(path, tmp_path, env, HOOK_SECRET)
    assert proc.returncode == 0, proc.stdout[-3000:]


def _render(sandbox_state, namespace, folder, tmp_path):
    """The StatefulSet as the Git path holds it: the role's render mode (pins are never rendered)."""
    _role(
        sandbox_state,
        _statefulset(namespace, pinned=False),
        "render",
        tmp_path,
        fixed_ip_statefulset_render_dir=str(folder),
    )


def _repo(sandbox_state, namespace, tmp_path, statefulsets):
    """argocd/app with the namespace replaced and the variables set; the rendered StatefulSet beside it."""
    folder = tmp_path / "repo"
    objects = {}
    for path in sorted(APP.glob("*.yaml")):
        for i, obj in enumerate(yaml.safe_load_all(path.read_text().replace(EXAMPLE_NAMESPACE, namespace))):
            if not obj:
                continue
            if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "fixed-ip-vars":
                obj["data"]["statefulsets"] = json.dumps({"fixed_ip_statefulsets": statefulsets})
            if obj["kind"] == "CronJob":
                obj["spec"]["schedule"] = "0 0 1 1 *"  # not while the test runs
            if obj["kind"] == "Job" and obj["metadata"]["annotations"]["argocd.argoproj.io/hook"] == "PostDelete":
                env = obj["spec"]["template"]["spec"]["containers"][0]["env"]
                next(e for e in env if e["name"] == "RECLAIM_VARS")["value"] = json.dumps(
                    {"reclaim_statefulset_deleted": True}
                )
            objects["%s-%d" % (path.stem, i)] = obj
    rendered = tmp_path / "rendered"
    _render(sandbox_state, namespace, rendered, tmp_path)
    for path in rendered.glob("*.yaml"):
        objects["rendered-" + path.stem] = yaml.safe_load(path.read_text())
    return git_repo(folder, objects)


def _application(name, repo_url, namespace, finalizer=True):
    example = yaml.safe_load((REPO_ROOT / "argocd" / "application.yaml").read_text())
    spec = example["spec"]
    spec["source"].update(repoURL=repo_url, targetRevision="HEAD", path=".")
    spec["destination"] = {"server": argocd_run.IN_CLUSTER, "namespace": namespace}
    spec["syncPolicy"].pop("automated")  # the test asks for each sync itself
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Application",
        "metadata": {
            "name": name,
            "namespace": NS,
            "finalizers": ["resources-finalizer.argocd.argoproj.io"] if finalizer else [],
        },
        "spec": spec,
        "operation": sync_operation(),
    }


def _secret(core, namespace, sandbox_state):
    core.create_namespaced_secret(
        namespace,
        {
            "metadata": {"name": "ksyun-credentials"},
            "stringData": {
                "KSYUN_ACCESS_KEY_ID": HOOK_KEY,
                "KSYUN_SECRET_ACCESS_KEY": HOOK_SECRET,
                "KSYUN_REGION": "cn-beijing-6",
                "KSYUN_ENDPOINT": "http://" + sandbox_state["ksyun_endpoint"],
            },
        },
    )


def _hook_logs(sandbox_state, namespace, job):
    folder = Path(sandbox_state["root"]) / "logs" / "pods"
    return "".join(p.read_text() for p in sorted(folder.glob("%s_%s-*/**/*.log" % (namespace, job))))


def _hook_results(app):
    return {
        r["name"]: r.get("hookPhase")
        for r in app["status"]["operationState"]["syncResult"]["resources"]
        if r.get("hookType") and r["kind"] == "Job"
    }


def _pod_ips(core, namespace):
    return {p.metadata.name: p.status.pod_ip for p in core.list_namespaced_pod(namespace).items if p.status.pod_ip}


def _resync(apps, name, wait_for, after):
    time.sleep(1.1)  # operation start times have whole seconds
    apps.patch_namespaced_custom_object(GROUP, VERSION, NS, "applications", name, {"operation": sync_operation()})
    return wait_for("Application %s synced again" % name, lambda: finished(apps, name, after=after), timeout=600)


def test_sync_runs_the_hooks_in_order_pins_the_ips_a_resync_writes_nothing_and_delete_reclaims(
    argocd, kube, sandbox_state, fixed_ip_namespace, cluster, tmp_path, wait_for
):
    namespace = fixed_ip_namespace
    core, apps = client.CoreV1Api(kube), client.CustomObjectsApi(kube)
    admin = AdminClient("http://" + sandbox_state["ksyun_endpoint"])
    _secret(core, namespace, sandbox_state)
    repo_url = _repo(sandbox_state, namespace, tmp_path, [_statefulset(namespace)])
    name = "hooks-%s" % uuid.uuid4().hex[:6]
    apps.create_namespaced_custom_object(GROUP, VERSION, NS, "applications", _application(name, repo_url, namespace))

    app = wait_for("Application %s synced" % name, lambda: finished(apps, name), timeout=600)
    op = app["status"]["operationState"]
    assert op["phase"] == "Succeeded", (op, _hook_logs(sandbox_state, namespace, "fixed-ip-reserve")[-3000:])
    assert _hook_results(app) == {"fixed-ip-reserve": "Succeeded", "fixed-ip-check": "Succeeded"}
    assert _pod_ips(core, namespace) == {"web-0": PINNED[0], "web-1": PINNED[1]}
    records = {name: r.ip for (kind, name), r in cluster.records(namespace).items() if kind == "PodEniIP"}
    assert sorted(records.values()) == PINNED, records
    app = wait_for("Application %s Healthy" % name, lambda: healthy(get_app(apps, name)), timeout=SYNC_TIMEOUT)
    assert app["status"]["sync"]["status"] == "Synced", app["status"]["sync"]
    check_log = _hook_logs(sandbox_state, namespace, "fixed-ip-check")
    assert json.loads(check_log[check_log.index("{") :])["stats"]["localhost"]["failures"] == 0

    # A second sync: both hooks run again, succeed, and make no cloud write; the StatefulSet stays as it was.
    version = client.AppsV1Api(kube).read_namespaced_stateful_set("web", namespace).metadata.resource_version
    writes_before = admin.counters(caller=HOOK_KEY)["total_writes"]
    app = _resync(apps, name, wait_for, op["startedAt"])
    assert app["status"]["operationState"]["phase"] == "Succeeded", app["status"]["operationState"]
    assert _hook_results(app) == {"fixed-ip-reserve": "Succeeded", "fixed-ip-check": "Succeeded"}
    assert admin.counters(caller=HOOK_KEY)["total_writes"] == writes_before
    assert client.AppsV1Api(kube).read_namespaced_stateful_set("web", namespace).metadata.resource_version == version

    # Delete: Argo CD prunes the StatefulSet, then the PostDelete hook reclaims its IPs.
    apps.delete_namespaced_custom_object(GROUP, VERSION, NS, "applications", name)

    def gone():
        try:
            get_app(apps, name)
        except ApiException as exc:
            return exc.status == 404
        return False

    wait_for("Application %s deleted" % name, gone, timeout=600)
    wait_for("the records reclaimed", lambda: not cluster.records(namespace), timeout=300)
    assert [cluster.allocate_status(ip) for ip in PINNED] == ["random", "random"]
    assert _hook_logs(sandbox_state, namespace, "fixed-ip-reclaim"), "no PostDelete reclaim Job ran"


def test_a_sync_whose_reserve_hook_fails_shows_the_playbooks_message_for_the_hook(
    argocd, kube, sandbox_state, fixed_ip_namespace, tmp_path, wait_for
):
    namespace = fixed_ip_namespace
    core, apps = client.CoreV1Api(kube), client.CustomObjectsApi(kube)
    _secret(core, namespace, sandbox_state)
    # Someone else keeps the first IP the Application pins: StatefulSet db's pod db-0, reserved outside Argo CD.
    taken = PINNED[0]
    _role(sandbox_state, dict(_statefulset(namespace), name="db", replicas=1, ips=[taken]), "reserve", tmp_path)
    repo_url = _repo(sandbox_state, namespace, tmp_path, [_statefulset(namespace)])
    name = "hooks-fail-%s" % uuid.uuid4().hex[:6]
    # No resources finalizer: the failed sync applied only wave -2, which the test removes itself.
    app = _application(name, repo_url, namespace, finalizer=False)
    apps.create_namespaced_custom_object(GROUP, VERSION, NS, "applications", app)
    try:
        app = wait_for("Application %s sync finished" % name, lambda: finished(apps, name), timeout=600)
        op = app["status"]["operationState"]
        [reserve] = [r for r in op["syncResult"]["resources"] if r["kind"] == "Job" and r.get("hookType")]
        job = client.BatchV1Api(kube).read_namespaced_job("fixed-ip-reserve", namespace)
        print("operationState:", json.dumps({k: op[k] for k in ("phase", "message")}, indent=1))
        print("hook result:", json.dumps(reserve, indent=1))
        assert op["phase"] == "Failed", op
        assert (reserve["name"], reserve["hookType"], reserve["hookPhase"]) == ("fixed-ip-reserve", "Sync", "Failed")
        # The playbook's message, as the reserve Job's failed run wrote it on its Job, names the IP and who keeps it.
        annotation = job.metadata.annotations["kce.ksyun.com/failure"]
        assert reserve["message"] == annotation, (reserve, annotation)
        assert taken in reserve["message"] and "%s/db-0" % namespace in reserve["message"], reserve["message"]
        assert "backoff limit" not in reserve["message"]
        assert HOOK_SECRET not in json.dumps(op)
        # What docs/gitops.md tells the user to run prints it.
        failed = (
            '{range .status.operationState.syncResult.resources[?(@.hookPhase=="Failed")]}'
            '{.name}: {.message}{"\\n"}{end}'
        )
        shown = kubectl.run(sandbox_state, "-n", NS, "get", "application", name, "-o", "jsonpath=" + failed)
        assert shown.stdout == "fixed-ip-reserve: %s\n" % annotation, (shown.stdout, shown.stderr)
        # Argo CD's own summary names no hook message (gitops-engine: only resources that failed to apply).
        assert op["message"].startswith("one or more synchronization tasks completed unsuccessfully"), op["message"]
        # The StatefulSet (wave 0) was never applied, and the failed Job stays for its log.
        assert not client.AppsV1Api(kube).list_namespaced_stateful_set(namespace).items
        assert job.status.failed == 1
    finally:
        apps.delete_namespaced_custom_object(GROUP, VERSION, NS, "applications", name)
        _delete_cluster_scoped(kube, name)


def _delete_cluster_scoped(kube, app_name):
    """The ClusterRoles and ClusterRoleBindings that Argo CD applied for the Application (its tracking annotation)."""
    rbac = client.RbacAuthorizationV1Api(kube)
    for listing, delete in (
        (rbac.list_cluster_role_binding, rbac.delete_cluster_role_binding),
        (rbac.list_cluster_role, rbac.delete_cluster_role),
    ):
        for obj in listing().items:
            tracking = (obj.metadata.annotations or {}).get("argocd.argoproj.io/tracking-id", "")
            if tracking.startswith(app_name + ":"):
                delete(obj.metadata.name)
