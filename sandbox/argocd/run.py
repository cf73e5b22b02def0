"""Start and stop the sandbox's Argo CD: redis, argocd-repo-server and argocd-application-controller, out of cluster
on loopback, against the running sandbox (``python -m sandbox up --argocd``; ``down`` stops them with the rest).

What ``up`` does, in order:

1. builds (or finds in the cache) the ``argocd`` binary of the pinned module (binaries.py);
2. installs, from that module's own ``manifests/`` in the Go module cache, the CRDs (``manifests/crds``: Application,
   ApplicationSet, AppProject) and the config maps and secret of ``manifests/base/config`` into the namespace
   ``argocd``, with the collection's health checks (argocd/argocd-cm.yaml) merged into argocd-cm;
3. creates the AppProject ``default`` as argocd-server does when it starts (the sandbox runs no argocd-server);
4. starts redis-server (Debian's redis 7) on 127.0.0.1 without persistence, argocd-repo-server (gRPC and metrics on
   127.0.0.1, plaintext) and argocd-application-controller (``--kubeconfig``, ``--redis``, ``--persist-resource-health``
   so each resource's health is in the Application's status). ``ARGOCD_FAKE_IN_CLUSTER=true`` with ``KUBECONFIG``
   makes the in-cluster destination (https://kubernetes.default.svc) the sandbox, as in Argo CD's own local runs.

The processes join the sandbox state's ``pids`` (after the control plane, so ``down`` stops them first)."""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

from sandbox.argocd import binaries, health
from sandbox.controlplane import binaries as controlplane_binaries
from sandbox.controlplane import cluster, processes

NAMESPACE = "argocd"
COMPONENTS = ("redis", "argocd-repo-server", "argocd-application-controller")
START_TIMEOUT = 120.0
# The in-cluster destination Applications name; the controller maps it to its --kubeconfig (ARGOCD_FAKE_IN_CLUSTER).
IN_CLUSTER = "https://kubernetes.default.svc"


def running(state: dict | None) -> bool:
    return bool(state) and all(processes.alive(state.get("pids", {}).get(name, -1)) for name in COMPONENTS)


def redis_server() -> str:
    path = shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(path, os.X_OK):
        raise cluster.SandboxError(
            "redis-server is not installed: `apt-get install -y redis-server` (Debian's redis 7; .ci/run installs it)"
        )
    return path


def manifests(source: Path) -> list:
    """The objects installed from the module's manifests/: CRDs, then the config maps and secret, argocd-cm with the
    collection's health checks added to Argo CD's defaults."""
    objects = []
    for name in ("application-crd.yaml", "applicationset-crd.yaml", "appproject-crd.yaml"):
        objects.extend(_load(source / "manifests" / "crds" / name))
    config = source / "manifests" / "base" / "config"
    kustomization = yaml.safe_load((config / "kustomization.yaml").read_text())
    snippet = yaml.safe_load(health.CM_FILE.read_text(encoding="utf-8"))
    for name in kustomization["resources"]:
        for obj in _load(config / name):
            obj["metadata"]["namespace"] = NAMESPACE
            if obj["kind"] == "ConfigMap" and obj["metadata"]["name"] == "argocd-cm":
                obj["data"] = {**(obj.get("data") or {}), **snippet["data"]}
            objects.append(obj)
    return objects


def _load(path: Path) -> list:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def default_project() -> dict:
    """The AppProject argocd-server creates at start-up when there is none (any source, destination and kind)."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AppProject",
        "metadata": {"name": "default", "namespace": NAMESPACE},
        "spec": {
            "sourceRepos": ["*"],
            "destinations": [{"server": "*", "namespace": "*"}],
            "clusterResourceWhitelist": [{"group": "*", "kind": "*"}],
        },
    }


def _kubectl(state: dict, *args, stdin: str | None = None, timeout: float = 120.0) -> str:
    binary = controlplane_binaries.kubectl()
    done = subprocess.run(
        [str(binary), f"--kubeconfig={state['kubeconfig']}", *args],
        check=False,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise cluster.SandboxError(f"kubectl {' '.join(args)} failed: {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def install(state: dict, source: Path) -> None:
    """Apply the namespace, Argo CD's CRDs and config (server-side, field manager argocd-sandbox), the project."""
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
    objects = manifests(source)
    crds = [o for o in objects if o["kind"] == "CustomResourceDefinition"]
    rest = [o for o in objects if o["kind"] != "CustomResourceDefinition"]
    apply = ("apply", "--server-side", "--force-conflicts", "--field-manager=argocd-sandbox", "-f", "-")
    _kubectl(state, *apply, stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [ns, *crds]}))
    for crd in crds:  # `kubectl wait` (and a jsonpath filter) fail at once while a new CRD has no conditions: poll
        name, deadline = crd["metadata"]["name"], time.monotonic() + 60
        while not _established(json.loads(_kubectl(state, "get", f"crd/{name}", "-o=json"))):
            if time.monotonic() > deadline:
                raise cluster.SandboxError(f"CRD {name} was not Established after 60s")
            time.sleep(0.2)
    _kubectl(state, *apply, stdin=json.dumps({"apiVersion": "v1", "kind": "List", "items": [*rest, default_project()]}))


def _established(crd: dict) -> bool:
    conditions = (crd.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions)


def up(state: dict | None = None, out=sys.stderr) -> dict:
    """Start Argo CD beside the running sandbox (reused when it runs already); returns the sandbox state.

    The state is read again from the sandbox's state file: a component restarted since state was read (a test's
    crash and restart) has another pid there."""
    state = cluster.read_state(Path(state["root"])) if state else cluster.read_state()
    if not cluster.running(state):
        raise cluster.SandboxError("the sandbox is not running: start it first (`python -m sandbox up --argocd`)")
    root = Path(state["root"])
    if running(state):
        print(f"sandbox: Argo CD already running (namespace {NAMESPACE})", file=out)
        return state
    stop(state, root)
    redis = redis_server()
    bin_dir = binaries.ensure_built(out)
    started = time.monotonic()
    source = binaries.module_source()
    install(state, source)
    home = root / "argocd"
    for sub in ("tmp", "tls", "ssh", "gpg/keys", "gpg/source", "redis"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    names = ("redis", "repo-server", "repo-server-metrics", "controller-metrics")
    ports = {n: processes.free_port() for n in names}
    env = {
        **os.environ,
        "KUBECONFIG": state["kubeconfig"],
        "ARGOCD_FAKE_IN_CLUSTER": "true",
        "ARGOCD_TLS_DATA_PATH": str(home / "tls"),
        "ARGOCD_SSH_DATA_PATH": str(home / "ssh"),
        "ARGOCD_GNUPGHOME": str(home / "gpg" / "keys"),
        "ARGOCD_GPG_DATA_PATH": str(home / "gpg" / "source"),
        "ARGOCD_GPG_ENABLED": "false",
        "TMPDIR": str(home / "tmp"),
    }
    redis_addr = f"127.0.0.1:{ports['redis']}"
    argv = {
        "redis": [
            redis,
            "--bind",
            "127.0.0.1",
            "--port",
            str(ports["redis"]),
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(home / "redis"),
            "--loglevel",
            "warning",
        ],
        "argocd-repo-server": [
            str(bin_dir / "argocd-repo-server"),
            "--address=127.0.0.1",
            f"--port={ports['repo-server']}",
            "--metrics-address=127.0.0.1",
            f"--metrics-port={ports['repo-server-metrics']}",
            f"--redis={redis_addr}",
            "--disable-tls",
            "--logformat=text",
            "--loglevel=info",
        ],
        "argocd-application-controller": [
            str(bin_dir / "argocd-application-controller"),
            f"--kubeconfig={state['kubeconfig']}",
            f"--namespace={NAMESPACE}",
            f"--redis={redis_addr}",
            f"--repo-server=127.0.0.1:{ports['repo-server']}",
            "--repo-server-plaintext",
            f"--metrics-port={ports['controller-metrics']}",
            "--persist-resource-health",
            "--app-resync=60",
            "--logformat=text",
            "--loglevel=info",
        ],
    }
    state["argocd"] = {"namespace": NAMESPACE, "ports": ports, "bin_dir": str(bin_dir), "version": binaries.version()}
    logs = Path(state["logs"])
    try:
        for name in COMPONENTS:
            state["pids"][name] = processes.start(name, argv[name], logs, env=env)
            cluster.write_state(root, state)
            _wait_ready(name, state, logs / f"{name}.log")
    except BaseException:
        stop(state, root)
        raise
    seconds = round(time.monotonic() - started, 1)
    rss = ", ".join(f"{n} {processes.rss_mib(state['pids'][n]):.0f} MiB" for n in COMPONENTS)
    print(
        f"sandbox: Argo CD {binaries.version()} ready in {seconds}s in namespace {NAMESPACE} "
        f"(redis {redis_addr}, repo-server 127.0.0.1:{ports['repo-server']}; RSS: {rss})",
        file=out,
    )
    return state


def _wait_ready(name: str, state: dict, log: Path) -> None:
    ports, pid = state["argocd"]["ports"], state["pids"][name]
    checks = {
        "redis": lambda: _redis_ping(ports["redis"]),
        "argocd-repo-server": lambda: _http_ok(f"http://127.0.0.1:{ports['repo-server-metrics']}/healthz?full=true"),
        "argocd-application-controller": lambda: _http_ok(f"http://127.0.0.1:{ports['controller-metrics']}/healthz"),
    }
    cluster.wait(name, checks[name], START_TIMEOUT, log, pid)


def _redis_ping(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"PING\r\n")
        return s.recv(64).startswith(b"+PONG")


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except urllib.error.HTTPError:
        return False


def stop(state: dict, root: Path) -> None:
    """Stop Argo CD's processes (controller first) and drop them from the state; the control plane keeps running."""
    for name in reversed(COMPONENTS):
        pid = state.get("pids", {}).pop(name, None)
        if pid:
            processes.stop(pid)
    state.pop("argocd", None)
    if cluster.read_state(root) is not None:
        cluster.write_state(root, state)
