//go:build tools

// Package tools pins the Argo CD command this sandbox builds: one binary (cmd) that runs as
// argocd-application-controller, argocd-repo-server, ... by the name it is started under.
package tools

import (
	_ "github.com/argoproj/argo-cd/v3/cmd"
)
