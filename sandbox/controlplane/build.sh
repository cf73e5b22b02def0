#!/usr/bin/env bash
# Build etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kubectl from the pinned Go
# modules beside this script into OUT_DIR (first argument). Prints progress per binary.
# kubectl comes from the same k8s.io/kubernetes module and version as the control plane (cmd/kubectl,
# with k8s.io/kubectl pinned by the replace list of k8s/go.mod), so client and server never skew.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="${1:?usage: build.sh OUT_DIR}"
modver() { grep -Eo "$1 v[0-9][^ ]*" "$2" | head -n1 | awk '{print $2}'; }
k8s_version="$(modver 'k8s.io/kubernetes' "$here/k8s/go.mod")"
etcd_version="$(modver 'go.etcd.io/etcd/server/v3' "$here/etcd/go.mod")"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=readonly
tmp="$out.partial"
rm -rf "$tmp" && mkdir -p "$tmp"
start=$(date +%s)
stamp() { echo "[build +$(( $(date +%s) - start ))s] $*"; }

minor="${k8s_version#v1.}"; minor="${minor%%.*}"
pkg=k8s.io/component-base/version
ldf="-s -w -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
ldf="$ldf -X $pkg.gitCommit=module-$k8s_version -X $pkg.gitTreeState=clean -X $pkg.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"

stamp "etcd $etcd_version"
(cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3)
for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  stamp "$cmd $k8s_version"
  t0=$(date +%s)
  (cd "$here/k8s" && go build -trimpath -ldflags "$ldf" -o "$tmp/$cmd" "k8s.io/kubernetes/cmd/$cmd")
  stamp "$cmd built in $(( $(date +%s) - t0 ))s"
done
printf 'kubernetes %s\netcd %s\n%s\n' "$k8s_version" "$etcd_version" "$(go version)" > "$tmp/VERSIONS"
rm -rf "$out" && mv "$tmp" "$out"
stamp "done: $out"
