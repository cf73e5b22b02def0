"""python -m sandbox.node_agent --kubeconfig FILE --nodes FILE --ksyun-endpoint HOST:PORT: kubelet and vpc-cni for the sandbox nodes."""

import argparse
import json
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from kubernetes import client, config, dynamic

from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.client import KsyunClient
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.retry import RetryPolicy
from sandbox.node_agent.devices import RESYNC_SECONDS, DevicePlugin
from sandbox.node_agent.nodes import NodeSpec, heartbeat, register
from sandbox.node_agent.pods import PodController
from sandbox.paths import collections_root

HEARTBEAT_SECONDS = 10.0
EE_BIN_VARIABLE = "KSYUN_KCE_EE_BIN"  # the venv's bin directory, first on the EE processes' PATH
EE_COLLECTIONS_VARIABLE = "KSYUN_KCE_EE_COLLECTIONS_PATH"  # their ANSIBLE_COLLECTIONS_PATH


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.node_agent", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--nodes", required=True, help="JSON file: a list of node specs")
    parser.add_argument("--ksyun-endpoint", required=True, help="host:port of the KSYUN API (the sandbox's emulator)")
    parser.add_argument("--workers", type=int, default=4, help="pods handled concurrently (one at a time per node)")
    parser.add_argument(
        "--device-resync-seconds",
        type=float,
        default=RESYNC_SECONDS,
        help="how often the device plugin reads the nodes' ENIs from the cloud besides after binds and releases",
    )
    parser.add_argument(
        "--pods-dir",
        help="per-pod directories of the EE pods run as host processes (token, HOME); default: pods/ beside --nodes",
    )
    parser.add_argument(
        "--pod-logs-dir",
        help="the EE pods' container logs (<ns>_<pod>_<uid>/<container>/<restarts>.log); "
        "default: logs/pods/ beside --nodes",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s node-agent %(levelname)s %(message)s")
    logging.getLogger("kubernetes").setLevel(logging.WARNING)
    with open(args.nodes, encoding="utf-8") as f:
        specs = [NodeSpec(**n) for n in json.load(f)]
    api = config.new_client_from_config(config_file=args.kubeconfig)
    core, coord = client.CoreV1Api(api), client.CoordinationV1Api(api)
    for spec in specs:
        register(core, spec)
        logging.info("registered node %s (instance %s, zone %s)", spec.name, spec.instance_id, spec.zone)
    region = specs[0].region if specs else "cn-beijing-6"

    def cloud(access_key_id="sandbox"):
        # The emulator checks that requests are signed, not the signature: any key pair will do; its counters keep
        # the callers apart by the access key id.
        return KsyunClient(
            access_key_id=access_key_id,
            secret_access_key="sandbox",
            region=region,
            endpoint=f"http://{args.ksyun_endpoint}",
            retry=RetryPolicy(attempts=3, base_delay=0.2, max_delay=1.0),
        )

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, lambda signum, frame: stop.set())
    kube = dynamic.DynamicClient(api)
    devices = DevicePlugin(core, kube, cloud, specs, stop, resync=args.device_resync_seconds)
    state = Path(args.nodes).resolve().parent
    # The EE pods' processes find the collection's venv (ansible-playbook, the kubernetes client) and this checkout
    # as the EE image would hold them: from the agent's environment (sandbox/controlplane/cluster.py sets both).
    host_processes = {
        "pods_dir": args.pods_dir or state / "pods",
        "logs_dir": args.pod_logs_dir or state / "logs" / "pods",
        "ee_bin": os.environ.get(EE_BIN_VARIABLE) or Path(sys.executable).parent,
        "collections_path": os.environ.get(EE_COLLECTIONS_VARIABLE) or collections_root(),
    }
    pods = PodController(
        kube,
        cloud,
        {s.name: s for s in specs},
        stop,
        workers=args.workers,
        cloud_changed=devices.changed,
        host_processes=host_processes,
    )
    pods.start()
    devices.start()
    while not stop.wait(HEARTBEAT_SECONDS):
        for spec in specs:
            try:
                heartbeat(core, coord, spec)
            except Exception as e:  # noqa: BLE001 - a missed beat is retried on the next tick
                logging.warning("heartbeat for %s failed: %s", spec.name, e)
    logging.info("stopping")
    pods.host_processes.stop_all()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
