# ai-gateway-kit — the two set-up commands a new user needs are `make demo` and `make test`.
# Both create .venv with python3 -m venv and install what they need; nothing is installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
PIP    := $(PY) -m pip --disable-pip-version-check

DEV_STAMP  := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

.PHONY: help demo test test-unit test-live fuzz mutate lint typecheck format emulator bench clean

help:
	@echo "make demo       run the examples against the bundled emulator (no key, no network)"
	@echo "make test       run the whole test suite offline"
	@echo "make mutate     mutation testing (MUTATE=sse|toolcalls|stream|engine|transport|errors)"
	@echo "make lint       ruff"
	@echo "make typecheck  mypy --strict (core, CLI, adapters) and pyright on the documented constructors"
	@echo "make emulator   start the local emulator gateway"
	@echo "make bench      run the benchmark suite (see benchmarks/README.md)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(DEV_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[dev]'
	@touch $@ $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml | $(PY)
	$(PIP) install --quiet -e '.[examples]'
	@touch $@

demo: $(DEMO_STAMP)
	$(PY) examples/run_all.py

test: $(DEV_STAMP)
	$(PY) -m pytest

test-unit: $(DEV_STAMP)
	$(PY) -m pytest tests/unit

test-live: $(DEV_STAMP)
	GATEWAY_LIVE=1 $(PY) -m pytest tests/integration tests/standard

# Property tests with 20,000 random examples each (make test runs a fixed 300).
fuzz: $(DEV_STAMP)
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -q tests/unit/test_fuzz_parsers.py \
		tests/unit/test_sse.py tests/unit/test_chat_stream.py

# Mutation testing of the money-critical modules, each against its own fast unit tests
# (tools/mutate.py; survivors judged equivalent: tests/mutation-survivors.md). CPU-heavy:
# make mutate MUTATE=sse runs one target.
mutate: $(DEV_STAMP)
	$(PY) tools/mutate.py $(MUTATE)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

format: $(DEV_STAMP)
	$(BIN)/ruff check --fix .

typecheck: $(DEV_STAMP)
	$(BIN)/mypy
	$(BIN)/pyright --pythonpath $(PY)

emulator: $(DEMO_STAMP)
	$(PY) -m gateway_emulator

# Not part of `make test`. Needs only python3 (stdlib); it creates benchmarks/.venv-peers and
# installs nginx if missing. Smoke run: make bench BENCH_ARGS=--quick
bench:
	$(PYTHON) benchmarks/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
