#!/usr/bin/env bash
# ansible-test sanity in a dedicated venv with --local --requirements (--venv would try to download
# pip from a host that is not reachable here). Usage: hack/sanity.sh DEV_VENV [ansible-test args]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
dev_venv="$1"; shift
cache="${KSYUN_KCE_CACHE:-$HOME/.cache/ksyun-kce}"
core="$(grep -E '^ansible-core==' "$repo/test-requirements.txt")"
sanity_venv="$cache/venv-sanity-$(echo "$core" | tr -c 'a-z0-9.\n' '-')"
if [ ! -x "$sanity_venv/bin/ansible-test" ]; then
  python3 -m venv "$sanity_venv"
  "$sanity_venv/bin/pip" install -q "$core"
fi
# ansible-test bootstraps pip in its per-test venvs from a download host: use the stand-in instead.
pip_version="$("$sanity_venv/bin/python" -c 'import re, ansible_test._internal.python_requirements as r, inspect; print(re.search(r"pip=.([0-9.]+)", inspect.getsource(r.get_venv_packages)).group(1))')"
mkdir -p "$HOME/.ansible/test/cache"
cp "$repo/hack/get_pip_standin.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"
site="$("$dev_venv/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
stage="$cache/sanity-tree/$(echo "$repo" | sha1sum | cut -c1-10)"
coll="$("$dev_venv/bin/python" "$repo/hack/stage_collection.py" "$stage" "$site")"
cd "$coll"
exec "$sanity_venv/bin/ansible-test" sanity --local --requirements --python 3.11 "$@"
