# The two set-up commands of the README. Each creates .venv on first use
# (and again when pyproject.toml, the lock or the build changes), installing
# the locked versions, then does its job.
#
# The build follows the machine: on Linux x86-64 where nvidia-smi lists a GPU,
# the CUDA build (constraints-cuda.txt: the same pins plus TensorFlow's and
# JAX's CUDA wheels); elsewhere the CPU build (constraints.txt), without
# gigabytes of CUDA wheels. GPU=1 or GPU=0 forces either.
PYTHON ?= python3
VENV := .venv
GPU ?= $(shell [ "$$(uname -sm)" = "Linux x86_64" ] && nvidia-smi -L 2>/dev/null | grep -q '^GPU ' && echo 1 || echo 0)

ifeq ($(GPU),1)
BUILD := cuda
LOCK := constraints-cuda.txt
EXTRAS := training,workflow,test,cuda
else
BUILD := cpu
LOCK := constraints.txt
EXTRAS := training,workflow,test
endif
INSTALLED := $(VENV)/.installed-$(BUILD)

.PHONY: setup study test

# The set-up alone (bench/gpu_check.sh times it apart from the study).
setup: $(INSTALLED)

study: $(INSTALLED)
	$(VENV)/bin/snakemake --cores 8 --resources gpu=1

# One pytest worker per core, at most four (each worker's studies run
# Snakemake with cores of their own); a file's tests stay on one worker, so
# a module's fixtures are built once. TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 4 ] && echo 4 || echo $$n)

test: $(INSTALLED)
	$(VENV)/bin/pytest -n $(TEST_WORKERS) --dist loadfile

# --clear: switching builds must not leave the other build's wheels behind.
$(INSTALLED): pyproject.toml $(LOCK)
	$(PYTHON) -m venv --clear $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -c $(LOCK) -e ".[$(EXTRAS)]"
	touch $@
