# Two entry points for a fresh machine (Python 3.11+ and Java 17 are all they need):
#   make demo   installs everything into .venv and runs the demo jobs end to end
#   make test   installs everything into .venv and runs the test suite
VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
DEMO := examples/shop
DEMO_FROM := 2024-03-01
DEMO_TO := 2024-03-03
DEMO_CHANGE := 2024-03-04
export SPARK_LOCAL_IP ?= 127.0.0.1

.PHONY: install demo test schemas clean

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

# The JSON Schemas in schemas/, from the models (tests/test_schema_files.py keeps them equal).
schemas: install
	for kind in job profile project; do $(BIN)/lakehouse schema $$kind > schemas/$$kind.schema.json; done

clean:
	rm -rf $(DEMO)/data/lake $(DEMO)/data/warehouse $(DEMO)/build build dist *.egg-info
