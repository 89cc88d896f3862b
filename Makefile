# The two commands: `make run` and `make test`. Both do every set-up step.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint bench bench-micro bench-workload bench-shop bench-warm bench-capacity loadtest services-stop clean lambda-package

# The virtualenv is rebuilt when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	@scripts/bootstrap.sh
	@touch $@

venv: $(VENV)/.installed

run: $(VENV)/.installed
	@PORT=$(PORT) scripts/run.sh

test: $(VENV)/.installed
	@scripts/test.sh $(PYTEST_ARGS)

bench: $(VENV)/.installed
	@scripts/bench-http.sh

bench-workload: $(VENV)/.installed
	@scripts/bench-workload.sh

bench-shop: $(VENV)/.installed
	@scripts/bench-shop.sh

bench-warm: $(VENV)/.installed
	@scripts/bench-warm.sh

bench-capacity: $(VENV)/.installed
	@scripts/bench-capacity.sh

loadtest: $(VENV)/.installed
	@scripts/loadtest.sh

bench-micro: $(VENV)/.installed
	@scripts/bench.sh

# The config-sync Lambda's zip (runtime_config without Django, redis, PyYAML).
lambda-package: $(VENV)/.installed
	@scripts/package-lambda.sh

lint: $(VENV)/.installed
	$(BIN)/ruff check .

# Every redis-server and MariaDB the scripts started under .data/, whatever the port.
services-stop:
	@scripts/services.sh stop

clean:
	@scripts/services.sh purge
	rm -rf $(VENV) .data
