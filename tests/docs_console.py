"""The console blocks of the docs: each ```console block of README.md and docs/*.md as the commands a user types
(``$ ...`` lines, with their here-documents) and the lines the page shows each one printing; and the "shape" of a
shown line, in which ids, IPs, times, ages, counts and paths may differ but every word must be there."""

import re
from dataclasses import dataclass, field
from pathlib import Path

from sandbox.paths import REPO_ROOT

PAGES = [REPO_ROOT / "README.md"] + sorted((REPO_ROOT / "docs").glob("*.md"))


@dataclass
class Command:
    text: str
    shown: list = field(default_factory=list)  # the output lines the page shows; "..." where it leaves some out


@dataclass
class Block:
    page: str  # relative to the repository root
    number: int  # 1-based, in the page's order
    line: int  # of the ```console fence
    commands: list

    @property
    def name(self):
        return f"{self.page}#{self.number}"


def blocks(page: Path):
    """Every console block of one page."""
    found, lines = [], page.read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        fence, commands, i = i + 1, [], i + 1
        while i < len(lines) and lines[i].strip() != "```":
            line = lines[i]
            if line.startswith("$ "):
                text = [line[2:]]
                heredoc = re.search(r"<<-?\s*'?\"?(\w+)'?\"?\s*$", line)
                while text[-1].endswith("\\") and i + 1 < len(lines):
                    i += 1
                    text.append(lines[i])
                if heredoc:
                    while i + 1 < len(lines) and lines[i + 1].strip() != heredoc.group(1):
                        i += 1
                        text.append(lines[i])
                    i += 1
                    text.append(lines[i])
                commands.append(Command("\n".join(text)))
            elif commands:
                commands[-1].shown.append(line)
            i += 1
        name = str(page.relative_to(REPO_ROOT)) if page.is_relative_to(REPO_ROOT) else page.name
        found.append(Block(name, len(found) + 1, fence, commands))
        i += 1
    return found


def all_blocks():
    return [block for page in PAGES for block in blocks(page)]


# What may differ between the page and a run, each as a regular expression for the same kind of text. Other numbers
# (counts of API calls, changed=0, exit codes) must be the page's.
VARIABLE = [
    (r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", r"\d{4}-\d\d-\d\dT[\d:.]+Z"),  # timestamps
    (r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}"),
    (r"\d+\.\d+\.\d+\.\d+(:\d+)?", r"\d+\.\d+\.\d+\.\d+(:\d+)?"),  # IPs, nodes (named by IP), loopback ports
    (r"/[\w.@~+-]+(/[\w.@~+<>-]*)*", r"/\S*?"),  # paths (the sandbox's folder is per checkout and per worker)
    (r"\b(\d+(\.\d+)?(ms|s|m|h|d))+\b|<invalid>", r"(\d+(\.\d+)?(ms|s|m|h|d))+|<invalid>"),  # ages, durations
    (r"\b\d+ MiB\b", r"\d+ MiB"),  # resident memory
    (r"\b(?=[0-9a-f]*\d)[0-9a-f]{12,64}\b", r"[0-9a-f]{12,64}"),  # container and sandbox ids, hashes
]
_ANY = re.compile("|".join(f"(?P<v{n}>{pattern})" for n, (pattern, _replacement) in enumerate(VARIABLE)))


def shape(line: str) -> re.Pattern:
    """The pattern of a shown line: its words in order, blanks of any width between them, variable parts by kind; it
    may start or end inside an output line (the page wraps long lines), but not inside a word."""
    parts, at = [], 0
    text = line.strip()
    for match in _ANY.finditer(text):
        parts.append(_literal(text[at : match.start()]))
        parts.append("(?:%s)" % VARIABLE[int(match.lastgroup[1:])][1])
        at = match.end()
    parts.append(_literal(text[at:]))
    return re.compile(r"(?<!\S)" + "".join(parts) + r"(?!\S)")


def _literal(text: str) -> str:
    words = r"[ \t]+".join(re.escape(word) for word in text.split())
    if not words:
        return r"[ \t]+" if text else ""
    return (r"[ \t]+" if text[0].isspace() else "") + words + (r"[ \t]+" if text[-1].isspace() else "")


def missing_lines(shown, output):
    """The first shown line (in shape) that does not appear in output after the lines before it; None when all do.
    "..." and blank shown lines stand for anything."""
    at = 0
    for want in shown:
        if want.strip() in ("", "...", "…"):
            continue
        found = shape(want).search(output, at)
        if found is None:
            return want
        at = found.end()
    return None


# The blocks tests/sandbox/test_docs_commands.py does not run, each with why; printed at the end of a run that includes
# it (tests/conftest.py). Every other block is run there: tests/unit/test_docs_console.py fails for a block that is
# neither run nor named here.
NOT_RUN = {
    "README.md#1": "an excerpt of `make demo`'s own transcript (sandbox/demo prints it; its eni_info lines are a summary)",
    "docs/modules.md#1": "runs part of this test suite",
    "docs/sandbox.md#6": "runs part of this test suite",
    "docs/performance.md#1": "the benchmarks (`make bench`, about 35 minutes)",
    "docs/performance.md#2": "the benchmarks",
    "docs/performance.md#3": "the benchmarks",
    "docs/preflight.md#1": "a real KCE cluster and account (~/.kube/kce-prod, credentials from a vault)",
    "docs/roles.md#1": "a real KCE cluster and account (~/.kube/kce-prod, cluster.yml, credentials from a vault)",
    "docs/roles.md#2": "a real KCE cluster (cluster.yml of roles.md#1)",
    "docs/sandbox.md#4": "starts the emulator in the foreground, until stopped",
    "docs/sandbox.md#5": "real KSYUN credentials, for the contract tests against the real API",
}


def not_run_summary():
    return ["%s: %s" % (name, why) for name, why in NOT_RUN.items()]
