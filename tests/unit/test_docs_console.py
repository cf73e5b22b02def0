"""The docs' console blocks (tests/docs_console.py): each is run by tests/sandbox/test_docs_commands.py or named, with
why, in NOT_RUN; and the shape a shown line must have in a run (what may differ, what may not). No server needed."""

import ast
import re

from docs_console import NOT_RUN, Block, Command, all_blocks, blocks, missing_lines, shape
from sandbox.paths import REPO_ROOT

RUNNER = REPO_ROOT / "tests" / "sandbox" / "test_docs_commands.py"


def _tests_in_runner():
    tree = ast.parse(RUNNER.read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")}


def _runs(test: str, block: Block) -> bool:
    """docs/fixed-ip.md#1 is run by test_fixed_ip_1; a page's blocks 1 to 7 together by test_reclaim_1_to_7."""
    page = re.sub(r"\W", "_", block.page.rsplit("/", 1)[-1][: -len(".md")])
    match = re.fullmatch(r"test_%s_(\d+)(?:_to_(\d+))?" % re.escape(page), test)
    return bool(match) and int(match.group(1)) <= block.number <= int(match.group(2) or match.group(1))


def test_every_console_block_is_run_or_named_as_not_run():
    found = {block.name: block for block in all_blocks()}
    assert len(found) >= 20, sorted(found)
    tests = _tests_in_runner()
    run = {name for name, block in found.items() if any(_runs(test, block) for test in tests)}
    assert set(NOT_RUN) <= set(found), "NOT_RUN names blocks no page has: %s" % sorted(set(NOT_RUN) - set(found))
    unclassified = sorted(set(found) - run - set(NOT_RUN))
    assert not unclassified, (
        "console blocks neither run by tests/sandbox/test_docs_commands.py nor named in tests/docs_console.py "
        "NOT_RUN: %s; add test_<page>_<n> there, or say here why it cannot run" % unclassified
    )
    assert not run & set(NOT_RUN), "both run and listed as not run: %s" % sorted(run & set(NOT_RUN))
    assert {"docs/sandbox.md#1", "docs/fixed-ip.md#1", "docs/reclaim.md#1", "docs/reclaim.md#7"} <= run
    assert not _runs("test_reclaim_1_to_7", found["docs/sandbox.md#1"]) and not _runs(
        "test_sandbox_1", found["docs/sandbox.md#2"]
    )


def test_a_block_is_split_into_commands_with_their_here_documents_and_shown_lines(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "text\n```console\n$ kubectl apply -f - <<'EOF'\nkind: Pod\n$ not a command\nEOF\npod/db-0 created\n"
        "$ kubectl get po \\\n    -owide\nNAME READY\n...\n```\n```yaml\n$ x\n```\n"
    )
    (block,) = blocks(page)
    assert block.commands == [
        Command("kubectl apply -f - <<'EOF'\nkind: Pod\n$ not a command\nEOF", ["pod/db-0 created"]),
        Command("kubectl get po \\\n    -owide", ["NAME READY", "..."]),
    ]


def test_ids_ips_times_ages_and_paths_may_differ_but_no_word_may():
    shown = "10.0.0.236   10.0.0.236   82e2e662-f728-44fa-8248-5e3a0a5d2f34   10.0.0.47   Bound                0s"
    assert shape(shown).search(
        "10.0.3.7     10.0.3.7     0b6ef8a4-1c2d-4e5f-8a9b-0c1d2e3f4a5b   10.0.1.20   Bound                2m30s"
    )
    assert not shape(shown).search(
        "10.0.3.7     10.0.3.7     0b6ef8a4-1c2d-4e5f-8a9b-0c1d2e3f4a5b   10.0.1.20   Reserved             2m30s"
    )
    assert not shape(shown).search("10.0.3.7   10.0.3.7   10.0.1.20   Bound   0s"), "a missing ENI id is a difference"
    released = "PodEniIP   10.0.0.4     10.0.0.4     Reserved   2026-11-21T14:53:45Z   2026-11-28T14:53:45Z"
    assert shape(released).search("PodEniIP 10.0.0.9 10.0.0.9 Reserved 2026-12-07T22:01:02Z 2026-12-14T22:01:02Z")
    usage = "  or by hand:  export KUBECONFIG=/root/.cache/ksyun-kce/sandbox/bd59a13dd2/kubeconfig; /x/bin/kubectl get nodes"
    assert shape(usage).search(
        "  or by hand: export KUBECONFIG=/tmp/sb-gw1/kubeconfig; /tmp/sb-gw1/bin/kubectl get nodes"
    )
    assert not shape(usage).search("  or by hand: export KUBECONFIG=/tmp/sb/kubeconfig; /tmp/sb/bin/kubectl get pods")


def test_the_shown_lines_must_appear_in_order_with_elisions_between():
    shown = ["NAME   STATUS", "...", "db-0   Running"]
    assert missing_lines(shown, "warning: x\nNAME   STATUS\nweb-0  Running\ndb-0   Running\n") is None
    assert missing_lines(shown, "db-0   Running\nNAME   STATUS\n") == "db-0   Running"
    assert missing_lines(["pod/db-0 created"], "pod/db-0 configured") == "pod/db-0 created"
    assert missing_lines(["Bound"], "Unbound") == "Bound", "a shown word matches whole words only"


def test_counts_must_be_the_pages_and_a_wrapped_line_matches_the_one_line_printed():
    recap = "localhost                  : ok=3    changed=0    unreachable=0    failed=0"
    assert missing_lines([recap], "localhost : ok=3 changed=0 unreachable=0 failed=0 skipped=0\n") is None
    assert missing_lines([recap], "localhost : ok=3 changed=1 unreachable=0 failed=0 skipped=0\n") == recap
    assert missing_lines(['"DescribeSubnets": 1'], '"DescribeSubnets": 2,') == '"DescribeSubnets": 1'
    wrapped = [
        'fatal: [localhost]: FAILED! => {"msg": "IP 10.0.0.6 (PodEniIP shop/10.0.0.6): pod shop/cache-0',
        "(uid x) is running",
    ]
    assert (
        missing_lines(
            wrapped,
            'fatal: [localhost]: FAILED! => {"msg": "IP 10.0.0.9 (PodEniIP shop/10.0.0.9): pod shop/cache-0 (uid x) is running and uses it"}',
        )
        is None
    )
