# ksyun.kce developer entry points. `make test` is what CI runs (.ci/run); `make demo` the main job.
SHELL := /bin/bash
CACHE ?= $(or $(KSYUN_KCE_CACHE),$(HOME)/.cache/ksyun-kce)
export KSYUN_KCE_CACHE := $(CACHE)
REQ_HASH := $(shell cat requirements.txt test-requirements.txt | sha256sum | cut -c1-12)
VENV ?= $(CACHE)/venv-py311-$(REQ_HASH)
PY := $(VENV)/bin/python
PYTEST_ARGS ?=
BENCH_ARGS ?=

.PHONY: molecule help demo venv format format-check controlplane argocd sandbox-up sandbox-up-argocd sandbox-up-bare sandbox-down sandbox-status sandbox-kubeconfig sandbox-env sandbox-kubectl kubectl sanity galaxy-import lint changelog-lint pytest test bench clean-sandbox ee crash-sweep

help:
	@echo "make test            - everything CI runs: venv, control-plane and Argo CD builds (cached), lint, sanity, galaxy-import, pytest"
	@echo "make galaxy-import   - build the collection and import it with galaxy-importer (as Galaxy does on upload)"
	@echo "make demo            - the product page's demonstration (delete sts-0, same IP) in a sandbox of its own; PASS/FAIL"
	@echo "make sandbox-up      - start the local control plane with the add-ons (multus, VPC-CNI); prints how to use kubectl"
	@echo "make sandbox-up-bare - the same without any add-on (pods stay ContainerCreating until the add-ons are installed)"
	@echo "make sandbox-up-argocd - sandbox-up plus a real Argo CD (redis, repo-server, application-controller; namespace argocd)"
	@echo "make argocd          - build Argo CD v3.2.x from its Go module (cached like the control plane)"
	@echo "make sandbox-down    - stop it (no process is left behind)"
	@echo "make sandbox-status  - what runs, with pids and memory"
	@echo "eval \"\$$(make -s sandbox-env)\"  - this shell on the sandbox: kubectl, ansible-playbook, KUBECONFIG, K8S_AUTH_KUBECONFIG, KSYUN_* (fake keys)"
	@echo "make kubectl ARGS=\"get po -owide\"  - one kubectl command against the sandbox"
	@echo "make -s sandbox-kubeconfig / sandbox-kubectl - the kubeconfig's / kubectl's path"
	@echo "make molecule        - every molecule scenario (MOLECULE_ARGS=\"-s e2e\" for one), each on a sandbox of its own"
	@echo "make bench           - benchmarks on loopback (BENCH_ARGS=--quick for a smaller set); prints one table"
	@echo "make crash-sweep     - kill -9 ansible-playbook at every cloud write of pre-provision and reclaim, rerun, audit"
	@echo "make ee              - the execution environment's build context in build/ee/context (ansible-builder create)"

# Its output goes to stderr, so that `eval "$$(make -s sandbox-env)"` reads only the shell lines even on a first run.
$(VENV)/.installed: requirements.txt test-requirements.txt
	@echo "== Python venv $(VENV)" >&2
	python3 -m venv $(VENV) >&2
	$(VENV)/bin/pip install -q --disable-pip-version-check -r test-requirements.txt >&2
	touch $@

venv: $(VENV)/.installed

controlplane: venv
	$(PY) -m sandbox build

sandbox-up: controlplane
	$(PY) -m sandbox up

# Argo CD's one binary from its Go module (sandbox/argocd/), cached in $(CACHE)/argocd/ like the control plane.
argocd: venv
	$(PY) -c 'from sandbox.argocd import binaries; print(binaries.ensure_built())'

sandbox-up-argocd: controlplane argocd
	$(PY) -m sandbox up --argocd

sandbox-up-bare: controlplane
	$(PY) -m sandbox up --bare

demo: controlplane
	$(PY) -m sandbox.demo

sandbox-down: venv
	$(PY) -m sandbox down

sandbox-kubeconfig: venv
	@$(PY) -m sandbox kubeconfig

# The real kubectl, built with the control plane (same Go modules and version): eval "$$(make -s sandbox-env)"
# points this shell at the sandbox (sandbox/shell.py: kubectl, ansible-playbook, KSYUN_*); make kubectl ARGS="get po -owide" runs one command.
sandbox-env: venv
	@$(PY) -m sandbox env

sandbox-kubectl: venv
	@$(PY) -m sandbox kubectl-path

ARGS ?=
kubectl: venv
	@$(PY) -m sandbox kubectl $(ARGS)

sandbox-status: venv
	$(PY) -m sandbox status

changelog-lint: venv
	$(VENV)/bin/antsibull-changelog lint

lint: venv changelog-lint format-check
	PATH=$(VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$$($(PY) -c 'from sandbox.paths import collections_root; print(collections_root())') \
		$(VENV)/bin/ansible-lint --offline

# One code style (pyproject.toml): black and isort check every Python file; make format applies them.
PY_FILES := plugins tests sandbox benchmarks hack
format-check: venv
	$(VENV)/bin/black --check $(PY_FILES) || { echo "black would reformat the files above: run make format"; exit 1; }
	$(VENV)/bin/isort --check-only $(PY_FILES) || { echo "isort would reorder the imports above: run make format"; exit 1; }

format: venv
	$(VENV)/bin/isort --quiet $(PY_FILES)
	$(VENV)/bin/black --quiet $(PY_FILES)

sanity: venv
	hack/sanity.sh $(VENV)

# kill -9 at every cloud write of pre-provision and reclaim (24 points, about 20 min); docs/reliability.md.
crash-sweep: venv controlplane
	$(PY) -m benchmarks.crash benchmarks/results/crash-$$(date +%F).json

# The execution environment's build context (ansible-builder create; building the image needs podman or docker).
ee: venv
	hack/ee.sh $(VENV)

# galaxy-importer has a venv of its own (it pins its own ansible-core and ansible-lint), not the dev venv.
galaxy-import:
	hack/galaxy_import.sh

pytest: venv controlplane argocd
	$(PY) hack/run_pytest.py $(PYTEST_ARGS)

test: venv controlplane argocd lint sanity galaxy-import pytest

# Every molecule scenario (extensions/molecule), each on a bare sandbox of its own; MOLECULE_ARGS="-s e2e" for one.
MOLECULE_ARGS ?= --all
molecule: venv controlplane
	PATH=$(VENV)/bin:$$PATH ANSIBLE_COLLECTIONS_PATH=$$($(PY) -c 'from sandbox.paths import collections_root; print(collections_root())') \
		$(VENV)/bin/molecule test $(MOLECULE_ARGS)

bench: venv controlplane
	$(PY) -m benchmarks $(BENCH_ARGS)
