"""Stand-in for ansible-test's get-pip bootstrap script, whose download host is not reachable here.

ansible-test runs it inside a fresh venv with pip's options and the packages to install (pip==X):
ensurepip gives a working pip, which then installs exactly what was asked from the package index.
"""

import subprocess
import sys

args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
subprocess.check_call([sys.executable, "-m", "ensurepip", "--default-pip"], stdout=subprocess.DEVNULL)
subprocess.check_call([sys.executable, "-m", "pip", "install", *args])
