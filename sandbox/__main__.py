"""python -m sandbox build|up [--bare]|down|status|kubeconfig — the local KCE stand-in.

up installs the cluster add-ons (sandbox/addons.py); up --bare leaves them out (no CRDs, ConfigMap,
NetworkAttachmentDefinition or DaemonSets: pods on the nodes stay ContainerCreating)."""

import argparse
import sys

from sandbox.controlplane import binaries, cluster


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("command", choices=("build", "up", "down", "status", "kubeconfig"))
    parser.add_argument("--bare", action="store_true", help="up: without the add-ons (a new cluster before the roles)")
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(binaries.ensure_built())
        elif args.command == "up":
            print(cluster.up(addons=not args.bare)["kubeconfig"])
        elif args.command == "down":
            cluster.down()
        elif args.command == "status":
            return cluster.status()
        else:
            state = cluster.read_state()
            if not state:
                print("sandbox: not running; start it with `make sandbox-up`", file=sys.stderr)
                return 1
            print(state["kubeconfig"])
    except (cluster.SandboxError, RuntimeError) as e:
        print(f"sandbox: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
