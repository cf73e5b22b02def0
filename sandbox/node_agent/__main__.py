"""python -m sandbox.node_agent --kubeconfig FILE --nodes FILE: register the sandbox nodes, keep them Ready."""

import argparse
import json
import logging
import signal
import threading

from kubernetes import client, config

from sandbox.node_agent.nodes import NodeSpec, heartbeat, register
from sandbox.node_agent.pods import finish_deletions

HEARTBEAT_SECONDS = 10.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.node_agent", description=__doc__)
    parser.add_argument("--kubeconfig", required=True)
    parser.add_argument("--nodes", required=True, help="JSON file: a list of node specs")
    parser.add_argument("--ksyun-endpoint", help="host:port of the KSYUN API (the sandbox's emulator)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s node-agent %(levelname)s %(message)s")
    with open(args.nodes, encoding="utf-8") as f:
        specs = [NodeSpec(**n) for n in json.load(f)]
    api = config.new_client_from_config(config_file=args.kubeconfig)
    core, coord = client.CoreV1Api(api), client.CoordinationV1Api(api)
    for spec in specs:
        register(core, spec)
        logging.info("registered node %s (instance %s, zone %s)", spec.name, spec.instance_id, spec.zone)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=finish_deletions, args=(core, [s.name for s in specs], stop), daemon=True).start()
    while not stop.wait(HEARTBEAT_SECONDS):
        for spec in specs:
            try:
                heartbeat(core, coord, spec)
            except Exception as e:  # noqa: BLE001 - a missed beat is retried on the next tick
                logging.warning("heartbeat for %s failed: %s", spec.name, e)
    logging.info("stopping")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
