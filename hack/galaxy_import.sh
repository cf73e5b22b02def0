#!/usr/bin/env bash
# Build the collection as for a release and import it with galaxy-importer, the tool Galaxy and
# Automation Hub run on upload (ansible-doc of every plugin with no dependency installed, ansible-lint
# production profile). Fails on a non-zero exit or any ERROR line, or any ansible-lint violation, and
# prints the importer's log. galaxy-importer has a venv of its own (it pins its own ansible-core and
# ansible-lint), cached in $KSYUN_KCE_CACHE/venv-galaxy-importer-<hash of its requirements file>.
# Usage: hack/galaxy_import.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
cache="${KSYUN_KCE_CACHE:-$HOME/.cache/ksyun-kce}"
req="$repo/hack/galaxy-importer-requirements.txt"
venv="$cache/venv-galaxy-importer-$(sha256sum "$req" | cut -c1-12)"
start=$(date +%s)

mkdir -p "$cache"
exec 9>"$venv.lock"
flock 9
if [ ! -f "$venv/.installed" ]; then
  echo "== galaxy-importer venv $venv"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$req"
  touch "$venv/.installed"
fi
flock -u 9

work="$(mktemp -d "${TMPDIR:-/tmp}/ksyun-kce-galaxy-import.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# The importer looks up ansible-doc and ansible-lint on PATH and runs them with only the imported
# collection on the collections path; nothing from the dev venv or PYTHONPATH may leak in.
export PATH="$venv/bin:$PATH"
unset PYTHONPATH ANSIBLE_COLLECTIONS_PATH ANSIBLE_COLLECTIONS_PATHS ANSIBLE_CONFIG
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp" GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/ansible-tmp"
export GALAXY_IMPORTER_CONFIG="$repo/hack/galaxy-importer.cfg" TMPDIR="$work"

# Build from what a clean clone has: tracked and untracked-but-not-ignored files (galaxy.yml's
# build_ignore then applies), so local caches and outputs never reach the tarball.
src="$work/src"
mkdir -p "$src" "$work/dist"
while IFS= read -r -d '' f; do
  if [ -f "$repo/$f" ] && [ ! -L "$repo/$f" ]; then
    mkdir -p "$src/$(dirname "$f")"
    cp -p "$repo/$f" "$src/$f"
  fi
done < <(git -C "$repo" ls-files -co --exclude-standard -z)
# Galaxy lints without the collection's dependencies, so ansible-lint cannot resolve kubernetes.core's modules there
# and calls each use in a playbook an unknown module. Mock exactly those (in the checked copy only): the dev lint
# (make lint) runs with kubernetes.core installed and still checks their arguments.
mapfile -t deps < <(grep -rhoE 'kubernetes\.core\.[a-z0-9_]+' "$src/playbooks" "$src/roles" 2>/dev/null | sort -u)
if [ ${#deps[@]} -gt 0 ]; then
  { echo "mock_modules:"; printf '  - %s\n' "${deps[@]}"; } >>"$src/.ansible-lint"
fi
(cd "$src" && ansible-galaxy collection build --output-path "$work/dist" >/dev/null)
tarball="$(echo "$work"/dist/*.tar.gz)"
echo "== galaxy-importer $(basename "$tarball")"

log="$work/importer.log"
rc=0
(cd "$work" && python -m galaxy_importer.main "$tarball") >"$log" 2>&1 || rc=$?
cat "$log"

problems=()
[ "$rc" -eq 0 ] || problems+=("galaxy-importer exited with status $rc")
n="$(grep -c '^ERROR' "$log" || true)"
[ "$n" -eq 0 ] || problems+=("$n ERROR line(s) in the importer log")
grep -q '^Importer processing completed successfully' "$log" || problems+=("the import did not complete")
if grep -q -e 'ansible-doc not found' -e 'ansible-lint not found' "$log"; then
  problems+=("a tool the importer runs was not found, so its check was skipped")
fi
# The importer logs ansible-lint's violations as WARNING lines between these two markers.
lint="$(sed -n '/^Linting collection via ansible-lint/,/^\.\.\.ansible-lint run complete/p' "$log" | grep -c '^WARNING' || true)"
[ "$lint" -eq 0 ] || problems+=("$lint ansible-lint violation(s)")
# What Galaxy would show: every module and plugin with its documentation (not only the absence of ERROR).
if [ -f "$work/importer_result.json" ]; then
  undocumented="$(python - "$work/importer_result.json" <<'PY'
import json, sys
from galaxy_importer.constants import ANSIBLE_DOC_SUPPORTED_TYPES
contents = json.load(open(sys.argv[1]))["docs_blob"]["contents"]
print(" ".join(f"{c['content_type']}:{c['content_name']}" for c in contents
               if c["content_type"] in ANSIBLE_DOC_SUPPORTED_TYPES and not (c.get("doc_strings") or {}).get("doc")))
PY
)"
  [ -z "$undocumented" ] || problems+=("no documentation in the import result for: $undocumented")
else
  problems+=("the importer wrote no importer_result.json")
fi

elapsed=$(( $(date +%s) - start ))
if [ ${#problems[@]} -gt 0 ]; then
  printf '== galaxy-import FAILED (%ss):\n' "$elapsed" >&2
  printf '   - %s\n' "${problems[@]}" >&2
  exit 1
fi
echo "== galaxy-import passed in ${elapsed}s: no ERROR, no ansible-lint violation"
