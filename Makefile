# pmo-nb: `make help` lists the targets.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOAD_ARGS ?= --programs 20 --projects 400 --runs 1

.DEFAULT_GOAL := help
.PHONY: help setup test test-fast lint demo sample lab bench clean

help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-10s\033[0m %s\n", $$1, $$2}'

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "$(PYTHON) not found: install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (pmo-nb)" >/dev/null
	@# notebooks are committed without outputs: nbstripout cleans them as git stages them (.gitattributes);
	@# --keep-id keeps the cells' ids, so stripping changes nothing else in a committed notebook
	@if git rev-parse --git-dir >/dev/null 2>&1; then \
		$(BIN)/nbstripout --install --attributes .gitattributes && \
		git config filter.nbstripout.clean '"$(abspath $(BIN))/python" -m nbstripout --keep-id'; fi
	@touch $(STAMP)

setup: $(STAMP) ## Create .venv, install pmo-nb with its dev extras, strip notebook outputs on commit (nbstripout)

lint: setup ## Run ruff, the layering contract (import-linter) and the type checker (mypy)
	$(BIN)/ruff check pmo_nb tests benchmarks
	$(BIN)/lint-imports
	$(BIN)/mypy

test: setup lint ## Run the linters and the whole test suite (pytest + nbval on the report notebooks), one file per core
	$(BIN)/python -m pytest -n auto --dist loadfile --nbval-lax tests pmo_nb/notebooks

test-fast: setup ## Run everything but the slow end-to-end, browser and load tests (about 2.5 minutes on 2 cores)
	$(BIN)/python -m pytest -n auto --dist loadfile -m "not slow" tests

demo: setup ## Validate the bundled sample portfolio and run the monthly reports into reports/
	$(BIN)/pmo-nb validate data/sample --config examples/pmo.toml
	$(BIN)/pmo-nb run --source data/sample --config examples/pmo.toml --out reports
	@month=$$(ls -d reports/[0-9][0-9][0-9][0-9]-[0-9][0-9] 2>/dev/null | sort | tail -1); \
	 echo ""; \
	 echo "The executive pack: $$month/$$(cd $$month && ls executive-pack-*.pdf)"; \
	 echo "The reports: $$month/portfolio.html (it links to each program's report)"; \
	 echo "Open them in a browser or PDF viewer, e.g. xdg-open $$month/portfolio.html (Linux) or open it (macOS)"

sample: setup ## Regenerate the committed sample portfolio in data/sample/
	$(BIN)/pmo-nb sample --out data/sample --format csv --force

lab: setup ## Open JupyterLab on the report notebooks with the project's environment as the kernel
	$(BIN)/python -m pip install --quiet -e ".[dev,lab]"
	$(BIN)/jupyter lab pmo_nb/notebooks/

bench: setup ## Run the benchmarks (load at 20 programs; full 200-program load: make bench LOAD_ARGS=)
	$(BIN)/python benchmarks/bench_kpis.py
	$(BIN)/python benchmarks/bench_run.py
	$(BIN)/python benchmarks/bench_load.py $(LOAD_ARGS)

clean: ## Remove the virtual environment and caches (keeps reports/)
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
