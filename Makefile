# The two commands (see README.md): `make run` and `make test`. Both install first, into .venv.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.halo-installed
INSTALL_INPUTS := scripts/install.sh constraints.txt pyproject.toml \
	$(wildcard plugins/*/pyproject.toml examples/*/pyproject.toml)

.PHONY: install run test lint lock schema bench policy clean

install: $(STAMP)

$(STAMP): $(INSTALL_INPUTS)
	bash scripts/install.sh
	touch $@

# Re-lock every dependency version (scripts/lock.sh); UPGRADE=1 resolves everything afresh.
lock:
	bash scripts/lock.sh

run: install
	$(BIN)/halo run pipelines/lecture.yaml

test: install
	$(BIN)/python scripts/run_tests.py

# ruff on every Python file, mypy --strict on the core (configured in pyproject.toml).
lint: install
	$(BIN)/ruff check src plugins examples tests benchmarks scripts
	$(BIN)/mypy

schema: install
	HALO_LOAD_PLUGINS= $(BIN)/halo schema --out specs

bench: install
	for bench in benchmarks/bench_*.py; do $(BIN)/python $$bench || exit 1; done

# The policy that ships inside halo-rl (see plugins/halo-rl/README.md): synthetic lectures plus the
# packed runs of generated lectures in plugins/halo-rl/training/.
POLICY_OUT ?= plugins/halo-rl/src/halo_rl/policy.npz
POLICY_RUNS := $(sort $(wildcard plugins/halo-rl/training/*/))
policy: install
	$(BIN)/halo rl train --synthetic 192 $(foreach run,$(POLICY_RUNS),--from $(run)) --rounds 4 --ppo-steps 30000 --seed 0 --out $(POLICY_OUT)

clean:
	rm -rf $(VENV) .nox runs .halo build
