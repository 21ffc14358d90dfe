# Two commands for readers: `make book` and `make test`. Both set up .venv on their own.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8000
# TensorFlow is quiet only with both variables set before it is imported.
export TF_CPP_MIN_LOG_LEVEL := 2
export TF_ENABLE_ONEDNN_OPTS := 0
export KERAS_BACKEND := tensorflow

.PHONY: help venv book test test-slow test-colab execute serve screenshots benchmark results \
        workshop set-repository clean distclean

help:
	@echo "make book         build the HTML book into _build/html (warnings are errors)"
	@echo "make test         nbval over all notebooks + unit tests, within 5 minutes"
	@echo "make test-slow    what make test leaves out: the Keras layers on JAX and torch,"
	@echo "                  the practice pages under nbval, the property tests with 300"
	@echo "                  examples each, and the hostile run's outcomes per backend"
	@echo "make test-colab   nbval over the notebooks with Colab's Keras and TensorFlow"
	@echo "                  (requirements-colab.txt) in .venv-colab; not part of make test"
	@echo "make execute      re-execute every notebook in place, top to bottom (authors)"
	@echo "make serve        serve _build/html on http://localhost:$(PORT)"
	@echo "make screenshots  headless-Chromium screenshots of the built book into screenshots/"
	@echo "make benchmark    CPU latency of our modules against the seeds' code"
	@echo "make results      re-run every benchmark behind cnn_attention/results/*.json (hours);"
	@echo "                  QUICK=1: a tiny run of every script into _build/results-quick/"
	@echo "make workshop     student copies (solutions -> checks) and instructor copies of"
	@echo "                  every chapter, outputs cleared, into _build/workshop/;"
	@echo "                  ZIP=DIR also writes them as zip files into DIR"
	@echo "make set-repository URL=https://github.com/OWNER/REPO"
	@echo "                  point _config.yml, Colab install lines, book links at REPO"
	@echo "make clean        remove build outputs; 'make distclean' also removes .venv"

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python >= 3.10 is required (3.11 recommended)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "Open _build/html/index.html in a browser, or run 'make serve'."

test: $(STAMP)
	$(BIN)/python -m pytest -m "not slow"

# What make test leaves out to keep within 5 minutes on two cores: the tests marked
# slow (the Keras layers on JAX and on torch), the "Attention in practice" pages under
# nbval (notebooks/practice), the property tests drawing 300 examples each instead
# of 20, and every hostile case on every backend (with its table of outcomes).
test-slow: $(STAMP)
	PROPERTY_EXAMPLES=300 $(BIN)/python -m pytest -m "slow or properties" tests notebooks/practice
	$(BIN)/python tools/hostile_run.py

# The committed outputs under Colab's Keras and TensorFlow: a second environment with
# requirements.txt's pins, those named in requirements-colab.txt replaced by its own.
COLAB_VENV  := .venv-colab
COLAB_STAMP := $(COLAB_VENV)/.installed

$(COLAB_STAMP): requirements.txt requirements-colab.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10) and "Python >= 3.10 is required (3.11 recommended)")'
	test -x $(COLAB_VENV)/bin/python || $(PYTHON) -m venv $(COLAB_VENV)
	names="$$(sed -n 's/^\([A-Za-z0-9_.-]*\)==.*/\1/p' requirements-colab.txt | sort -u | paste -sd'|' -)"; \
	{ grep -v -E "^($$names)(\[[^]]*\])?==" requirements.txt; cat requirements-colab.txt; } \
	  > $(COLAB_VENV)/requirements.txt
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -r $(COLAB_VENV)/requirements.txt
	$(COLAB_VENV)/bin/python -m pip install --quiet --no-deps -e .
	touch $@

# Notebooks only, with pyproject.toml's nbval options and conftest.py's settings.
test-colab: $(COLAB_STAMP)
	$(COLAB_VENV)/bin/python -m pytest notebooks

execute: $(STAMP)
	$(BIN)/python tools/execute_notebooks.py notebooks/*.ipynb notebooks/practice/*.ipynb

serve: book
	$(BIN)/python -m http.server $(PORT) --bind 127.0.0.1 --directory _build/html

screenshots: book
	PYTHON=$(BIN)/python PORT=$(PORT) bash tools/screenshots.sh

benchmark: $(STAMP)  # prints the speed table; `make results` rewrites the committed file
	$(BIN)/python benchmarks/speed_against_seeds.py --output _build/speed_against_seeds.json

# The scripts that write the files the chapters read; each records its provenance.
RESULT_SCRIPTS := bifpn coordinate_attention cbam_improvements dual_pooling which_attention why_worse knobs from_pretrained deploying speed_against_seeds
RESULTS_DIR := $(if $(QUICK),_build/results-quick,cnn_attention/results)
results: $(STAMP)
	@mkdir -p $(RESULTS_DIR)
	@for script in $(RESULT_SCRIPTS); do \
	  echo "== benchmarks/$$script.py -> $(RESULTS_DIR)/$$script.json"; \
	  $(BIN)/python benchmarks/$$script.py $(if $(QUICK),--quick) \
	    --output $(RESULTS_DIR)/$$script.json || exit 1; \
	done

# ZIP=DIR also writes both sets as zip files into DIR (the publishing workflow: the site).
workshop: $(STAMP)
	$(BIN)/python tools/make_workshop.py $(if $(ZIP),--zip $(ZIP))

# Standard library only: needs no .venv. Without URL=, it prints its usage.
set-repository:
	$(PYTHON) tools/set_repository.py $(URL)

clean:
	rm -rf _build screenshots .pytest_cache .hypothesis
	find . -name __pycache__ -not -path './$(VENV)/*' -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) $(COLAB_VENV) *.egg-info
