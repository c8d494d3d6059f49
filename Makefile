# PayCrypt: `make run` starts the whole stack on the embedded default, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PACKAGES := core cli jobs checks dashboard api sandbox migrations

.PHONY: run test lint typecheck pytest bench clean setup

setup: $(STAMP)

# The venv is rebuilt whenever pyproject.toml changes.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/paycrypt migrate up
	$(BIN)/paycrypt run

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# mypy cannot follow setuptools' editable-install import hook, so it reads the packages through a tree
# of symlinks that mirrors the installed `paycrypt.*` names.
typecheck: $(STAMP)
	@rm -rf build/typecheck && mkdir -p build/typecheck/paycrypt
	@for p in $(PACKAGES); do ln -s ../../../$$p build/typecheck/paycrypt/$$p; done
	cd build/typecheck && MYPYPATH=. ../../$(BIN)/mypy --config-file ../../pyproject.toml -p paycrypt
	MYPYPATH=build/typecheck $(BIN)/mypy tests bench

pytest: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info .mypy_cache .pytest_cache .ruff_cache
