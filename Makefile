# ai-gateway-kit — the two set-up commands a new user needs are `make demo` and `make test`.
# Both create .venv with python3 -m venv and install what they need; nothing is installed by hand.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
# -qq: errors only (no progress, no warnings about this machine's extra package indexes)
PIP    := $(PY) -m pip --disable-pip-version-check -qq

DEV_STAMP  := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo

# `make test-floor`: the lowest declared version of every dependency, on the lowest supported
# Python (3.10 when one is found, else $(PYTHON)), in a venv of its own.
FLOOR_VENV   := .venv-floor
FLOOR_PYTHON ?= $(shell tools/find_python.sh 3.10 2>/dev/null || echo $(PYTHON))
FLOOR_STAMP  := $(FLOOR_VENV)/.installed
# `make test-pythons`: the suite on every supported Python this machine has.
PYTHONS ?= 3.10 3.11 3.12 3.13

.PHONY: help demo demo-live test test-unit test-live test-floor test-pythons fuzz mutate lint typecheck \
	format emulator bench clean

help:
	@echo "make demo         run the examples against the bundled emulator (no key, nothing billed)"
	@echo "make demo-live    run them against GATEWAY_BASE_URL / GATEWAY_API_KEY (billed; says what)"
	@echo "make test         run the whole test suite offline"
	@echo "make test-floor   the suite with the lowest declared dependency versions (.venv-floor)"
	@echo "make test-pythons the suite on each of Python $(PYTHONS) found here (.venv-pyX.Y)"
	@echo "make mutate       mutation testing (MUTATE=sse|toolcalls|stream|engine|transport|errors|error_meaning|envelopes)"
	@echo "make lint         ruff"
	@echo "make typecheck    mypy --strict (core, CLI, adapters) and pyright on the documented constructors"
	@echo "make emulator     start the local emulator gateway"
	@echo "make bench        run the benchmark suite (see benchmarks/README.md)"

$(PY):
	@echo "Creating $(VENV) (first run only)"
	@$(PYTHON) -m venv $(VENV)
	@$(PIP) install --upgrade pip

$(DEV_STAMP): pyproject.toml | $(PY)
	@echo "Installing the package and its test tools into $(VENV)"
	@$(PIP) install -e '.[dev]'
	@touch $@ $(DEMO_STAMP)

$(DEMO_STAMP): pyproject.toml | $(PY)
	@echo "Installing the package and the examples' extras into $(VENV)"
	@$(PIP) install -e '.[examples]'
	@touch $@

# Always the emulator, even with GATEWAY_BASE_URL / GATEWAY_API_KEY exported.
demo: $(DEMO_STAMP)
	@$(PY) examples/run_all.py

# The explicit choice to call (and pay) the gateway in GATEWAY_BASE_URL / GATEWAY_API_KEY.
demo-live: $(DEMO_STAMP)
	@$(PY) examples/run_all.py --live

test: $(DEV_STAMP)
	@$(PY) -m pytest

test-unit: $(DEV_STAMP)
	@$(PY) -m pytest tests/unit

test-live: $(DEV_STAMP)
	GATEWAY_LIVE=1 $(PY) -m pytest tests/integration tests/standard

$(FLOOR_STAMP): pyproject.toml tools/floor_constraints.py
	@echo "Creating $(FLOOR_VENV) with $(FLOOR_PYTHON) and the lowest declared versions"
	@rm -rf $(FLOOR_VENV)
	@$(FLOOR_PYTHON) -m venv $(FLOOR_VENV)
	@$(PYTHON) tools/floor_constraints.py > $(FLOOR_VENV)/floors.txt
	@$(FLOOR_VENV)/bin/python -m pip --disable-pip-version-check -qq install \
		-c $(FLOOR_VENV)/floors.txt -e '.[test]'
	@touch $@

test-floor: $(FLOOR_STAMP)
	@$(FLOOR_VENV)/bin/python -m pip freeze --exclude-editable | grep -iFf $(FLOOR_VENV)/floors.txt \
		| tr '\n' ' ' | sed 's/^/floors: /'; echo
	@$(FLOOR_VENV)/bin/python -m pytest -q

# Latest dependency versions on each Python; a version not found here is reported, not failed.
test-pythons:
	@failed=""; for v in $(PYTHONS); do \
		py=$$(tools/find_python.sh $$v) || { echo "Python $$v: not found here, skipped"; continue; }; \
		venv=.venv-py$$v; \
		[ -f $$venv/.installed ] || { rm -rf $$venv && $$py -m venv $$venv && \
			$$venv/bin/python -m pip --disable-pip-version-check -qq install -e '.[test]' && \
			touch $$venv/.installed; } || exit 1; \
		$$venv/bin/python -m pytest -q -p no:cacheprovider > $$venv/pytest.log 2>&1 \
			|| failed="$$failed $$v"; \
		echo "Python $$v: $$(tail -1 $$venv/pytest.log)  (full log: $$venv/pytest.log)"; \
	done; [ -z "$$failed" ] || { echo "failed on Python$$failed"; exit 1; }

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
	rm -rf $(VENV) $(FLOOR_VENV) .venv-py3.* .pytest_cache .mypy_cache .ruff_cache .hypothesis
