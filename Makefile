# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    the whole workflow on the bundled example -> results/07_report/index.html
#   make test   the test suite
# Both create or refresh the local virtual environment .venv when pyproject.toml changes.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES)

.PHONY: run test check format lint dry-run system-deps clean venv config-docs slurm-up slurm-down bench bench-import bench-dedupe bench-workflow bench-report bench-screening

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/scoping-review run --cores $(CORES)
	@echo "Report: results/07_report/index.html   Ledger: results/ledger/counts.parquet"

dry-run: $(STAMP)
	$(SNAKEMAKE) --dry-run

# Debian's chromium drives the report's browser tests; installed when running as root.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing Debian chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "note: chromium is not installed and cannot be installed here; browser tests will skip"; \
	  fi; \
	fi

test: $(STAMP) system-deps
	$(BIN)/pytest

check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/snakemake --lint

# config/README.md is generated from workflow/schemas/config.schema.yaml (a test checks it).
config-docs: $(STAMP)
	$(BIN)/python -m scoping_review.configdoc

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/snakefmt Snakefile workflow/rules

# Property tests with a large example budget (make test runs them with a small one).
# FUZZ_EXAMPLES=20000 make fuzz for a longer run.
FUZZ_EXAMPLES ?= 3000
.PHONY: fuzz
fuzz: $(STAMP)
	SCOPING_REVIEW_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/pytest -q tests/fuzz

# A single-node SLURM on localhost for tests/cluster (root; apt-installs munge + SLURM, starts
# the daemons by hand, no systemd). The test starts it itself; these targets are for use by hand.
LOCAL_SLURM := ../shared/tools/local-slurm
slurm-up:
	bash $(LOCAL_SLURM)/setup-local-slurm.sh

slurm-down:
	bash $(LOCAL_SLURM)/teardown.sh

# Benchmarks (results written to benchmarks/); BENCH_N records per synthetic file
BENCH_N ?= 100000
bench-import: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py --n $(BENCH_N) --repeat 3


# Benchmarks write their results to benchmarks/ (see benchmarks/dedupe.md). Each compares with
# the named peer in the same run. Larger synthetic sets: make bench-dedupe BENCH_ARGS="--scale
# 10000 --scale 100000 --peer-max 100000" (bib-dedupe takes minutes at 100k).
BENCH_ARGS ?=

bench: bench-import bench-dedupe bench-workflow bench-report

# Report rendering time and page weight at BENCH_REPORT_STUDIES studies (benchmarks/report.md)
BENCH_REPORT_STUDIES ?= 500 100000
bench-report: $(STAMP)
	$(BIN)/python benchmarks/bench_report.py --studies $(BENCH_REPORT_STUDIES)

bench-dedupe: $(STAMP)
	$(BIN)/python benchmarks/bench_dedupe.py $(BENCH_ARGS)

# The whole workflow on synthetic reviews of BENCH_SCALES records (add 1000000 to opt in to 1M),
# per rule and end to end, a +1% living update and the example's dry run; reads the import and
# dedupe results above for the peer ratios. Writes benchmarks/RESULTS.md and results.json.
BENCH_SCALES ?= 10000 100000
bench-workflow: $(STAMP)
	$(BIN)/python benchmarks/bench_workflow.py --scales $(BENCH_SCALES)

# Prioritised screening on every labelled set in ../shared/fixtures/screening/labelled/, ours
# against ASReview LAB's default simulation (installed from the bench-screening extra into its own
# venv under benchmarks/work/), same seeds; writes benchmarks/screening.md and screening.json.
# Quicker: make bench-screening SCREENING_ARGS="--seeds 3 --peer-seeds 2"
SCREENING_ARGS ?=
bench-screening: $(STAMP)
	$(BIN)/python benchmarks/bench_screening.py $(SCREENING_ARGS)

clean:
	rm -rf results .snakemake
