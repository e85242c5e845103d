# Quarter: `make demo` runs the demo on SQLite, `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000

.PHONY: demo test install lint bench-search clean

demo: install
	PORT=$(PORT) $(VENV)/bin/quarter demo --port $(PORT)

test: install
	$(PY) scripts/run_tests.py

install: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "need $(PYTHON)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip uv
	$(VENV)/bin/uv pip install -q --python $(PY) -r requirements.lock
	$(VENV)/bin/uv pip install -q --python $(PY) --no-deps -e .
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

lint: install
	$(VENV)/bin/ruff check quarter tests bench scripts

bench-search: install
	$(PY) bench/search.py

clean:
	rm -rf $(VENV) node_modules var test-results
