# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# The admin app (webapp/, served at /app): npm ci with the lockfile, then esbuild into webapp/dist.
WEBAPP := webapp/dist/index.html
WEBAPP_SOURCES := $(shell find webapp/src -type f -not -path '*/generated/*' 2>/dev/null) webapp/build.mjs \
	$(wildcard frontend-contract/operations/*.graphql)

.PHONY: run test install migrate schema bench clean webapp screenshots

$(STAMP): pyproject.toml webapp/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	cd webapp && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	touch $(STAMP)

$(WEBAPP): $(STAMP) $(WEBAPP_SOURCES)
	cd webapp && npm run --silent build

webapp: $(WEBAPP)

install: $(STAMP) $(WEBAPP)

# Pixport on its embedded defaults; without BigCommerce app credentials, with the demo store,
# the BigCommerce and PayPal sandboxes and the Stripe test server (Ctrl-C stops them all).
run: $(STAMP) $(WEBAPP)
	$(BIN)/pixport demo

# The whole suite on PostgreSQL + Redis, then the parts that differ on the embedded defaults.
test: $(STAMP) $(WEBAPP)
	$(BIN)/python -m tests.run $(ARGS)

# The browser journey again, refreshing the README's screenshots in docs/screenshots/.
screenshots: $(STAMP) $(WEBAPP)
	PIXPORT_UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -q tests/browser

schema: $(STAMP)
	$(BIN)/pixport export-schema frontend-contract/schema.graphql

clean:
	rm -rf $(VENV) data .pytest_cache webapp/node_modules webapp/dist webapp/src/generated
