"""A real Argo CD for the sandbox, built from its Go module (github.com/argoproj/argo-cd/v3, pinned in
module/go.mod) and started on demand beside the control plane: ``python -m sandbox up --argocd``.

binaries.py builds and caches the one ``argocd`` binary; run.py installs Argo CD's CRDs and config maps from the
module's own ``manifests/`` and starts redis, argocd-repo-server and argocd-application-controller on loopback."""
