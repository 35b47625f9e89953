# The two commands: `make run` (the whole platform with demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
SPARK_STAMP := $(VENV)/.installed-spark

.PHONY: run test lint messages federation bench clean venv backup restore lock

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

# `make test` also installs the `spark` extra (tests/portraits/test_spark.py); `make run` does not need it.
$(SPARK_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[test,spark]'
	@touch $(SPARK_STAMP)

venv: $(STAMP)

# Translations: .mo files are committed (a fresh machine may have no gettext); rebuilt when msgfmt exists.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null 2>&1; then $(BIN)/python manage.py compilemessages -v0 --ignore=.venv; \
	else echo "msgfmt not found: using the committed .mo files"; fi

run: $(STAMP) messages
	$(BIN)/python manage.py migrate --noinput -v0
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	PORT=$(PORT) $(BIN)/python -m platform_site.launch

test: $(SPARK_STAMP) messages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	DJANGO_SETTINGS_MODULE=platform_site.settings.test $(BIN)/python manage.py makemigrations --check --dry-run -v0

federation: $(STAMP) messages
	$(BIN)/python -m rarecases.federation_launch

# Backups (docs/operations.md): the database and the private store into BACKUP_DIR (default var/backups);
# `make restore BACKUP=var/backups/medplatform-…` into an EMPTY database and store, then verifies the audit chain.
backup: $(STAMP)
	$(BIN)/python manage.py backup

restore: $(STAMP)
	@test -n "$(BACKUP)" || { echo "usage: make restore BACKUP=path/to/backup-directory"; exit 2; }
	$(BIN)/python manage.py restore "$(BACKUP)"

# The Docker image's pinned dependencies (docs/operations.md); run after changing pyproject.toml's dependencies.
lock: $(STAMP)
	@mkdir -p var
	$(BIN)/python -m pip lock . -q -o var/pylock.toml
	$(BIN)/python -m operations.lock var/pylock.toml requirements.lock

clean:
	rm -rf var staticfiles
