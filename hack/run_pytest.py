"""Run pytest under coverage.py and report the line and branch coverage of plugins/module_utils.

Fails when pytest fails, when it collected nothing (pytest's exit 5 must not pass as green), and, on a run of the
whole suite (no arguments), when the LINE coverage is below ``fail_under_lines`` of .coveragerc. A subset run
(``make pytest PYTEST_ARGS=...``) prints the report but enforces no threshold: a subset covers less by design.

Besides pytest itself, two kinds of subprocess record: the sandbox's node agent, when this session starts the sandbox
(sandbox/controlplane/cluster.py runs it under ``coverage run`` when KSYUN_KCE_COVERAGE_RCFILE is set), and every
module ansible-playbook runs (ansible-core's AnsiballZ coverage extension, _ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG).
KSYUN_KCE_COVERAGE=0 runs plain pytest (no coverage, no threshold).

A run of the whole suite goes on ``KSYUN_KCE_PYTEST_WORKERS`` pytest-xdist workers (default 2, one per core of the CI
machine; 1 runs in this process), in the order tests/conftest.py gives (``--dist loadgroup --no-loadscope-reorder``:
the slowest files first, then test by test as workers free up; xdist's default reorder would put the molecule
scenarios last), each worker with a sandbox of its own (tests/conftest.py), and prints the 30 slowest steps (``--durations=30``).
"""

import configparser
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RCFILE = REPO / ".coveragerc"
sys.path.insert(0, str(REPO))

from sandbox.paths import cache_root, repo_key, state_dir  # noqa: E402  pylint: disable=wrong-import-position


def pytest_rc(rc: int) -> int:
    """pytest's exit status, except that collecting no test (5) is a plain failure here."""
    if rc == 5:
        print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return 1
    return rc


def sandbox_running() -> bool:
    """Whether a sandbox of this checkout is already up (then its node agent runs without coverage)."""
    try:
        pids = json.loads((state_dir() / "state.json").read_text())["pids"].values()
    except (OSError, ValueError, KeyError):
        return False
    return any(Path(f"/proc/{pid}").exists() for pid in pids)


def combine(data_dir: Path) -> tuple:
    """Combine the data of pytest, the node agent and the AnsiballZ modules into data_dir/.coverage; return the JSON
    report and the number of AnsiballZ module runs."""
    import coverage  # pylint: disable=import-outside-toplevel

    cov = coverage.Coverage(config_file=str(RCFILE))
    # pytest and the node agent write .coverage.*; AnsiballZ names its files ansiballz=python-3.11=coverage.*.
    processes, modules = len(list(data_dir.glob(".coverage.*"))), sorted(map(str, data_dir.glob("ansiballz=*")))
    print(
        f"coverage: combining the data of {processes} processes (pytest, the node agent if this session started the sandbox)"
        f" and {len(modules)} AnsiballZ module runs"
    )
    cov.combine(data_paths=[str(data_dir), *modules])
    cov.save()
    cov.json_report(outfile=str(data_dir / "coverage.json"))
    return json.loads((data_dir / "coverage.json").read_text()), len(modules)


def fail_under_lines() -> float:
    """The line threshold: .coveragerc's [ksyun_kce] fail_under_lines (coverage.py ignores that section)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(RCFILE, encoding="utf-8")
    return config.getfloat("ksyun_kce", "fail_under_lines")


def pct(part: int, whole: int) -> float:
    return 100.0 * part / whole if whole else 100.0


def print_report(report: dict) -> dict:
    """Per file and in total: statements, line %, branches, branch %, and coverage.py's combined figure."""
    head = f"{'plugins/module_utils/':48} {'stmts':>6} {'miss':>5} {'line%':>6} {'branch':>6} {'brmiss':>6} {'br%':>6} {'cover%':>6}"
    rule = "-" * len(head)
    print("\n".join(["", head, rule]))
    rows = [(name.removeprefix("plugins/module_utils/"), f["summary"]) for name, f in sorted(report["files"].items())]
    for name, s in rows + [("TOTAL", report["totals"])]:
        if name == "TOTAL":
            print(rule)
        branch_pct = "%.1f" % pct(s["covered_branches"], s["num_branches"]) if s["num_branches"] else "-"
        print(
            f"{name:48} {s['num_statements']:6} {s['missing_lines']:5} {pct(s['covered_lines'], s['num_statements']):6.1f}"
            f" {s['num_branches']:6} {s['num_branches'] - s['covered_branches']:6} {branch_pct:>6} {s['percent_covered']:6.1f}"
        )
    return report["totals"]


def whole_suite_options() -> list:
    """pytest options of a whole-suite run: the workers (see the module docstring) and the slowest steps."""
    workers = int(os.environ.get("KSYUN_KCE_PYTEST_WORKERS", "2"))
    options = ["--durations=30"]
    if workers > 1:
        options += ["-n", str(workers), "--dist", "loadgroup", "--no-loadscope-reorder"]
    return options


def main(args: list) -> int:
    os.chdir(REPO)  # .coveragerc's source is relative to the repository root
    options = args or whole_suite_options()
    if os.environ.get("KSYUN_KCE_COVERAGE") == "0":
        return pytest_rc(subprocess.call([sys.executable, "-m", "pytest", *options]))
    data_dir = cache_root() / "coverage" / repo_key()
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    os.environ.update(
        {
            "KSYUN_KCE_COVERAGE_DIR": str(data_dir),
            "KSYUN_KCE_COVERAGE_RCFILE": str(RCFILE),
            "_ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG": json.dumps(
                {"config": str(RCFILE), "output": str(data_dir / "ansiballz")}
            ),
        }
    )
    # Workers (-n) start sandboxes of their own, whose node agents record; one process reuses a running sandbox.
    agent_unmeasured = sandbox_running() and "-n" not in options
    rc = pytest_rc(
        subprocess.call([sys.executable, "-m", "coverage", "run", f"--rcfile={RCFILE}", "-m", "pytest", *options])
    )
    try:
        report, module_runs = combine(data_dir)
        totals = print_report(report)
    except Exception as exc:  # noqa: BLE001 - coverage.py's NoDataError and the like: no report, say why
        print(f"coverage: no report ({type(exc).__name__}: {exc})", file=sys.stderr)
        return rc or 1
    line = pct(totals["covered_lines"], totals["num_statements"])
    print(
        f"coverage of plugins/module_utils: lines {line:.1f}% ({totals['covered_lines']}/{totals['num_statements']}),"
        f" branches {pct(totals['covered_branches'], totals['num_branches']):.1f}%"
        f" ({totals['covered_branches']}/{totals['num_branches']}), combined {totals['percent_covered']:.1f}%"
        f" (coverage.py's figure); data in {data_dir} (.coverage, coverage.json)"
    )
    if not args and not module_runs:
        print(
            "coverage: no AnsiballZ data although tests/integration ran ansible-playbook: has ansible-core's coverage"
            " extension (_ANSIBLE_ANSIBALLZ_COVERAGE_CONFIG) changed?"
        )
    if agent_unmeasured:
        print(
            "coverage: the sandbox was already running, so its node agent (the flows) was not measured;"
            " `make sandbox-down` first for the full figure"
        )
    fail_under = fail_under_lines()
    if args:
        print(
            f"coverage: a subset ran (pytest {' '.join(args)}): the line threshold ({fail_under:g}%) applies to the whole suite only"
        )
    elif line < fail_under:
        print(
            f"coverage: FAIL, line coverage {line:.1f}% is below the threshold {fail_under:g}% (.coveragerc fail_under_lines)"
        )
        rc = rc or 1
    else:
        print(f"coverage: line coverage {line:.1f}% meets the threshold {fail_under:g}% (.coveragerc fail_under_lines)")
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
