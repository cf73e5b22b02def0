"""The sandbox's kubectl: the real binary, built with the control plane from the same Go modules and version
(sandbox/controlplane/build.sh, cached by binaries.py), pointed at a sandbox by its kubeconfig.

Three ways in, all from the repository root (docs/sandbox.md):
- ``eval "$(make -s sandbox-env)"`` (``python -m sandbox env``, sandbox/shell.py): exports ``KUBECONFIG`` and puts the
  sandbox's ``bin/`` (``kubectl``, a link to the cached binary, beside the ansible tools) first on ``PATH``; then
  ``kubectl get po -owide``;
- ``make kubectl ARGS="get po -owide"`` (``python -m sandbox kubectl get po -owide``): one command, nothing exported;
- ``make -s sandbox-kubectl`` (``python -m sandbox kubectl-path``): the binary's path, for scripts.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from sandbox.controlplane import binaries


def path(out=sys.stderr) -> Path:
    """The cached kubectl (built first if the cache lacks it)."""
    return binaries.kubectl(out)


def bin_dir(state: dict) -> Path:
    """``<sandbox>/bin``: a directory holding only a ``kubectl`` link to the cached binary, to put on PATH."""
    return Path(state["root"]) / "bin"


def link(state: dict, out=sys.stderr) -> Path:
    """Make (or repoint) ``<sandbox>/bin/kubectl`` at the cached binary; return the link."""
    target = path(out)
    dest = bin_dir(state) / "kubectl"
    dest.parent.mkdir(parents=True, exist_ok=True)
    replace_link(dest, target)
    current = cache_dir(state)
    for old in current.parent.glob("apiserver-*"):  # the caches of earlier starts
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
    return dest


def replace_link(dest: Path, target: Path) -> None:
    """Make dest a symbolic link to target, atomically (a shell running the old link never sees none)."""
    if not (dest.is_symlink() and os.readlink(dest) == str(target)):
        tmp = dest.with_name(f".{dest.name}.tmp")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(dest)


def cache_dir(state: dict) -> Path:
    """kubectl's discovery and HTTP cache for this start of the sandbox (``KUBECACHEDIR``).

    kubectl keeps discovery for 6 hours in ``~/.kube/cache``, keyed by host and port only; sandboxes come and go on
    random loopback ports with different CRDs, so each start (its kube-apiserver process) gets a cache of its own."""
    return Path(state["root"]) / "kubectl-cache" / f"apiserver-{state['pids'].get('kube-apiserver', 0)}"


def env(state: dict, base: dict | None = None) -> dict:
    """An environment in which kubectl talks to the sandbox."""
    return {
        **(os.environ if base is None else base),
        "KUBECONFIG": state["kubeconfig"],
        "KUBECACHEDIR": str(cache_dir(state)),
    }


def run(state: dict, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run the real kubectl against the sandbox; stdout and stderr captured as text, the exit status not checked."""
    return subprocess.run(
        [str(path()), *args], env=env(state), capture_output=True, text=True, check=False, timeout=timeout
    )


def usage(state: dict, out=sys.stderr) -> str:
    """What ``make sandbox-up`` prints: how to run kubectl against this sandbox."""
    kubectl = link(state, out)
    return (
        f"sandbox: kubectl {binaries.versions()['kubernetes']}, built with the control plane: {os.readlink(kubectl)}\n"
        "sandbox: to use it in this shell (kubectl, ansible-playbook and the sandbox's cluster and cloud):\n"
        '    eval "$(make -s sandbox-env)"\n'
        "    kubectl get nodes -owide\n"
        + (
            "    kubectl get podeniips -A\n"
            if state.get("addons", True)
            else "    kubectl get po -A   # bare: no CRDs yet\n"
        )
        + '  or one command at a time:  make kubectl ARGS="get po -A -owide"\n'
        f"  or by hand:                export KUBECONFIG={state['kubeconfig']}; {kubectl} get nodes"
    )
