"""The audit page in a real browser: Debian's Chromium, headless, on a file:// URL; its DOM, its console and a screenshot.

Chromium runs once per view (``--dump-dom``, ``--screenshot``) with a fresh profile and without any background
networking (on a closed network its connections would be refused and logged). The page's console messages (a script
error, a resource its Content-Security-Policy refused) are in Chromium's log as ``INFO:CONSOLE`` lines.
"""

import os
import re
import signal
import subprocess
from html.parser import HTMLParser
from pathlib import Path

from PIL import Image, ImageChops, ImageFilter

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--enable-logging=stderr",
    "--v=0",
)
# The page's colour of each address state (playbooks/templates/audit.html.j2) and its picture's grid: 32 squares of
# 12 pixels a row, 14 pixels apart.
STATE_COLOURS = {
    "held": (0x2F, 0x6F, 0xB5),
    "reserved": (0xE0, 0x8A, 0x1E),
    "free": (0xD8, 0xE8, 0xD0),
    "kept": (0x9A, 0x9A, 0x9A),
}
COLUMNS, PITCH = 32, 14


def chromium_missing():
    """Why the browser cannot run here, or None."""
    if CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK):
        return None
    return "%s is missing: apt-get install chromium (.ci/run installs it on a machine without it)" % CHROMIUM


def chromium(page, profile, *args, timeout=120):
    """Run headless Chromium on page (a Path) with args; return (stdout, the page's console messages, whole log).

    Chromium runs in a process group of its own, killed whole if it outlives timeout (no renderer is left behind).
    """
    with subprocess.Popen(
        [str(CHROMIUM), *FLAGS, "--user-data-dir=%s" % profile, *args, page.resolve().as_uri()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            raise AssertionError("chromium did not finish in %ss:\n%s" % (timeout, stderr[-3000:])) from None
    assert proc.returncode == 0, "chromium exited with %s:\n%s" % (proc.returncode, stderr[-3000:])
    console = [line for line in stderr.splitlines() if ":CONSOLE" in line]
    return stdout, console, stderr


class PageDom(HTMLParser):
    """What the test reads from the DOM Chromium built: the rows of the tables by id, and the class of each rect of
    each ``svg.subnet-picture``."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.pictures = {}, []
        self._table = self._row = self._cell = self._picture = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(attrs.get("id"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "svg" and "subnet-picture" in (attrs.get("class") or "").split():
            self._picture = []
            self.pictures.append(self._picture)
        elif tag == "rect" and self._picture is not None:
            self._picture.append(attrs.get("class") or "")

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "svg":
            self._picture = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def colour_counts(png):
    """Pixels of each state colour in the whole screenshot (legend swatches and the odd grey of text included)."""
    counts = {rgb: n for n, rgb in Image.open(png).convert("RGB").getcolors(1 << 24)}
    return {state: counts.get(rgb, 0) for state, rgb in STATE_COLOURS.items()}


def _solid_squares(image, state, rgb):
    """The squares of one colour: runs of pixels whose 5x5 neighbourhood is all that colour (no text has such a
    run), joined row by row; [(top, left, state)]."""
    r, g, b = (band.point(lambda v, want=want: 255 if v == want else 0) for band, want in zip(image.split(), rgb))
    core = ImageChops.multiply(ImageChops.multiply(r, g), b).filter(ImageFilter.MinFilter(5))
    width, data = core.width, core.tobytes()
    open_runs, squares = {}, []
    for run in re.finditer(rb"[^\x00]+", data):
        top, left = divmod(run.start(), width)
        key = (left, run.end() - run.start())
        if open_runs.get(key, (None, None))[1] == top - 1:
            open_runs[key] = (open_runs[key][0], top)
        else:
            open_runs[key] = (top, top)
            squares.append((top, left, state))
    return squares


def pictures_in(png):
    """The screenshot's solid squares of the four state colours, grouped by block of rows (a block ends where no
    square follows within two grid rows): [[(top, left, state)]] from top to bottom."""
    image = Image.open(png).convert("RGB")
    squares = sorted(s for state, rgb in STATE_COLOURS.items() for s in _solid_squares(image, state, rgb))
    blocks = []
    for square in squares:
        if blocks and square[0] - blocks[-1][-1][0] <= 2 * PITCH:
            blocks[-1].append(square)
        else:
            blocks.append([square])
    return blocks


def states_drawn(block):
    """The state of each address a picture shows, in address order (None where no square was drawn)."""
    top0, left0 = min(s[0] for s in block), min(s[1] for s in block)
    cells = {}
    for top, left, state in block:
        cells[round((top - top0) / PITCH) * COLUMNS + round((left - left0) / PITCH)] = state
    return [cells.get(i) for i in range(max(cells) + 1)] if cells else []
