"""Run pytest and fail when it collected nothing (pytest's exit 5 must not pass as green)."""

import subprocess
import sys

rc = subprocess.call([sys.executable, "-m", "pytest", *sys.argv[1:]])
if rc == 5:
    print("pytest collected no tests: that is a failure here", file=sys.stderr)
    sys.exit(1)
sys.exit(rc)
