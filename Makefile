# Every target creates or reuses .venv from the lock file by itself: on a fresh machine with
# python3 and make, `make demo` and `make test` need no other step.
PYTHON ?= python3
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

browser-deps:
	@bash scripts/ensure-chromium.sh

test: $(STAMP) browser-deps lint
	@url=$$($(BIN)/python scripts/postgres_url.py); \
	if [ -n "$$url" ]; then export PREPAID_TEST_POSTGRES_URL="$$url"; echo "storage tests: SQLite and PostgreSQL ($$url)"; \
	else echo "storage tests: SQLite only - no PostgreSQL answers at 127.0.0.1:5432 (set PREPAID_TEST_POSTGRES_URL)"; fi; \
	$(BIN)/pytest

# The calendar's hard instants (Europe/Brussels): day, month, quarter and year change; the spring and
# autumn DST changes; month end where UTC and local days differ. `make test-dates` runs the
# date-sensitive tests with the process clock (pytest and every Python process it starts) at each,
# on SQLite and, when PREPAID_TEST_POSTGRES_URL is set, PostgreSQL.
CLOCK_INSTANTS := 2027-01-01T00:30:00Z 2027-03-28T01:30:00Z 2027-10-31T00:30:00Z 2027-02-28T23:30:00Z
DATE_SENSITIVE := tests/browser tests/e2e tests/unit/periods tests/integration/periods \
	tests/unit/guards tests/integration/guards tests/unit/web tests/integration/budgets tests/integration/sync

test-dates: $(STAMP) browser-deps
	@for at in $(CLOCK_INSTANTS); do \
	  echo "== process clock at $$at"; \
	  PREPAID_TEST_CLOCK_AT=$$at PYTHONPATH=tests/dates $(BIN)/pytest -q --durations=0 --durations-min=30 \
	    -W "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning" \
	    $(DATE_SENSITIVE) || exit 1; \
	done

bench: $(STAMP)
	$(BIN)/python -m bench

schema: $(STAMP)
	$(BIN)/python scripts/regenerate_schema.py "$(MESSAGE)"

lock: $(STAMP)
	$(BIN)/python -m pip freeze --exclude-editable > requirements.lock

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
