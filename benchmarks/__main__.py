"""``python -m benchmarks [--quick] [--repeats N] [--skip-flows]``: run the benchmarks and print one table."""

import argparse
import os
import platform
import sys
import time

from . import cloud, flows
from .common import table


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats")
    parser.add_argument(
        "--repeats", type=int, default=None, help="repeats per benchmark (median reported); default 5, 3 with --quick"
    )
    parser.add_argument(
        "--skip-flows", action="store_true", help="skip the bind/release cycle (it needs the local control plane)"
    )
    args = parser.parse_args(argv)
    repeats = args.repeats or (3 if args.quick else 5)
    sizes = (10, 100) if args.quick else (10, 100, 1000)
    latencies = (0, 20)
    started = time.monotonic()
    rows = cloud.run(sizes, repeats)
    if not args.skip_flows:
        rows += flows.run(latencies, repeats)
    print(table(rows))
    print(
        "\n%s, %d cores, Python %s, %d repeats per benchmark (median), total %.0f s; reads/writes: KSYUN API calls counted by the emulator "
        "in one repeat"
        % (
            time.strftime("%Y-%m-%d"),
            os.cpu_count() or 0,
            platform.python_version(),
            repeats,
            time.monotonic() - started,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
