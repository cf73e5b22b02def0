"""The crash sweep: kill -9 of ansible-playbook at every cloud write of pre-provision and manual reclaim, before and
after the write ran (tests/integration/fixed_ip/test_crash_points.py with KSYUN_KCE_CRASH_POINTS=all), each followed
by a rerun and the audit. Prints one row per point and writes them to a JSON file; docs/reliability.md has the last
figures. About 30-60 s a point (a kill that held a subnet Lease makes the rerun wait for its 30 s expiry)."""

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEST = "tests/integration/fixed_ip/test_crash_points.py"


def table(rows):
    """The points as a Markdown table (what docs/reliability.md shows)."""
    lines = [
        "| phase | write | killed | Lease held by the killed run | rerun exit | rerun writes | leaks | seconds |",
        "|---|---:|---|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            "| %s | %d | %s | %s | %d | %d | %d | %.1f |"
            % (
                r["phase"],
                r["write"],
                "before it ran" if r["mode"] == "hang" else "after it ran",
                "yes, taken over" if r.get("lease_held_by_killed_run") else "no",
                r["rerun_rc"],
                r["rerun_writes"],
                r["leaks"],
                r["seconds"],
            )
        )
    return "\n".join(lines)


def run(json_path=None):
    """Run the sweep; returns (rows, pytest exit status)."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "points.jsonl"
        env = dict(os.environ, KSYUN_KCE_CRASH_POINTS="all", KSYUN_KCE_CRASH_RESULTS=str(results))
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "hack/run_pytest.py", TEST, "-q", "-k", "killed_at_a_write"],
            cwd=REPO,
            env=dict(env, KSYUN_KCE_COVERAGE="0"),
            check=False,
        )
        seconds = time.monotonic() - started
        rows = [json.loads(line) for line in results.read_text().splitlines()] if results.exists() else []
    print("| phase | write | kill | killed | rerun rc | rerun writes | leaks | seconds |")
    print("|---|---:|---|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            "| %s | %d | %s | %s | %d | %d | %d | %.1f |"
            % (
                r["phase"],
                r["write"],
                r["mode"],
                r["killed"],
                r["rerun_rc"],
                r["rerun_writes"],
                r["leaks"],
                r["seconds"],
            )
        )
    print("%d points passed (pytest exit %d) in %.0f s" % (len(rows), proc.returncode, seconds))
    if json_path:
        Path(json_path).write_text(
            json.dumps({"points": rows, "pytest_exit": proc.returncode, "seconds": seconds}, indent=1)
        )
        print("rows written to %s" % json_path)
    return rows, proc.returncode


if __name__ == "__main__":
    sys.exit(run(sys.argv[1] if len(sys.argv) > 1 else None)[1])
