"""Pods of the collection's execution environment (EE) image run as host processes on the sandbox nodes.

The sandbox runs no container engine, so the node agent runs a pod whose container image is the EE
(``EE_IMAGE_NAME``, any registry and tag: Argo CD hook Jobs, CronJobs) as a process on this machine, as a kubelet
would run the container:

- the container's ``command`` + ``args`` (there is no image entrypoint here: a container without ``command`` fails
  with reason StartError), with ``$(VAR)`` expanded as the kubelet does;
- its ``envFrom`` and ``env`` resolved from ConfigMaps, Secrets and the pod's fields, plus the variables a container
  gets from the kubelet (``KUBERNETES_SERVICE_HOST``/``PORT``: the sandbox API server on 127.0.0.1, ``HOSTNAME``);
- the ServiceAccount token from a TokenRequest bound to the pod, written with ``ca.crt`` and ``namespace`` into a
  per-pod directory bind-mounted (read-only) at /var/run/secrets/kubernetes.io/serviceaccount in a private mount
  namespace of the process, so in-cluster configuration works with no kubeconfig;
- the collection's venv first on PATH and ANSIBLE_COLLECTIONS_PATH naming this checkout (what the EE image holds).

Its output is the container's log, in a file (the sandbox has no kubelet API, so ``kubectl logs`` cannot reach it).
On exit the pod is Succeeded (exit 0) or Failed with the container's terminated state (exit code, reason
Completed/Error, the last lines of output as message), or restarted for restartPolicy OnFailure/Always. Deleting the
pod stops the process (SIGTERM, SIGKILL after the grace period); so does the pod's activeDeadlineSeconds.
"""

import base64
import datetime
import json
import logging
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from kubernetes import client
from kubernetes.client.rest import ApiException

from sandbox.node_agent.network import JSON_PATCH, PodReplaced, running_status

LOG = logging.getLogger("node-agent")

# The collection's execution-environment image: a pod container whose image has this name (any registry, any tag or
# digest: ``ksyun-kce-ee``, ``registry.example.com/ops/ksyun-kce-ee:1.2.0``) runs as a host process here.
EE_IMAGE_NAME = "ksyun-kce-ee"
EE_IMAGE = f"{EE_IMAGE_NAME}:latest"

SA_MOUNT = "/var/run/secrets/kubernetes.io/serviceaccount"
TOKEN_SECONDS = 3607  # what a kubelet asks for its projected token
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MESSAGE_LINES, MESSAGE_BYTES = 80, 2048  # the kubelet's limits for a message from the log (FallbackToLogsOnError)
RETRY_SECONDS = 2.0  # a missing ConfigMap, Secret or ServiceAccount is looked up again after this
BACKOFF_SECONDS, BACKOFF_MAX = 1.0, 30.0  # restart back-off (a kubelet: 10 s doubling up to 5 min)
DEADLINE_MESSAGE = "Pod was active on the node longer than the specified deadline"

# Keep the mount namespace private, bind the token directory read-only where in-cluster config looks, then exec.
_MOUNT_SCRIPT = (
    'set -e; mount --bind "$1" ' + SA_MOUNT + "; mount -o remount,bind,ro " + SA_MOUNT + '; shift; exec "$@"'
)


def is_ee_image(image: str) -> bool:
    reference = (image or "").split("@", 1)[0]
    return reference.rsplit("/", 1)[-1].split(":", 1)[0] == EE_IMAGE_NAME


def is_ee_pod(pod: dict) -> bool:
    spec = pod.get("spec") or {}
    return any(
        is_ee_image(c.get("image", "")) for c in (spec.get("containers") or []) + (spec.get("initContainers") or [])
    )


class ContainerConfigError(Exception):
    """The container cannot be configured yet (a ConfigMap, Secret or key missing): CreateContainerConfigError."""


class StartError(Exception):
    """The container cannot start at all (no command, executable not found): reason StartError, exit code 128."""


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_REFERENCE = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)")


def expand(text: str, env: dict) -> str:
    """The kubelet's $(VAR) expansion: a defined name is replaced, an unknown one left as written, $$ is a $."""

    def one(match):
        if match.group(0) == "$$":
            return "$"
        return env.get(match.group(1), match.group(0))

    return _REFERENCE.sub(one, text or "")


_FIELD = re.compile(r"^metadata\.(labels|annotations)\['([^']+)'\]$")


def field_value(pod: dict, path: str, host_ip: str) -> str:
    meta, spec = pod.get("metadata") or {}, pod.get("spec") or {}
    simple = {
        "metadata.name": meta.get("name"),
        "metadata.namespace": meta.get("namespace"),
        "metadata.uid": meta.get("uid"),
        "spec.nodeName": spec.get("nodeName"),
        "spec.serviceAccountName": spec.get("serviceAccountName") or spec.get("serviceAccount"),
        "status.hostIP": host_ip,
        "status.hostIPs": host_ip,
        "status.podIP": host_ip,  # the process runs in the node's network
        "status.podIPs": host_ip,
    }
    if path in simple:
        return simple[path] or ""
    match = _FIELD.match(path)
    if match:
        return (meta.get(match.group(1)) or {}).get(match.group(2), "")
    raise ContainerConfigError(f"unsupported fieldRef fieldPath {path!r} (the sandbox node resolves {sorted(simple)})")


class EnvSource:
    """Reads ConfigMaps and Secrets once per container start."""

    def __init__(self, core: client.CoreV1Api, namespace: str):
        self.core, self.namespace, self._seen = core, namespace, {}

    def data(self, kind: str, name: str, optional: bool):
        """The object's data as text (None when it is missing and optional)."""
        if (kind, name) not in self._seen:
            try:
                if kind == "Secret":
                    obj = self.core.read_namespaced_secret(name, self.namespace)
                    data = {k: base64.b64decode(v).decode("utf-8", "replace") for k, v in (obj.data or {}).items()}
                else:
                    obj = self.core.read_namespaced_config_map(name, self.namespace)
                    data = dict(obj.data or {})
            except ApiException as exc:
                if exc.status != 404:
                    raise
                data = None
            self._seen[(kind, name)] = data
        data = self._seen[(kind, name)]
        if data is None and not optional:
            raise ContainerConfigError(f'{"secret" if kind == "Secret" else "configmap"} "{name}" not found')
        return data

    def key(self, kind: str, ref: dict) -> str | None:
        optional = bool(ref.get("optional"))
        data = self.data(kind, ref.get("name") or "", optional)
        if data is None:
            return None
        if ref.get("key") not in data:
            if optional:
                return None
            raise ContainerConfigError(
                f"couldn't find key {ref.get('key')} in {kind} {self.namespace}/{ref.get('name')}"
            )
        return data[ref["key"]]


def container_env(core, pod: dict, container: dict, base: dict, host_ip: str) -> dict:
    """base, then the container's envFrom, then its env (later wins), as the kubelet builds a container's environment."""
    source = EnvSource(core, pod["metadata"]["namespace"])
    env = dict(base)
    for item in container.get("envFrom") or []:
        kind, ref = ("Secret", item["secretRef"]) if item.get("secretRef") else ("ConfigMap", item.get("configMapRef"))
        data = source.data(kind, (ref or {}).get("name") or "", bool((ref or {}).get("optional")))
        for key, value in (data or {}).items():
            env[(item.get("prefix") or "") + key] = value
    for item in container.get("env") or []:
        name, value_from = item["name"], item.get("valueFrom")
        if value_from is None:
            env[name] = expand(item.get("value", ""), env)
            continue
        if value_from.get("secretKeyRef"):
            value = source.key("Secret", value_from["secretKeyRef"])
        elif value_from.get("configMapKeyRef"):
            value = source.key("ConfigMap", value_from["configMapKeyRef"])
        elif value_from.get("fieldRef"):
            value = field_value(pod, value_from["fieldRef"].get("fieldPath", ""), host_ip)
        else:
            raise ContainerConfigError(f"env {name}: only secretKeyRef, configMapKeyRef and fieldRef are resolved here")
        if value is not None:
            env[name] = value
    return env


@dataclass
class Run:
    """One EE pod's container, run as a host process."""

    key: tuple
    pod: dict
    started_at: str = ""
    proc: subprocess.Popen | None = None
    restarts: int = 0
    last_state: dict = field(default_factory=dict)
    stopping: str = ""  # "deleted" or "DeadlineExceeded" once the agent stops it
    done: bool = False
    timers: list = field(default_factory=list)

    @property
    def uid(self) -> str:
        return self.pod["metadata"]["uid"]

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


class HostProcesses:
    """Runs the EE pods of the agent's nodes (called from PodController._handle, one call per pod key at a time)."""

    def __init__(self, kube, host_ip_of, requeue, requeue_after, pods_dir, logs_dir, ee_bin, collections_path):
        self.kube, self.host_ip_of, self.requeue, self.requeue_after = kube, host_ip_of, requeue, requeue_after
        self.pods_dir, self.logs_dir = Path(pods_dir), Path(logs_dir)
        self.ee_bin, self.collections_path = str(ee_bin), str(collections_path)
        self.core = client.CoreV1Api(kube.client)
        self._pods = kube.resources.get(api_version="v1", kind="Pod")
        self._events = kube.resources.get(api_version="v1", kind="Event")
        config = kube.client.configuration
        server = urllib.parse.urlsplit(config.host)
        self.server_host, self.server_port = server.hostname, str(server.port or 443)
        self.ca_file = config.ssl_ca_cert
        self._runs = {}
        self._lock = threading.Lock()
        self._warned = set()

    # --- called by the pod controller ---------------------------------------------------------------

    def handle(self, key, pod) -> bool:
        """Bring the pod's process in line with the pod; True when the pod's deletion may be confirmed now."""
        meta, status = pod["metadata"], pod.get("status") or {}
        with self._lock:
            run = self._runs.get(meta["uid"])
        if meta.get("deletionTimestamp"):
            if run is not None and run.alive():
                self._stop(run, "deleted", meta.get("deletionGracePeriodSeconds"))
                return False
            self._forget(meta["uid"])
            return True
        if run is not None or status.get("phase") in ("Succeeded", "Failed"):
            return False
        if status.get("phase") == "Running":
            # Ours, running, but no process: the agent restarted and lost it (a node that rebooted).
            self._write(
                pod,
                self._terminal_status(
                    pod,
                    137,
                    "Error",
                    "the sandbox node agent restarted while the container ran; its process is gone",
                    _now(),
                    restarts=0,
                ),
            )
            return False
        self._start(key, pod)
        return False

    def gone(self, pod) -> None:
        """The pod was removed (force-deleted): kill what still runs."""
        uid = (pod.get("metadata") or {}).get("uid")
        with self._lock:
            run = self._runs.get(uid)
        if run is not None and run.alive():
            run.stopping = run.stopping or "deleted"
            _signal(run.proc, signal.SIGKILL)
        self._forget(uid)

    def stop_all(self) -> None:
        """The agent stops: no process outlives it."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            if run.alive():
                run.stopping = run.stopping or "deleted"
                _signal(run.proc, signal.SIGKILL)

    # --- starting --------------------------------------------------------------------------------

    def _start(self, key, pod) -> None:
        spec, meta = pod["spec"], pod["metadata"]
        run = Run(key=key, pod=pod)
        try:
            container = self._the_container(pod)
            argv, env, cwd, sa_dir = self._prepare(pod, container)
        except ContainerConfigError as err:
            self._waiting(pod, "CreateContainerConfigError", str(err), event=("Failed", f"Error: {err}"))
            self.requeue_after(key, RETRY_SECONDS)
            return
        except _MountError as err:
            self._waiting(pod, "ContainerCreating", None, event=("FailedMount", str(err)))
            self.requeue_after(key, RETRY_SECONDS)
            return
        except StartError as err:
            now = _now()
            self._event(pod, "Failed", f"Error: {err}")
            self._write(pod, self._terminal_status(pod, 128, "StartError", str(err), now, restarts=0))
            LOG.warning("pod %s/%s: EE container not started: %s", key[0], key[1], err)
            return
        run.started_at = _now()
        try:
            self._spawn(run, argv, env, cwd, sa_dir)
        except OSError as err:
            self._write(pod, self._terminal_status(pod, 128, "StartError", f"{argv[0]}: {err}", _now(), restarts=0))
            return
        with self._lock:
            self._runs[run.uid] = run  # from here on the pod has its process (handle() leaves it to _wait)
        self._write(pod, self._running_status(run))
        deadline = spec.get("activeDeadlineSeconds")
        if deadline is not None:
            grace = spec.get("terminationGracePeriodSeconds")
            timer = threading.Timer(float(deadline), self._stop, args=(run, "DeadlineExceeded", grace))
            timer.daemon = True
            run.timers.append(timer)
            timer.start()
        threading.Thread(
            target=self._wait, args=(run, argv, env, cwd, sa_dir), name=f"ee-{meta['name']}", daemon=True
        ).start()

    @staticmethod
    def _the_container(pod) -> dict:
        spec = pod["spec"]
        if spec.get("initContainers") or len(spec.get("containers") or []) != 1:
            raise StartError(
                f"the sandbox node runs a pod of the {EE_IMAGE_NAME} image as a host process only when it has exactly "
                "one container and no init containers"
            )
        container = spec["containers"][0]
        if not is_ee_image(container.get("image", "")):
            raise StartError(f"container {container['name']}: image {container.get('image')!r} is not {EE_IMAGE_NAME}")
        if not container.get("command"):
            raise StartError(
                f"container {container['name']} has no command: the sandbox node runs the {EE_IMAGE_NAME} image as a "
                "host process and has no image entrypoint, so the pod must give command (and args)"
            )
        return container

    def _prepare(self, pod, container):
        meta, spec = pod["metadata"], pod["spec"]
        node = spec.get("nodeName", "")
        host_ip = self.host_ip_of(node)
        home = self._pod_dir(meta["uid"]) / "home"
        home.mkdir(parents=True, exist_ok=True)
        home.parent.chmod(0o700)  # the token is the pod's: only root (the agent and its processes) reads it
        base = {
            "PATH": f"{self.ee_bin}:{BASE_PATH}",
            "HOME": str(home),
            "HOSTNAME": spec.get("hostname") or meta["name"],
            "LANG": "C.UTF-8",
            "ANSIBLE_COLLECTIONS_PATH": self.collections_path,
            "KUBERNETES_SERVICE_HOST": self.server_host,
            "KUBERNETES_SERVICE_PORT": self.server_port,
            "KUBERNETES_SERVICE_PORT_HTTPS": self.server_port,
            "KUBERNETES_PORT": f"tcp://{self.server_host}:{self.server_port}",
        }
        env = container_env(self.core, pod, container, base, host_ip)
        command = [expand(part, env) for part in container["command"]]
        args = [expand(part, env) for part in container.get("args") or []]
        executable = command[0]
        found = executable if "/" in executable else shutil.which(executable, path=env.get("PATH", BASE_PATH))
        if not found or not os.access(found, os.X_OK):
            raise StartError(f'exec: "{executable}": executable file not found in $PATH')
        cwd = container.get("workingDir") or str(home)
        if not os.path.isdir(cwd):
            raise StartError(f"workingDir {cwd} does not exist on the sandbox host")
        sa_dir = self._service_account(pod)
        argv = [found, *command[1:], *args]
        if sa_dir is not None:
            argv = [
                "unshare",
                "-m",
                "--propagation",
                "private",
                "/bin/sh",
                "-c",
                _MOUNT_SCRIPT,
                "sh",
                str(sa_dir),
                *argv,
            ]
        return argv, env, cwd, sa_dir

    def _service_account(self, pod):
        """The token directory (token, ca.crt, namespace), or None when the pod does not automount a token."""
        meta, spec = pod["metadata"], pod["spec"]
        name = spec.get("serviceAccountName") or spec.get("serviceAccount")
        automount = spec.get("automountServiceAccountToken")
        if not name or automount is False:
            # The sandbox API server runs without the ServiceAccount admission plugin, which would name "default" and
            # add the token volume: a pod that names no account has no token (the API server would not bind one).
            return None
        try:
            account = self.core.read_namespaced_service_account(name, meta["namespace"])
        except ApiException as exc:
            if exc.status == 404:
                raise _MountError(
                    f'MountVolume.SetUp failed for volume "kube-api-access": failed to fetch token: '
                    f'serviceaccounts "{name}" not found'
                ) from None
            raise
        if automount is None:
            automount = account.automount_service_account_token
        if automount is False:
            return None
        body = {
            "spec": {
                "expirationSeconds": TOKEN_SECONDS,
                "boundObjectRef": {"apiVersion": "v1", "kind": "Pod", "name": meta["name"], "uid": meta["uid"]},
            }
        }
        try:
            token = self.core.create_namespaced_service_account_token(name, meta["namespace"], body).status.token
        except ApiException as exc:
            raise _MountError(
                f'MountVolume.SetUp failed for volume "kube-api-access": failed to fetch token: {exc.status} '
                f"{exc.reason}: {_message(exc)}"
            ) from None
        directory = self._pod_dir(meta["uid"]) / "serviceaccount"
        directory.mkdir(parents=True, exist_ok=True)
        directory.chmod(0o755)
        for file, text in (
            ("token", token),
            ("namespace", meta["namespace"]),
            ("ca.crt", Path(self.ca_file).read_text(encoding="ascii")),
        ):
            path = directory / file
            path.write_text(text, encoding="utf-8")
            path.chmod(0o644)
        Path(SA_MOUNT).mkdir(
            parents=True, exist_ok=True
        )  # an empty mount point on the host; mounted in the process only
        return directory

    def _pod_dir(self, uid) -> Path:
        return self.pods_dir / uid

    def _log_path(self, run) -> Path:
        meta = run.pod["metadata"]
        container = run.pod["spec"]["containers"][0]["name"]
        return self.logs_dir / f"{meta['namespace']}_{meta['name']}_{meta['uid']}" / container / f"{run.restarts}.log"

    def _spawn(self, run, argv, env, cwd, sa_dir) -> None:
        log = self._log_path(run)
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "ab") as out:
            run.proc = subprocess.Popen(
                argv,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=env,
                start_new_session=True,
                close_fds=True,
            )
        LOG.info(
            "pod %s/%s: EE container started as host process %d (log %s)", run.key[0], run.key[1], run.proc.pid, log
        )

    # --- running and ending ----------------------------------------------------------------------

    def _wait(self, run, argv, env, cwd, sa_dir) -> None:
        policy = run.pod["spec"].get("restartPolicy") or "Always"
        while True:
            code = run.proc.wait()
            exit_code = code if code >= 0 else 128 - code  # killed by a signal: 128 + its number, as runc reports
            finished = _now()
            reason = "Completed" if exit_code == 0 else "Error"
            message = self._tail(self._log_path(run))
            restart = not run.stopping and (policy == "Always" or (policy == "OnFailure" and exit_code != 0))
            LOG.info(
                "pod %s/%s: EE container exited %d%s",
                run.key[0],
                run.key[1],
                exit_code,
                " (restarting)" if restart else "",
            )
            if not restart:
                break
            run.last_state = {
                "terminated": {
                    "exitCode": exit_code,
                    "reason": reason,
                    "message": message,
                    "startedAt": run.started_at,
                    "finishedAt": finished,
                    "containerID": self._container_id(run),
                }
            }
            delay = min(BACKOFF_SECONDS * 2**run.restarts, BACKOFF_MAX)
            run.restarts += 1
            self._write(
                run.pod,
                self._running_status(
                    run, waiting=("CrashLoopBackOff", f"back-off {delay:.0f}s restarting failed container")
                ),
            )
            time.sleep(delay)
            if run.stopping:
                break
            run.started_at = _now()
            try:
                self._spawn(run, argv, env, cwd, sa_dir)
            except OSError as err:
                exit_code, reason, message, finished = 128, "StartError", f"{argv[0]}: {err}", _now()
                break
            self._write(run.pod, self._running_status(run))
        for timer in run.timers:
            timer.cancel()
        run.done = True
        status = self._terminal_status(
            run.pod, exit_code, reason, message, finished, restarts=run.restarts, started=run.started_at, run=run
        )
        if run.stopping == "DeadlineExceeded":
            status.update(phase="Failed", reason="DeadlineExceeded", message=DEADLINE_MESSAGE)
        self._write(run.pod, status)
        if run.stopping == "DeadlineExceeded":
            self._event(run.pod, "DeadlineExceeded", DEADLINE_MESSAGE, kind="Normal")
        self.requeue(run.key)

    def _stop(self, run, why: str, grace) -> None:
        if run.stopping or run.done:
            return
        run.stopping = why  # a process waiting for its restart back-off is not started again
        if not run.alive():
            return
        grace = 30 if grace is None else int(grace)
        LOG.info("pod %s/%s: stopping its EE process (%s, grace %ss)", run.key[0], run.key[1], why, grace)
        if grace <= 0:
            _signal(run.proc, signal.SIGKILL)
            return
        _signal(run.proc, signal.SIGTERM)
        timer = threading.Timer(float(grace), lambda: run.alive() and _signal(run.proc, signal.SIGKILL))
        timer.daemon = True
        timer.start()

    def _forget(self, uid) -> None:
        with self._lock:
            run = self._runs.pop(uid, None)
        if run is not None:
            run.stopping = run.stopping or "deleted"  # a restart waiting for its back-off does not happen
            for timer in run.timers:
                timer.cancel()
        shutil.rmtree(self._pod_dir(uid), ignore_errors=True)

    @staticmethod
    def _tail(log: Path) -> str:
        try:
            with open(log, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 64 * 1024))
                data = f.read()
        except OSError:
            return ""
        lines = data.decode("utf-8", "replace").splitlines()[-MESSAGE_LINES:]
        return "\n".join(lines)[-MESSAGE_BYTES:]

    # --- status ----------------------------------------------------------------------------------

    @staticmethod
    def _container_id(run) -> str:
        return f"sandbox://{run.uid[:8]}-{run.restarts}-{run.proc.pid if run.proc else 0}"

    def _running_status(self, run, waiting=None) -> dict:
        host_ip = self.host_ip_of(run.pod["spec"].get("nodeName", ""))
        status = running_status(run.pod, host_ip, host_ip)
        [container] = status["containerStatuses"]
        container.update(restartCount=run.restarts, containerID=self._container_id(run))
        if run.last_state:
            container["lastState"] = run.last_state
        if waiting:
            container.update(
                ready=False, started=False, state={"waiting": {"reason": waiting[0], "message": waiting[1]}}
            )
            for condition in status["conditions"]:
                if condition["type"] in ("Ready", "ContainersReady"):
                    condition["status"] = "False"
        else:
            container["state"] = {"running": {"startedAt": run.started_at}}
        return status

    def _terminal_status(self, pod, exit_code, reason, message, finished, restarts, started=None, run=None) -> dict:
        host_ip = self.host_ip_of(pod["spec"].get("nodeName", ""))
        now = _now()
        status = dict(pod.get("status") or {})
        status.pop("reason", None)
        status.pop("message", None)
        started = started or finished
        status.update(
            phase="Succeeded" if exit_code == 0 else "Failed",
            hostIP=host_ip,
            hostIPs=[{"ip": host_ip}],
            podIP=host_ip,
            podIPs=[{"ip": host_ip}],
            startTime=status.get("startTime") or started,
            conditions=[
                {
                    "type": kind,
                    "status": value,
                    "lastProbeTime": None,
                    "lastTransitionTime": now,
                    **({"reason": "PodCompleted"} if kind != "PodScheduled" and value == "False" else {}),
                }
                for kind, value in (
                    ("PodReadyToStartContainers", "False"),
                    ("Initialized", "True"),
                    ("Ready", "False"),
                    ("ContainersReady", "False"),
                    ("PodScheduled", "True"),
                )
            ],
        )
        terminated = {"exitCode": exit_code, "reason": reason, "startedAt": started, "finishedAt": finished}
        if message:
            terminated["message"] = message
        container = pod["spec"]["containers"][0]
        found = {
            "name": container["name"],
            "image": container.get("image", ""),
            "imageID": "",
            "ready": False,
            "started": False,
            "restartCount": restarts,
            "state": {"terminated": terminated},
        }
        if run is not None and run.proc is not None:
            found["containerID"] = terminated["containerID"] = self._container_id(run)
        if run is not None and run.last_state:
            found["lastState"] = run.last_state
        status["containerStatuses"] = [found] + [
            {
                "name": c["name"],
                "image": c.get("image", ""),
                "imageID": "",
                "ready": False,
                "started": False,
                "restartCount": 0,
                "state": {
                    "terminated": {
                        "exitCode": 128,
                        "reason": "StartError",
                        "startedAt": started,
                        "finishedAt": finished,
                    }
                },
            }
            for c in pod["spec"]["containers"][1:]
        ]
        return status

    def _waiting(self, pod, reason, message, event) -> None:
        host_ip = self.host_ip_of(pod["spec"].get("nodeName", ""))
        status = dict(pod.get("status") or {})
        waiting = {"reason": reason, **({"message": message} if message else {})}
        status.update(
            phase="Pending",
            hostIP=host_ip,
            hostIPs=[{"ip": host_ip}],
            startTime=status.get("startTime") or _now(),
            containerStatuses=[
                {
                    "name": c["name"],
                    "image": c.get("image", ""),
                    "imageID": "",
                    "ready": False,
                    "started": False,
                    "restartCount": 0,
                    "state": {"waiting": waiting},
                }
                for c in pod["spec"].get("containers") or []
            ],
        )
        self._write(pod, status)
        self._event(pod, *event)

    def _write(self, pod, status) -> None:
        meta = pod["metadata"]
        body = [
            {"op": "test", "path": "/metadata/uid", "value": meta["uid"]},
            {"op": "replace", "path": "/status", "value": status},
        ]
        try:
            self._pods.status.patch(body=body, name=meta["name"], namespace=meta["namespace"], content_type=JSON_PATCH)
        except Exception as exc:  # noqa: BLE001 - the dynamic client's NotFoundError / UnprocessibleEntityError
            if getattr(exc, "status", None) in (404, 422):
                LOG.info("pod %s/%s: %s", meta["namespace"], meta["name"], PodReplaced(f"gone or re-created: {exc}"))
                return
            raise

    def _event(self, pod, reason, message, kind="Warning") -> None:
        meta = pod["metadata"]
        mark = (meta["uid"], reason, message)
        if mark in self._warned:
            return
        self._warned.add(mark)
        now = _now()
        body = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"generateName": f"{meta['name']}.", "namespace": meta["namespace"]},
            "involvedObject": {
                "apiVersion": "v1",
                "kind": "Pod",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta["uid"],
            },
            "reason": reason,
            "message": message[:1024],
            "type": kind,
            "count": 1,
            "source": {"component": "kubelet", "host": pod["spec"].get("nodeName", "")},
            "firstTimestamp": now,
            "lastTimestamp": now,
            "reportingComponent": "kubelet",
            "reportingInstance": pod["spec"].get("nodeName", ""),
        }
        try:
            self._events.create(body=body, namespace=meta["namespace"])
        except Exception as exc:  # noqa: BLE001 - an event is best effort
            LOG.warning("pod %s/%s: could not record event %s: %s", meta["namespace"], meta["name"], reason, exc)


class _MountError(Exception):
    """The ServiceAccount token cannot be made (no such ServiceAccount): the pod waits in ContainerCreating."""


def _message(exc: ApiException) -> str:
    try:
        return json.loads(exc.body)["message"]
    except (TypeError, ValueError, KeyError):
        return str(exc.body)


def _signal(proc, sig) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
