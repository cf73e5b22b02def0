#!/usr/bin/env bash
# Build Argo CD's one binary (github.com/argoproj/argo-cd/v3/cmd, pinned in module/go.mod) into OUT_DIR
# (first argument), with links argocd-application-controller, argocd-repo-server and argocd-server to it:
# the binary picks its command by the name it is started under, as in Argo CD's own image.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
version="$(grep -Eo 'github.com/argoproj/argo-cd/v3 v[0-9][^ ]*' "$here/module/go.mod" | head -n1 | awk '{print $2}')"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
tmp="$out.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
start=$(date +%s)
stamp() { echo "[build +$(( $(date +%s) - start ))s] $*"; }

kubectl_version="$(cd "$here/module" && go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' k8s.io/kubectl)"
pkg=github.com/argoproj/argo-cd/v3/common
ldf="-s -w -X $pkg.version=${version#v} -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldf="$ldf -X $pkg.gitCommit=module-$version -X $pkg.gitTag=$version -X $pkg.gitTreeState=clean"
ldf="$ldf -X $pkg.kubectlVersion=$kubectl_version"

stamp "argocd $version (one binary for every Argo CD component)"
(cd "$here/module" && go build -trimpath -ldflags "$ldf" -o "$tmp/argocd" github.com/argoproj/argo-cd/v3/cmd)
for name in argocd-application-controller argocd-repo-server argocd-server; do
  ln -s argocd "$tmp/$name"
done
printf 'argo-cd %s\n%s\n' "$version" "$(go version)" > "$tmp/VERSIONS"
rm -rf "$out" && mv "$tmp" "$out"
stamp "done: $out"
