# Two entry points for a fresh machine (Python 3.11+ and Java 17 are all they need):
#   make demo   installs everything into .venv and runs the demo jobs end to end
#   make test   installs everything into .venv and runs the test suite, then the core tests on the
#               oldest supported Spark/Delta pair in a second venv (make test-oldest)
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# The default pair is the newest (pyproject's extra spark: Spark 4.2 + Delta 4.4). The oldest supported pair
# is the extra spark35 (Spark 3.5 + Delta 3.3, Scala 2.12, as on EMR 7.x); Spark 4.0 + Delta 4.0 (EMR 8.x,
# Databricks 17.3 LTS) is the extra spark40, and `make test-spark40` runs the core tests on it.
OLDEST := spark35
# The core tests, the ones that also run on the oldest pair: merges (and their model), audit and
# time travel, a run on a standalone cluster, the jar cache, the quiet start-up and the platform check.
CORE_TESTS := tests/test_merge.py tests/write/test_merge_properties.py tests/test_audit.py \
	tests/bad_inputs/test_line_cases.py tests/test_platform.py \
	tests/test_timetravel.py tests/test_cluster.py tests/test_jars.py tests/test_quiet.py
DEMO := examples/shop
DEMO_FROM := 2024-03-01
DEMO_TO := 2024-03-03
DEMO_CHANGE := 2024-03-04
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install install-oldest demo test test-oldest schemas clean
.PRECIOUS: .venv-spark%/.installed

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: install
	rm -rf $(DEMO)/data/lake $(DEMO)/data/warehouse
	$(BIN)/lakehouse run $(DEMO)/jobs --from $(DEMO_FROM) --to $(DEMO_TO)
	# 2024-03-04: the orders export gained a column; the revised job adds it (README: "When the source gains a column")
	$(BIN)/lakehouse run $(DEMO)/revisions/orders_channel.yaml --date $(DEMO_CHANGE)
	$(BIN)/lakehouse run $(DEMO)/jobs --date $(DEMO_CHANGE) --select order_events
	$(BIN)/lakehouse history $(DEMO)/data/lake/orders
	$(BIN)/lakehouse history $(DEMO)/data/lake/order_events
	$(BIN)/lakehouse history $(DEMO)/data/lake/customers
	$(BIN)/lakehouse history $(DEMO)/data/lake/customers --key customer_id=2

test: install
	$(BIN)/python -m pytest
	$(MAKE) test-oldest

install-oldest: .venv-$(OLDEST)/.installed

# A second venv per other supported pair: .venv-spark35 gets the extra dev-spark35, .venv-spark40 dev-spark40.
.venv-spark%/.installed: pyproject.toml
	$(PYTHON) -m venv .venv-spark$*
	.venv-spark$*/bin/python -m pip install --quiet --upgrade pip
	.venv-spark$*/bin/python -m pip install --quiet -e '.[dev-spark$*]'
	touch $@

# The core tests on the oldest supported pair (make test-spark40: on Spark 4.0 + Delta 4.0).
test-oldest: test-$(OLDEST)

test-spark%: .venv-spark%/.installed
	.venv-spark$*/bin/python -m pytest $(CORE_TESTS)

# The JSON Schemas in schemas/, from the models (tests/test_schema_files.py keeps them equal).
schemas: install
	for kind in job profile project; do $(BIN)/lakehouse schema $$kind > schemas/$$kind.schema.json; done

clean:
	rm -rf $(DEMO)/data/lake $(DEMO)/data/warehouse $(DEMO)/build build dist *.egg-info
