"""``python -m sandbox.ksyun_emulator --topology FILE [--listen 127.0.0.1:0] [--state-file F] [--settings k=v ...]
[--kubeconfig PATH] [--platform-kubeconfig PATH]``."""

import argparse
import signal
import sys
import threading
from pathlib import Path

from .emulator import Emulator
from .faults import FaultConfig
from .settings import parse_pairs
from .topology import TopologyError

DEFAULT_TOPOLOGY = Path(__file__).resolve().parent.parent / "topologies" / "default.yml"
_FAULT_KEYS = set(FaultConfig.__dataclass_fields__)


def _listen(text):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise argparse.ArgumentTypeError("--listen needs HOST:PORT (e.g. 127.0.0.1:0), got %r" % text)
    return host.strip("[]"), int(port)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m sandbox.ksyun_emulator", description="Local KSYUN VPC/KEC/EIP/KCE API emulator."
    )
    parser.add_argument("--topology", default=str(DEFAULT_TOPOLOGY), help="topology YAML (default: %(default)s)")
    parser.add_argument(
        "--listen",
        type=_listen,
        default=("127.0.0.1", 0),
        help="loopback HOST:PORT (default 127.0.0.1:0 = any free port)",
    )
    parser.add_argument("--state-file", help="save state here after every change and load it at start")
    parser.add_argument(
        "--settings",
        nargs="*",
        action="extend",
        default=[],
        metavar="K=V",
        help="behaviour settings and fault settings (see docs/sandbox.md)",
    )
    parser.add_argument(
        "--kubeconfig", help="the sandbox kubeconfig that kce DownloadClusterConfig hands out (self-contained)"
    )
    parser.add_argument(
        "--platform-kubeconfig",
        help="act as the sandbox's KCE platform: a kce2 ModifyCluster VpcCNI change is applied to this cluster "
        "(sandbox.platform.reconcile_vpc_cni)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        pairs = parse_pairs(args.settings)
        faults = {k: v for k, v in pairs.items() if k in _FAULT_KEYS}
        settings = {k: v for k, v in pairs.items() if k not in _FAULT_KEYS}
        emu = Emulator(
            args.topology,
            settings=settings,
            faults=faults,
            state_file=args.state_file,
            host=args.listen[0],
            port=args.listen[1],
            verbose=args.verbose,
            kubeconfig=args.kubeconfig,
            platform_kubeconfig=args.platform_kubeconfig,
        )
        emu.start()
    except (ValueError, TopologyError, OSError) as exc:
        parser.exit(2, "ksyun emulator: %s\n" % exc)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sys.stdout.write("ksyun emulator listening on %s (region %s)\n" % (emu.url, emu.state.data["region"]))
    sys.stdout.flush()
    stop.wait()
    emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
