# Two entry points for newcomers: `make eval` and `make test`. Both set up the machine first (idempotent).
PY := .venv/bin/python
SEEDS ?= 5
DOMAIN ?= clean
TASKS ?= all

.PHONY: setup eval test test-slow lint bench

setup:
	bash scripts/setup.sh

# Main job on the embedded default: run the scripted experts over every registered task.
eval: setup
	$(PY) -m envs.cli check --tasks $(TASKS) --seeds $(SEEDS) --domain $(DOMAIN)

test: setup
	$(PY) -m pytest -q

test-slow: setup
	$(PY) -m pytest -q -m slow

lint: setup
	.venv/bin/ruff check .

bench: setup
	$(PY) bench/sim.py
	$(PY) bench/model.py
