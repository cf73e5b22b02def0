"""python -m sandbox build|up|down|status|kubeconfig — the local KCE stand-in."""

import argparse
import sys

from sandbox.controlplane import binaries, cluster


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("command", choices=("build", "up", "down", "status", "kubeconfig"))
    args = parser.parse_args(argv)
    try:
        if args.command == "build":
            print(binaries.ensure_built())
        elif args.command == "up":
            print(cluster.up()["kubeconfig"])
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
