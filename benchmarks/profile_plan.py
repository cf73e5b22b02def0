"""``python -m benchmarks.profile_plan [-n N] [--pods P] [--pod-prefix 18]``: the pure-Python parts of reclaim and audit
at scale, timed and profiled (cProfile), without the apiserver.

The reclaim benchmark's N reservations and their cloud are seeded into an in-process emulator and read once with the
read model; then, each timed alone and then profiled: plan_reclaim (what run_reclaim plans from its batched read),
the re-check of every due reservation that run_reclaim makes under the subnet lock (reservation_item, one call per
item, here against P live pods, which the sandbox benchmark cannot create cheaply), find_drift and subnet_picture
(what run_audit adds). Timings are reported, never asserted.
"""

import argparse
import cProfile
import io
import pstats
import sys
import time

from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.drift import find_drift, subnet_picture
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.reclaim import (
    LivePods,
    ReclaimOptions,
    plan_reclaim,
    reservation_item,
)
from ansible_collections.ksyun.kce.plugins.module_utils.fixed_ip.snapshot import PodSnapshot
from ansible_collections.ksyun.kce.plugins.module_utils.k8s.kube import utcnow
from ansible_collections.ksyun.kce.plugins.module_utils.ksyun.read_model import CloudReader
from sandbox.ksyun_emulator import Emulator

from . import reclaim
from .common import client_for


def live_pods(count):
    """count running pods in other namespaces with IPs outside the pod subnet (none holds a reservation)."""
    return [
        PodSnapshot(
            namespace="app-%d" % (index % 20),
            name="pod-%d" % index,
            uid="uid-%d" % index,
            node_name="node-%d" % (index % 50),
            pod_ip="10.99.%d.%d" % (index // 250, index % 250 + 1),
        )
        for index in range(count)
    ]


def profiled(name, call, top, out):
    """Time call() once plainly, then once under cProfile, and print the functions with the most own time."""
    start = time.perf_counter()
    call()
    seconds = time.perf_counter() - start
    profile = cProfile.Profile()
    profile.enable()
    call()
    profile.disable()
    text = io.StringIO()
    pstats.Stats(profile, stream=text).sort_stats("tottime").print_stats(top)
    lines = [line for line in text.getvalue().splitlines() if line.strip()]
    start = next(index for index, line in enumerate(lines) if line.lstrip().startswith("ncalls"))
    print("== %s: %.3f s (without the profiler)" % (name, seconds), file=out)
    print("\n".join(lines[start:]), file=out)
    return seconds


def recheck(due, cloud, pods, now, options):
    """As run_reclaim does under a subnet lock: the live pods indexed once, then one decision per due item."""
    live = LivePods(pods)
    return [reservation_item(record, cloud, live, now, reclaim.CLUSTER, options, {}) for record in due]


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_plan", description=__doc__)
    parser.add_argument("-n", type=int, default=10000, help="reservations (default %(default)s)")
    parser.add_argument("--pods", type=int, default=0, help="live pods the re-check sees (default %(default)s)")
    parser.add_argument("--pod-prefix", type=int, default=reclaim.POD_PREFIX, help="default %(default)s")
    parser.add_argument("--top", type=int, default=8, help="functions shown per profile (default %(default)s)")
    args = parser.parse_args(argv)
    out = sys.stdout
    now = utcnow()

    def namespace_of(index):
        return "ns-%d" % (index % reclaim.NAMESPACES)

    records = [reclaim.reservation(index, namespace_of(index), now) for index in range(args.n)]
    due = [record for index, record in enumerate(records) if reclaim.is_due(index)]
    with Emulator(reclaim.topology(args.pod_prefix), settings={"transition_seconds": 0}) as emulator:
        reclaim.seed_cloud(emulator, range(args.n), namespace_of)
        start = time.perf_counter()
        cloud = CloudReader(client_for(emulator)).cloud([reclaim.POD_SUBNET])
        print(
            "N=%d, /%d pod subnet, %d ENIs, %d live pods; cloud read %.2f s (the in-process emulator included)"
            % (args.n, args.pod_prefix, len(cloud.enis), args.pods, time.perf_counter() - start),
            file=out,
        )
    pods = live_pods(args.pods)
    options = ReclaimOptions()
    profiled(
        "plan_reclaim",
        lambda: plan_reclaim(records, cloud, pods, now, reclaim.CLUSTER, options, {}),
        args.top,
        out,
    )
    profiled(
        "re-check of %d due items (reservation_item each)" % len(due),
        lambda: recheck(due, cloud, pods, now, options),
        args.top,
        out,
    )
    profiled("find_drift", lambda: find_drift(records, cloud, pods, now, reclaim.CLUSTER, {}, {}), args.top, out)
    profiled("subnet_picture", lambda: [subnet_picture(s, cloud, records) for s in cloud.subnets], args.top, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
