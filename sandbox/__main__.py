"""python -m sandbox build [--argocd]|up [--bare] [--argocd]|down|status|kubeconfig|env|kubectl-path|kubectl ARGS...
— the local KCE stand-in.

up installs the cluster add-ons (sandbox/addons.py); up --bare leaves them out (no CRDs, ConfigMap,
NetworkAttachmentDefinition or DaemonSets: pods on the nodes stay ContainerCreating). up --argocd also starts a real
Argo CD beside it (sandbox/argocd/run.py: redis, argocd-repo-server, argocd-application-controller, namespace argocd),
on a sandbox already running too; build --argocd builds Argo CD as well. down stops everything.

kubectl is the real binary built with the control plane (sandbox/kubectl.py): ``kubectl ARGS...`` runs it once against
the sandbox, ``kubectl-path`` prints where it is. ``env`` prints the shell lines that point a shell at the running
sandbox (``eval "$(python -m sandbox env)"``, sandbox/shell.py): kubectl, and ansible-playbook/ansible/ansible-doc with
this checkout as ksyun.kce, the sandbox's kubeconfig, KSYUN emulator and fake credentials."""

import argparse
import os
import sys

from sandbox import kubectl, shell
from sandbox.argocd import binaries as argocd_binaries
from sandbox.argocd import run as argocd_run
from sandbox.controlplane import binaries, cluster


def _state() -> dict:
    """The sandbox's state (also while a component is down, so kubectl can look at what is left)."""
    state = cluster.read_state()
    if not state:
        raise cluster.SandboxError("not running; start it with `make sandbox-up`")
    return state


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["kubectl"]:  # everything after it is kubectl's, flags included
        try:
            state = _state()
            binary = kubectl.path()
        except (cluster.SandboxError, RuntimeError) as e:
            print(f"sandbox: {e}", file=sys.stderr)
            return 1
        os.execve(binary, [str(binary), *argv[1:]], kubectl.env(state))
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument(
        "command", choices=("build", "up", "down", "status", "kubeconfig", "env", "kubectl-path", "kubectl")
    )
    parser.add_argument("--bare", action="store_true", help="up: without the add-ons (a new cluster before the roles)")
    parser.add_argument(
        "--argocd", action="store_true", help="up: start Argo CD too; build: build Argo CD too (docs/sandbox.md)"
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(binaries.ensure_built())
            if args.argocd:
                print(argocd_binaries.ensure_built())
        elif args.command == "up":
            state = cluster.up(addons=not args.bare)
            if args.argocd:
                state = argocd_run.up(state)
            print(kubectl.usage(state), file=sys.stderr)
            print(state["kubeconfig"])
        elif args.command == "down":
            cluster.down()
        elif args.command == "status":
            return cluster.status()
        elif args.command == "kubectl-path":
            print(kubectl.path())
        elif args.command == "env":
            print(shell.exports(_state()), end="")
        else:
            print(_state()["kubeconfig"])
    except (cluster.SandboxError, RuntimeError) as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
