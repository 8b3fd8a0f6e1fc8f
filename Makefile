# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench install clean demo loadtest

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	HUB_OUTBOUND_ALLOW_LOOPBACK=true $(BIN)/ocpi-hub serve

# Two workers (the CI machines have 2 cores; most tests wait on sockets and processes): about 1.5x faster.
test: $(STAMP)
	$(BIN)/pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check hub adapters tests
	$(BIN)/ruff format --check hub adapters tests
	$(BIN)/mypy

# Every benchmark, bounded (a few minutes); options: make bench BENCH_ARGS="--only routing --seconds 10 --profile"
# (python -m benchmarks.run --help). Needs wrk and nginx (apt-get install -y wrk nginx); says what it skips.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run $(BENCH_ARGS)

# A charging session through a hub with a simulated CPO and eMSP, printed message by message.
demo: $(STAMP)
	$(BIN)/ocpi-hub demo $(DEMO_ARGS)

# Locust, headless and bounded in time, against a hub with 2 simulated CPOs and 2 eMSPs
# (options: make loadtest LOADTEST_ARGS="--duration 60 --users 50"; see loadtests/README.md).
loadtest: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,loadtest]'
	$(BIN)/python -m loadtests.run $(LOADTEST_ARGS)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
