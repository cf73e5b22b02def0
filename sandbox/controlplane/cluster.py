"""Bring the local control plane up and down: etcd, kube-apiserver, kube-controller-manager,
kube-scheduler, all on 127.0.0.1, with state, logs and the kubeconfig under one directory."""

import json
import os
import shutil
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from sandbox.addons import install_addons, write_addons_vars
from sandbox.controlplane import binaries, certs, processes
from sandbox.node_agent.topology import node_specs
from sandbox.paths import REPO_ROOT, collections_root, state_dir

START_TIMEOUT = 120.0
ORDER = ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "ksyun-emulator", "node-agent")
# Attach/detach pass through a visible transient state; short in the sandbox so demos stay quick.
EMULATOR_SETTINGS = ("transition_seconds=0.3",)
DEFAULT_TOPOLOGY = REPO_ROOT / "sandbox" / "topologies" / "default.yml"


class SandboxError(RuntimeError):
    """The sandbox could not be brought to the asked state; the message says where to look."""


def _state_file(root: Path) -> Path:
    return root / "state.json"


def read_state(root: Path | None = None) -> dict | None:
    root = root or state_dir()
    try:
        return json.loads(_state_file(root).read_text())
    except (OSError, ValueError):
        return None


def _write_state(root: Path, state: dict) -> None:
    tmp = _state_file(root).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2))
    tmp.replace(_state_file(root))


def write_state(root: Path, state: dict) -> None:
    """Save the state (components started beside the control plane, e.g. Argo CD, add their pids)."""
    _write_state(root, state)


def running(state: dict | None) -> bool:
    """The control plane, emulator and node agent all run (components started on demand, e.g. Argo CD, aside)."""
    return bool(state) and all(processes.alive(state.get("pids", {}).get(n, -1)) for n in ORDER)


def kubeconfig_text(server: str, pki: dict) -> str:
    return json.dumps(
        {
            "apiVersion": "v1",
            "kind": "Config",
            "current-context": "ksyun-kce-sandbox",
            "clusters": [
                {"name": "sandbox", "cluster": {"server": server, "certificate-authority": str(pki["ca.crt"])}}
            ],
            "users": [
                {
                    "name": "admin",
                    "user": {"client-certificate": str(pki["admin.crt"]), "client-key": str(pki["admin.key"])},
                }
            ],
            "contexts": [{"name": "ksyun-kce-sandbox", "context": {"cluster": "sandbox", "user": "admin"}}],
        },
        indent=2,
    )


def _get(url: str, pki: dict, timeout: float = 2.0) -> tuple[int, str]:
    ctx = ssl.create_default_context(cafile=str(pki["ca.crt"]))
    ctx.load_cert_chain(str(pki["admin.crt"]), str(pki["admin.key"]))
    try:
        with urllib.request.urlopen(url, context=ctx, timeout=timeout) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")


def wait(what: str, check, timeout: float, log: Path, pid: int) -> None:
    """Poll check until it is true; fail with the log's end if the process exits or the timeout passes."""
    _wait(what, check, timeout, log, pid)


def _wait(what: str, check, timeout: float, log: Path, pid: int) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not processes.alive(pid):
            raise SandboxError(f"{what} exited during start-up; its log is {log}, ending:\n{_tail(log)}")
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.25)
    raise SandboxError(f"{what} was not ready after {timeout:.0f}s; its log is {log}")


def _tail(log: Path, lines: int = 15) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as err:
        return f"(unreadable: {err})"


def up(out=sys.stderr, root: Path | None = None, topology: Path = DEFAULT_TOPOLOGY, addons: bool = True) -> dict:
    """Start everything (or reuse a running sandbox) and return the state with the kubeconfig path.

    addons: install the cluster add-ons once the nodes are Ready with the collection's roles (sandbox/addons.py: the
    fixed-IP CRDs and ConfigMap, multus and VPC-CNI); False leaves the cluster bare, as a new KCE cluster before the
    roles ran. Either way addons-vars.yml in the sandbox directory holds the roles' variables for this sandbox."""
    root = root or state_dir()
    state = read_state(root)
    if running(state):
        if state.get("addons", True) != addons:
            have, want = (
                ("bare sandbox", "sandbox with the add-ons") if addons else ("sandbox with the add-ons", "bare one")
            )
            raise SandboxError(
                f"a {have} is already running in {root}; stop it (`make sandbox-down`) to start a {want}"
            )
        print(f"sandbox: already running, kubeconfig {state['kubeconfig']}", file=out)
        return state
    if state:
        down(out=out, root=root, quiet=True)
    bin_dir = binaries.ensure_built(out)
    started = time.monotonic()
    root.mkdir(parents=True, exist_ok=True)
    logs = root / "logs"
    shutil.rmtree(root / "etcd-data", ignore_errors=True)
    shutil.rmtree(root / "pods", ignore_errors=True)  # the EE pods' directories (tokens) of an earlier run
    pki = certs.make_pki(root / "pki")
    names = ("etcd", "etcd-peer", "apiserver", "kube-controller-manager", "kube-scheduler", "ksyun-emulator")
    ports = {n: processes.free_port() for n in names}
    server = f"https://127.0.0.1:{ports['apiserver']}"
    kubeconfig = root / "kubeconfig"
    kubeconfig.write_text(kubeconfig_text(server, pki))
    kubeconfig.chmod(0o600)
    nodes = node_specs(topology)
    shutil.copyfile(topology, root / "topology.yml")
    (root / "ksyun-state.json").unlink(missing_ok=True)
    (root / "nodes.json").write_text(json.dumps([n.__dict__ for n in nodes], indent=2))
    state = {
        "root": str(root),
        "kubeconfig": str(kubeconfig),
        "server": server,
        "ports": ports,
        "pids": {},
        "ksyun_endpoint": f"127.0.0.1:{ports['ksyun-emulator']}",
        "logs": str(logs),
        "bin_dir": str(bin_dir),
        "topology": str(topology),
        "nodes": [n.name for n in nodes],
        "addons": addons,
    }
    try:
        for name in ORDER:
            state["pids"][name] = processes.start(
                name,
                _argv(name, bin_dir, root, pki, ports, kubeconfig),
                logs,
                env=_env(name),
            )
            _write_state(root, state)
            _wait_ready(name, state, pki, logs / f"{name}.log")
        write_addons_vars(root / "topology.yml", root / "addons-vars.yml")
        if addons:
            # The node agent makes the DaemonSets' pods Ready, so the add-ons come once it runs.
            install_addons(kubeconfig, root / "topology.yml", state["ksyun_endpoint"])
    except BaseException:
        down(out=out, root=root, quiet=True)
        raise
    state["ready_seconds"] = round(time.monotonic() - started, 1)
    _write_state(root, state)
    rss = ", ".join(f"{n} {processes.rss_mib(state['pids'][n]):.0f} MiB" for n in ORDER)
    what = "with the add-ons (CRDs, ConfigMap, multus, VPC-CNI)" if addons else "bare (no add-ons)"
    print(f"sandbox: control plane ready in {state['ready_seconds']}s at {server}, {what} (RSS: {rss})", file=out)
    print(f"sandbox: kubeconfig {kubeconfig}; logs in {logs}", file=out)
    return state


def _env(name: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    if name == "node-agent":
        # What the EE pods' host processes run with (sandbox/node_agent/ee.py): this venv and this checkout.
        env["KSYUN_KCE_EE_BIN"] = str(Path(sys.executable).parent)
        env["KSYUN_KCE_EE_COLLECTIONS_PATH"] = str(collections_root())
    return env


def _wait_ready(name: str, state: dict, pki: dict, log: Path) -> None:
    pid, server = state["pids"][name], state["server"]
    if name == "etcd":
        url = f"http://127.0.0.1:{state['ports']['etcd']}/health"
        _wait(name, lambda: b'"health":"true"' in urllib.request.urlopen(url, timeout=2).read(), 30, log, pid)
    elif name == "kube-apiserver":
        _wait(
            name,
            lambda: _get(f"{server}/readyz", pki)[0] == 200
            and _get(f"{server}/api/v1/namespaces/default", pki)[0] == 200,
            START_TIMEOUT,
            log,
            pid,
        )
    elif name == "kube-controller-manager":
        _wait(
            name,
            lambda: _healthz(state["ports"]["kube-controller-manager"])
            and _get(f"{server}/api/v1/namespaces/default/serviceaccounts/default", pki)[0] == 200,
            START_TIMEOUT,
            log,
            pid,
        )
    elif name == "ksyun-emulator":
        url = f"http://127.0.0.1:{state['ports']['ksyun-emulator']}/_emulator/health"
        _wait(name, lambda: json.loads(urllib.request.urlopen(url, timeout=2).read()).get("ok") is True, 30, log, pid)
    elif name == "kube-scheduler":
        _wait(name, lambda: _healthz(state["ports"]["kube-scheduler"]), START_TIMEOUT, log, pid)
    else:
        _wait(
            "the sandbox nodes (Ready, without not-ready taints)",
            lambda: all(_node_schedulable(server, pki, n) for n in state["nodes"]),
            START_TIMEOUT,
            log,
            pid,
        )


def _node_schedulable(server: str, pki: dict, name: str) -> bool:
    code, body = _get(f"{server}/api/v1/nodes/{name}", pki)
    if code != 200:
        return False
    node = json.loads(body)
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in node.get("status", {}).get("conditions", []))
    return ready and not any(t["key"].startswith("node.kubernetes.io/") for t in node.get("spec", {}).get("taints", []))


def _healthz(port: int) -> bool:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE  # the component's self-signed serving cert; loopback only
    try:
        with urllib.request.urlopen(f"https://127.0.0.1:{port}/healthz", context=ctx, timeout=2) as resp:
            return resp.status == 200
    except urllib.error.HTTPError:
        return False


def _argv(name: str, bin_dir: Path, root: Path, pki: dict, ports: dict, kubeconfig: Path) -> list:
    if name == "node-agent":
        return [
            *_python_m(),
            "sandbox.node_agent",
            f"--kubeconfig={kubeconfig}",
            f"--nodes={root / 'nodes.json'}",
            f"--ksyun-endpoint=127.0.0.1:{ports['ksyun-emulator']}",
            f"--pods-dir={root / 'pods'}",
            f"--pod-logs-dir={root / 'logs' / 'pods'}",
        ]
    if name == "ksyun-emulator":
        return [
            sys.executable,
            "-m",
            "sandbox.ksyun_emulator",
            f"--topology={root / 'topology.yml'}",
            f"--listen=127.0.0.1:{ports[name]}",
            f"--state-file={root / 'ksyun-state.json'}",
            f"--kubeconfig={kubeconfig}",
            f"--platform-kubeconfig={kubeconfig}",
            "--settings",
            *EMULATOR_SETTINGS,
        ]
    return [str(bin_dir / name)] + _flags(name, root, pki, ports, kubeconfig)


def _python_m() -> list:
    """``python -m``; under coverage.py when a coverage run of the tests asks for it (hack/run_pytest.py): the node
    agent runs the collection's flows. It stops on SIGTERM by returning from main, so coverage.py saves its data."""
    rcfile = os.environ.get("KSYUN_KCE_COVERAGE_RCFILE")
    return [sys.executable, "-m", "coverage", "run", f"--rcfile={rcfile}", "-m"] if rcfile else [sys.executable, "-m"]


def _flags(name: str, root: Path, pki: dict, ports: dict, kubeconfig: Path) -> list:
    if name == "etcd":
        peer = f"http://127.0.0.1:{ports['etcd-peer']}"
        client = f"http://127.0.0.1:{ports['etcd']}"
        return [
            "--name=sandbox",
            f"--data-dir={root / 'etcd-data'}",
            f"--listen-client-urls={client}",
            f"--advertise-client-urls={client}",
            f"--listen-peer-urls={peer}",
            f"--initial-advertise-peer-urls={peer}",
            f"--initial-cluster=sandbox={peer}",
            "--unsafe-no-fsync=true",
            "--log-level=warn",
            "--quota-backend-bytes=2147483648",
        ]
    if name == "kube-apiserver":
        server = f"https://127.0.0.1:{ports['apiserver']}"
        return [
            f"--etcd-servers=http://127.0.0.1:{ports['etcd']}",
            f"--secure-port={ports['apiserver']}",
            "--bind-address=127.0.0.1",
            "--advertise-address=192.0.2.1",
            "--endpoint-reconciler-type=none",
            f"--tls-cert-file={pki['apiserver.crt']}",
            f"--tls-private-key-file={pki['apiserver.key']}",
            f"--client-ca-file={pki['ca.crt']}",
            f"--service-account-issuer={server}",
            f"--service-account-key-file={pki['sa.pub']}",
            f"--service-account-signing-key-file={pki['sa.key']}",
            "--service-cluster-ip-range=10.96.0.0/16",
            "--authorization-mode=RBAC",
            "--allow-privileged=true",
            "--disable-admission-plugins=ServiceAccount",
            "--enable-priority-and-fairness=false",
            "--max-requests-inflight=0",
            "--max-mutating-requests-inflight=0",
            "--profiling=false",
            "--v=1",
        ]
    common = [
        f"--kubeconfig={kubeconfig}",
        "--leader-elect=false",
        "--bind-address=127.0.0.1",
        f"--authentication-kubeconfig={kubeconfig}",
        f"--authorization-kubeconfig={kubeconfig}",
        "--kube-api-qps=100",
        "--kube-api-burst=200",
        "--profiling=false",
        "--v=1",
    ]
    if name == "kube-controller-manager":
        return common + [
            f"--secure-port={ports[name]}",
            f"--root-ca-file={pki['ca.crt']}",
            f"--service-account-private-key-file={pki['sa.key']}",
            "--use-service-account-credentials=false",
            "--controllers=*",
        ]
    return common + [f"--secure-port={ports[name]}"]


def restart(name: str, root: Path | None = None, out=sys.stderr) -> dict:
    """kill -9 one component of the running sandbox and start it again with the same flags, ports and data (etcd's
    data directory, the emulator's state file, the PKI), waiting until it is ready: a crash and restart, for the tests
    of runs that lose the kube-apiserver, the emulator or the node agent half-way. Returns the updated state."""
    root = root or state_dir()
    state = read_state(root)
    if not running(state):
        raise SandboxError(f"no sandbox is running in {root}; start one with `make sandbox-up`")
    if name not in state["pids"]:
        raise SandboxError(f"{name!r} is not a component of the sandbox; components: {', '.join(state['pids'])}")
    started = time.monotonic()
    processes.kill(state["pids"][name])
    pki = certs.make_pki(root / "pki")  # the existing keys and certificates
    logs = Path(state["logs"])
    argv = _argv(name, Path(state["bin_dir"]), root, pki, state["ports"], Path(state["kubeconfig"]))
    state["pids"][name] = processes.start(name, argv, logs, env=_env(name))
    _write_state(root, state)
    _wait_ready(name, state, pki, logs / f"{name}.log")
    print(f"sandbox: {name} killed and ready again in {time.monotonic() - started:.1f}s", file=out)
    return state


def down(out=sys.stderr, root: Path | None = None, quiet: bool = False) -> None:
    root = root or state_dir()
    state = read_state(root)
    if not state:
        if not quiet:
            print("sandbox: not running", file=out)
        return
    for name in reversed(list(state.get("pids", {}))):
        processes.stop(state["pids"][name])
    _state_file(root).unlink(missing_ok=True)
    if not quiet:
        print(f"sandbox: stopped; logs kept in {state['logs']}", file=out)


def status(out=sys.stdout, root: Path | None = None) -> int:
    state = read_state(root or state_dir())
    if not state:
        print("sandbox: not running", file=out)
        return 1
    for name, pid in state["pids"].items():
        up_ = processes.alive(pid)
        print(f"{name:30} pid {pid:>7}  {'running' if up_ else 'DEAD'}  RSS {processes.rss_mib(pid):.0f} MiB", file=out)
    print(f"kubeconfig: {state['kubeconfig']}\nserver: {state['server']}\nlogs: {state['logs']}", file=out)
    return 0 if running(state) else 1
