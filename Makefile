# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin

.PHONY: install demo test lint bench clean

$(BIN)/newsmon: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

install: $(BIN)/newsmon

demo: install  ## serve the bundled sample site on loopback, run a pass, show what landed
	PREFECT_SERVER_ANALYTICS_ENABLED=false $(BIN)/newsmon demo --dir newsmon-demo

test: install  ## lint and type-check, then the whole suite
	$(BIN)/ruff check .
	$(BIN)/mypy newsmon commands engine extractors warehouse classifiers flows notify places stories
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy newsmon commands engine extractors warehouse classifiers flows notify places stories

bench: install
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/classify.py
	$(BIN)/python bench/idle_pass.py
	$(BIN)/python bench/import_speed.py
	$(BIN)/python bench/catalogs.py
	$(BIN)/python bench/run_ids.py
	$(BIN)/python bench/stories_places.py

clean:
	rm -rf $(VENV) newsmon-demo .pytest_cache
