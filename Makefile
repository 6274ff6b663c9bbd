# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install migrate schema bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Pixport on its embedded defaults; without BigCommerce app credentials, with the demo store,
# the BigCommerce and PayPal sandboxes and the Stripe test server (Ctrl-C stops them all).
run: $(STAMP)
	$(BIN)/pixport demo

# The whole suite on PostgreSQL + Redis, then the parts that differ on the embedded defaults.
test: $(STAMP)
	$(BIN)/python -m tests.run $(ARGS)

schema: $(STAMP)
	$(BIN)/pixport export-schema frontend-contract/schema.graphql

clean:
	rm -rf $(VENV) data .pytest_cache
