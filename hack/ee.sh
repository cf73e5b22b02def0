#!/usr/bin/env bash
# The execution environment's build context: the collection tarball, then `ansible-builder create` (no container
# engine needed). Usage: hack/ee.sh VENV [OUT]   (OUT defaults to build/ee; the context lands in OUT/context).
# Build the image from it with `ansible-builder build` (podman or docker), or buildah/kaniko on OUT/context.
set -euo pipefail
venv=${1:?usage: hack/ee.sh VENV [OUT]}
repo=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${2:-$repo/build/ee}" && cd "${2:-$repo/build/ee}" && pwd)
stage=$out/definition
rm -rf "$stage" "$out/context"
mkdir -p "$stage/ee" "$stage/build/ee/collection"
# The definition's relative paths (ee/requirements.yml, requirements.txt, build/ee/collection) resolve in the stage.
cp "$repo/execution-environment.yml" "$stage/"
cp "$repo/ee/requirements.yml" "$stage/ee/"
cp "$repo/requirements.txt" "$stage/"
"$venv/bin/ansible-galaxy" collection build "$repo" --output-path "$stage/build/ee/collection" --force >/dev/null
"$venv/bin/ansible-builder" create -f "$stage/execution-environment.yml" -c "$out/context" --output-filename Containerfile -v 1
echo "ee: build context in $out/context ($(ls "$stage/build/ee/collection"))"
