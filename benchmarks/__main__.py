"""``python -m benchmarks [--quick] [--repeats N] [--only PART] [--json PATH]``: run the benchmarks and print one table.

The same rows (with the API calls by kind where a benchmark counts them) are written to a JSON file, whose path is
printed, so that later runs can be compared with this one.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

from sandbox.paths import cache_root

from . import cloud, flows, provision, reclaim, storm
from .common import table

PARTS = ("cloud", "flows", "reclaim", "storm", "provision")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument(
        "--repeats", type=int, default=None, help="repeats per benchmark (median reported); default 5, 3 with --quick"
    )
    parser.add_argument(
        "--skip-flows",
        action="store_true",
        help="skip what needs the local control plane (the bind/release cycle, reclaim/audit, storm, pre-provision)",
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only this part (repeat the option for several)"
    )
    parser.add_argument(
        "--reclaim-sizes",
        type=int,
        nargs="+",
        default=None,
        help="reservations per reclaim/audit benchmark; default 100 1000 10000, 100 1000 with --quick",
    )
    parser.add_argument(
        "--naive-sizes",
        type=int,
        nargs="*",
        default=None,
        help="the sizes at which the naive ansible loop is measured too (default 100 1000; none: skip it)",
    )
    parser.add_argument(
        "--audit-naive-sizes",
        type=int,
        nargs="*",
        default=None,
        help="the sizes at which the naive audit (one fixed_ip_info task per record, at most %d, the rest "
        "extrapolated) runs too (default: the reclaim sizes; none: skip it)" % reclaim.NAIVE_AUDIT_ITEMS,
    )
    parser.add_argument(
        "--pod-prefix",
        type=int,
        default=reclaim.POD_PREFIX,
        help="prefix length of the reclaim benchmark's pod subnet (default %(default)s; 16 for a big cluster's)",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        default=None,
        help="run the reclaim benchmark's concurrency-1 run under cProfile and keep the stats in DIR",
    )
    parser.add_argument(
        "--storm-size",
        type=int,
        default=None,
        help="fixed-IP StatefulSet pods per pod storm; default 100, 20 with --quick",
    )
    parser.add_argument(
        "--storm-modes", nargs="+", choices=("shared", "exclusive"), default=["shared", "exclusive"], help="ENI modes"
    )
    parser.add_argument(
        "--provision-sizes",
        type=int,
        nargs="+",
        default=None,
        help="reservations per pre-provision task; default 100 1000 10000, 100 1000 with --quick",
    )
    parser.add_argument(
        "--provision-naive-sizes",
        type=int,
        nargs="*",
        default=None,
        help="the sizes at which the naive pre-provision loop runs too (default 100; none: skip it)",
    )
    parser.add_argument("--json", default=None, help="where to write the rows (default: a new file in the cache)")
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    sizes = (10, 100) if args.quick else (10, 100, 1000)
    reclaim_sizes = args.reclaim_sizes or ((100, 1000) if args.quick else (100, 1000, 10000))
    naive_sizes = (100, 1000) if args.naive_sizes is None else args.naive_sizes
    audit_naive_sizes = reclaim_sizes if args.audit_naive_sizes is None else args.audit_naive_sizes
    storm_size = args.storm_size or (20 if args.quick else 100)
    provision_sizes = args.provision_sizes or ((100, 1000) if args.quick else (100, 1000, 10000))
    provision_naive = (100,) if args.provision_naive_sizes is None else args.provision_naive_sizes
    parts = set(args.only or PARTS)
    if args.skip_flows:
        parts -= {"flows", "reclaim", "storm", "provision"}
    latencies = (0, 20)
    started = time.monotonic()
    rows = []
    if "cloud" in parts:
        rows += cloud.run(sizes, repeats)
    if "flows" in parts:
        rows += flows.run(latencies, repeats)
    if "reclaim" in parts:
        if args.profile:
            Path(args.profile).mkdir(parents=True, exist_ok=True)
        rows += reclaim.run(
            reclaim_sizes, naive_sizes, args.pod_prefix, args.profile, audit_naive_sizes=audit_naive_sizes
        )
    if "storm" in parts:
        rows += storm.run(storm_size, latencies, args.storm_modes)
    if "provision" in parts:
        rows += provision.run(provision_sizes, provision_naive)
    print(table(rows))
    machine = "%s, %d cores, Python %s" % (time.strftime("%Y-%m-%d"), os.cpu_count() or 0, platform.python_version())
    total = time.monotonic() - started
    print(
        "\n%s, %d repeats per cloud/flow benchmark (median; reclaim/audit, storm, pre-provision rows: one run each), "
        "total %.0f s; "
        "reads/writes: KSYUN API calls counted by the emulator in one repeat; K8s requests: the dynamic client's"
        % (machine, repeats, total)
    )
    path = Path(args.json) if args.json else cache_root() / "bench" / ("bench-%s.json" % time.strftime("%Y%m%d-%H%M%S"))
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "machine": machine,
        "argv": sys.argv[1:] if argv is None else list(argv),
        "repeats": repeats,
        "total_seconds": round(total, 1),
        "rows": [row.as_json() for row in rows],
    }
    path.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print("rows written to %s" % path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
