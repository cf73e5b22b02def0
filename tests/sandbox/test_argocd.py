"""A real Argo CD (v3.2.x, built from its Go module: sandbox/argocd/) syncs Applications from a local Git repository
(file:// URL, as Argo CD's own end-to-end tests do) into the sandbox, and shows the health of the collection's records
as its controller computed it with argocd/health/*.lua (read from the Application's status, never by running the Lua
here; the Lua logic itself is unit-tested in tests/unit/argocd/).

Argo CD is started by this module only (module fixture), beside the session's sandbox, and stopped afterwards when this
module started it. Syncs are requested as argocd-server does for `argocd app sync`: by setting the Application's
``operation``; the sandbox runs no argocd-server."""

import subprocess
import time
import uuid
from pathlib import Path

import pytest
import yaml
from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.argocd import run as argocd_run

pytestmark = pytest.mark.controlplane

GROUP, VERSION = "argoproj.io", "v1alpha1"
NS = argocd_run.NAMESPACE
SYNC_TIMEOUT = 120.0


@pytest.fixture(scope="module")
def argocd(sandbox_state):
    """Argo CD beside the session's sandbox, stopped after this module if the module started it."""
    was_running = argocd_run.running(sandbox_state)
    state = argocd_run.up(sandbox_state)
    yield state
    if not was_running:
        argocd_run.stop(state, Path(state["root"]))


@pytest.fixture()
def apps(kube, argocd):
    return client.CustomObjectsApi(kube)


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=pytest", "-c", "user.email=pytest@example.invalid", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def git_repo(path, objects):
    """A Git repository at path with one commit holding each object in a file of its own."""
    path.mkdir()
    git(path, "init", "-q", "-b", "main")
    for name, obj in objects.items():
        (path / f"{name}.yaml").write_text(yaml.safe_dump(obj, sort_keys=False))
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "manifests")
    return f"file://{path}"


def podeniip(ip, namespace, pod):
    """A PodEniIP as the collection writes it (spec only: status is a subresource, written by flows and modules)."""
    return {
        "apiVersion": "k8s.ksyun.com/v1",
        "kind": "PodEniIP",
        "metadata": {"name": ip, "namespace": namespace},
        "spec": {
            "podNamespace": namespace,
            "podName": pod,
            "mode": "shared",
            "fixed": True,
            "ip": ip,
            "subnetId": "5f2c7a10-0002-4a6e-9c1b-000000000001",
            "zone": "cn-beijing-6a",
            "retention": "24h",
        },
    }


def sync_operation():
    return {"sync": {"revision": "HEAD", "syncStrategy": {"hook": {}}}, "initiatedBy": {"username": "pytest"}}


def application(name, repo_url, namespace):
    return {
        "apiVersion": f"{GROUP}/{VERSION}",
        "kind": "Application",
        "metadata": {"name": name, "namespace": NS},
        "spec": {
            "project": "default",
            "source": {"repoURL": repo_url, "targetRevision": "HEAD", "path": "."},
            "destination": {"server": argocd_run.IN_CLUSTER, "namespace": namespace},
        },
        "operation": sync_operation(),
    }


def get_app(apps, name):
    return apps.get_namespaced_custom_object(GROUP, VERSION, NS, "applications", name)


def finished(apps, name, after=None):
    """The Application once its last operation finished (one that started after `after`, when given)."""
    app = get_app(apps, name)
    op = (app.get("status") or {}).get("operationState") or {}
    if app.get("operation") or op.get("phase") not in ("Succeeded", "Failed", "Error"):
        return None
    if after is not None and op.get("startedAt", "") <= after:
        return None
    return app


def sync_status(apps, name):
    return ((get_app(apps, name).get("status") or {}).get("sync") or {}).get("status")


def healthy(app):
    return app if (app.get("status") or {}).get("health", {}).get("status") == "Healthy" else None


def resource_health(app, kind, name):
    for res in (app.get("status") or {}).get("resources") or []:
        if res["kind"] == kind and res["name"] == name:
            return res.get("health") or {}
    return None


def set_phase(kube, namespace, ip, status):
    """Write a record's status as the collection's flows and modules do (the status subresource, merge patch)."""
    client.CustomObjectsApi(kube).patch_namespaced_custom_object_status(
        "k8s.ksyun.com", "v1", namespace, "podeniips", ip, {"status": status}
    )


@pytest.fixture()
def app_name(apps):
    names = []

    def make(prefix):
        names.append(f"{prefix}-{uuid.uuid4().hex[:6]}")
        return names[-1]

    yield make
    for name in names:  # no resources-finalizer: the test's namespace takes the synced objects with it
        try:
            apps.delete_namespaced_custom_object(GROUP, VERSION, NS, "applications", name)
        except ApiException as e:
            if e.status != 404:
                raise


def test_sync_from_a_local_git_repository_is_synced_healthy_and_a_second_sync_changes_nothing(
    apps, kube, namespace, tmp_path, wait_for, app_name
):
    ip = "10.0.0.240"
    repo_url = git_repo(
        tmp_path / "repo",
        {
            "settings": {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "db-settings", "namespace": namespace},
                "data": {"replicas": "3"},
            },
            "record": podeniip(ip, namespace, "db-0"),
        },
    )
    name = app_name("gitops")
    apps.create_namespaced_custom_object(GROUP, VERSION, NS, "applications", application(name, repo_url, namespace))

    app = wait_for(f"Application {name} synced once", lambda: finished(apps, name), timeout=SYNC_TIMEOUT)
    op = app["status"]["operationState"]
    assert op["phase"] == "Succeeded", op
    results = {(r["kind"], r["name"]): r for r in op["syncResult"]["resources"]}
    assert {k: r["status"] for k, r in results.items()} == {
        ("ConfigMap", "db-settings"): "Synced",
        ("PodEniIP", ip): "Synced",
    }
    wait_for(f"Application {name} Synced after its sync", lambda: sync_status(apps, name) == "Synced")
    core = client.CoreV1Api(kube)
    assert core.read_namespaced_config_map("db-settings", namespace).data == {"replicas": "3"}

    # No flow has written the record's status yet: Argo CD shows it Progressing, with the script's message.
    health = wait_for(
        "the PodEniIP's health in the Application", lambda: resource_health(get_app(apps, name), "PodEniIP", ip)
    )
    assert health["status"] == "Progressing", health
    assert health["message"].startswith("No phase yet"), health
    # The collection reserves it (as pod_eni_ip / fixed_ip state=reserved write it): Healthy.
    set_phase(kube, namespace, ip, {"phase": "Reserved"})
    app = wait_for(
        f"Application {name} Synced and Healthy",
        lambda: healthy(get_app(apps, name)),
        timeout=SYNC_TIMEOUT,
    )
    assert app["status"]["sync"]["status"] == "Synced"
    assert resource_health(app, "PodEniIP", ip)["message"] == (
        f"{ip} is reserved for pod {namespace}/db-0 (pre-provisioned: no pod has held it yet), kept for 24h after its "
        "pod is deleted"
    )
    custom = client.CustomObjectsApi(kube)
    before = {
        "cm": core.read_namespaced_config_map("db-settings", namespace).metadata.resource_version,
        "record": custom.get_namespaced_custom_object("k8s.ksyun.com", "v1", namespace, "podeniips", ip)["metadata"][
            "resourceVersion"
        ],
    }

    # A second sync: every resource unchanged, nothing written.
    first_started = op["startedAt"]
    time.sleep(1.1)  # operation start times have whole seconds
    apps.patch_namespaced_custom_object(GROUP, VERSION, NS, "applications", name, {"operation": sync_operation()})
    app = wait_for(
        f"Application {name} synced again", lambda: finished(apps, name, after=first_started), timeout=SYNC_TIMEOUT
    )
    op = app["status"]["operationState"]
    assert op["phase"] == "Succeeded", op
    messages = {(r["kind"], r["name"]): r.get("message", "") for r in op["syncResult"]["resources"]}
    assert messages == {
        ("ConfigMap", "db-settings"): "configmap/db-settings unchanged",
        ("PodEniIP", ip): f"podeniip.k8s.ksyun.com/{ip} unchanged",
    }
    after = {
        "cm": core.read_namespaced_config_map("db-settings", namespace).metadata.resource_version,
        "record": custom.get_namespaced_custom_object("k8s.ksyun.com", "v1", namespace, "podeniips", ip)["metadata"][
            "resourceVersion"
        ],
    }
    assert after == before
    wait_for(f"Application {name} Synced after the second sync", lambda: sync_status(apps, name) == "Synced")
    assert get_app(apps, name)["status"]["health"]["status"] == "Healthy"


PHASES = {
    # ip: (status written, the health Argo CD must show, the start of its message)
    "10.0.0.241": ({"phase": "Binding", "nodeName": "10.0.0.48"}, "Progressing", "Binding 10.0.0.241 to pod"),
    "10.0.0.242": ({"phase": "Bound", "nodeName": "10.0.0.48"}, "Healthy", "10.0.0.242 is bound to pod"),
    "10.0.0.243": ({"phase": "Releasing", "nodeName": "10.0.0.48"}, "Progressing", "Releasing 10.0.0.243 of pod"),
    "10.0.0.244": ({"phase": "Reserved"}, "Healthy", "10.0.0.244 is reserved for pod"),
    "10.0.0.245": ({"phase": "Reclaiming"}, "Progressing", "Reclaiming 10.0.0.245 of pod"),
    "10.0.0.246": ({"phase": "Bound"}, "Degraded", "Bound without a node"),
}


def test_each_phase_of_a_podeniip_shows_its_health_in_argo_cd(apps, kube, namespace, tmp_path, wait_for, app_name):
    repo_url = git_repo(
        tmp_path / "repo",
        {f"record-{ip}": podeniip(ip, namespace, f"db-{i}") for i, ip in enumerate(PHASES)},
    )
    name = app_name("phases")
    apps.create_namespaced_custom_object(GROUP, VERSION, NS, "applications", application(name, repo_url, namespace))
    app = wait_for(f"Application {name} synced", lambda: finished(apps, name), timeout=SYNC_TIMEOUT)
    assert app["status"]["operationState"]["phase"] == "Succeeded", app["status"]["operationState"]
    for ip, case in PHASES.items():
        set_phase(kube, namespace, ip, case[0])

    def shown():
        app = get_app(apps, name)
        healths = {ip: resource_health(app, "PodEniIP", ip) or {} for ip in PHASES}
        want = {ip: case[1] for ip, case in PHASES.items()}
        return healths if {ip: h.get("status") for ip, h in healths.items()} == want else None

    healths = wait_for("every PodEniIP's health as Argo CD computed it", shown, timeout=SYNC_TIMEOUT)
    for ip, case in PHASES.items():
        assert healths[ip]["message"].startswith(case[2]), (ip, healths[ip])
    # The Application's health is its worst resource's: Degraded (10.0.0.246), still Synced.
    wait_for(f"Application {name} Synced", lambda: sync_status(apps, name) == "Synced")
    assert get_app(apps, name)["status"]["health"]["status"] == "Degraded"


def listening(pid):
    """(address, port) of every TCP socket the process listens on (IPv4 and IPv6), read from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = fd.readlink().as_posix()
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table, width in (("tcp", 8), ("tcp6", 32)):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                address, port = fields[1].split(":")
                found.add((_address(address, width), int(port, 16)))
    return found


def _address(hexa, width):
    if width == 8:
        return ".".join(str(int(hexa[i : i + 2], 16)) for i in (6, 4, 2, 0))
    return "::" if set(hexa) == {"0"} else hexa


def test_argo_cd_listens_on_loopback_but_for_the_controllers_metrics(argocd):
    """redis and argocd-repo-server (gRPC and metrics) listen on 127.0.0.1 only. argocd-application-controller v3.2.11
    has no flag for the address of its metrics and health server: controller/appcontroller.go listens on
    0.0.0.0:<--metrics-port>, so that one port is on every interface (docs/sandbox.md says so)."""
    ports, pids = argocd["argocd"]["ports"], argocd["pids"]
    assert listening(pids["redis"]) == {("127.0.0.1", ports["redis"])}
    assert listening(pids["argocd-repo-server"]) == {
        ("127.0.0.1", ports["repo-server"]),
        ("127.0.0.1", ports["repo-server-metrics"]),
    }
    controller = listening(pids["argocd-application-controller"])
    assert {listener[1] for listener in controller} == {ports["controller-metrics"]}, controller
    assert {listener[0] for listener in controller} <= {"0.0.0.0", "::"}, controller
