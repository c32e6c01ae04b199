# Every target creates or reuses .venv from the lock file by itself: on a fresh machine with
# python3 and make, `make demo` and `make test` need no other step.
PYTHON ?= python3
# The suite runs in this many processes (pytest-xdist): most of its time is spent waiting on
# subprocesses, sockets and Chromium, so two workers halve it on two cores.
TEST_WORKERS ?= 2
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test test-dates lint bench schema lock clean browser-deps

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/prepaid demo

lint: $(STAMP)
	$(BIN)/ruff check connector tests bench scripts
	$(BIN)/ruff format --check connector tests bench scripts
	$(BIN)/mypy connector
	$(BIN)/hadolint Dockerfile
	$(BIN)/lint-imports

browser-deps:
	@bash scripts/ensure-chromium.sh

test: $(STAMP) browser-deps lint
	@url=$$($(BIN)/python scripts/postgres_url.py); \
	if [ -n "$$url" ]; then export PREPAID_TEST_POSTGRES_URL="$$url"; echo "storage tests: SQLite and PostgreSQL ($$url)"; \
	else echo "storage tests: SQLite only - no PostgreSQL answers at 127.0.0.1:5432 (set PREPAID_TEST_POSTGRES_URL)"; fi; \
	$(BIN)/pytest -n $(TEST_WORKERS)

# The calendar's hard instants (Europe/Brussels): day, month, quarter and year change; the spring and
# autumn DST changes; month end where UTC and local days differ. The script says what runs and why.
test-dates: $(STAMP) browser-deps
	@bash scripts/test_dates.sh

bench: $(STAMP)
	$(BIN)/python -m bench

schema: $(STAMP)
	$(BIN)/python scripts/regenerate_schema.py "$(MESSAGE)"

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
