# The two set-up commands of the README. Each creates .venv on first use
# (and again when pyproject.toml or constraints.txt changes), installing the
# locked versions of constraints.txt, then does its job.
PYTHON ?= python3
VENV := .venv
INSTALLED := $(VENV)/.installed

.PHONY: study test

study: $(INSTALLED)
	$(VENV)/bin/snakemake --cores 8 --resources gpu=1

test: $(INSTALLED)
	$(VENV)/bin/pytest

$(INSTALLED): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@
