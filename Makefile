# Two commands do everything on a fresh machine with Python 3.11 and make:
#   make run    the whole workflow on the bundled example -> results/07_report/index.html
#   make test   the test suite
# Both create or refresh the local virtual environment .venv when pyproject.toml or
# constraints.txt (the exact versions installed; `make lock` renews them) changes.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CORES ?= 2
SNAKEMAKE := $(BIN)/snakemake --cores $(CORES)

.PHONY: run test check format lint dry-run system-deps clean venv config-docs slurm-up slurm-down bench bench-import bench-dedupe bench-workflow bench-report bench-screening

# constraints.txt pins every package to the versions the tests last passed with, so a release
# within pyproject's ranges (polars 2.2.0 changed every stage table's bytes) cannot change a
# fresh clone's results unseen; `make lock` moves the pins to the newest releases in the ranges.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

# resolved in a new, empty venv: a package installed by hand in .venv, or one no longer
# required, is not pinned; `pkg @ file://` lines (a wheel only this machine has) are refused
LOCK_VENV := .venv-lock
.PHONY: lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet -e '.[dev]'
	$(LOCK_VENV)/bin/python -m pip freeze --exclude-editable > constraints.txt.new
	! grep ' @ ' constraints.txt.new
	{ echo "# The exact versions make venv installs (pip -c): what CI and the benchmarks ran with."; \
	  echo "# pyproject.toml keeps the ranges. Refresh: make lock (the newest within the ranges), then make test."; \
	  cat constraints.txt.new; } > constraints.txt
	rm -rf constraints.txt.new $(LOCK_VENV)
	@echo "constraints.txt rewritten: make test installs it; commit it when the tests pass"

run: $(STAMP)
	$(BIN)/scoping-review run --cores $(CORES)
	@echo "Ledger: results/ledger/counts.parquet"

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

# `make bench`: one run of benchmarks/bench_all.py measures the workflow at BENCH_SCALES (full run
# and a +1% update each), `scoping-review --help`, the import of a realistic corpus through the
# command and in-process against rispy and bibtexparser, and dedupe against bib-dedupe (pooled
# accuracy on the labelled sets, speed at 10k); it computes every target's verdict and writes
# benchmarks/RESULTS.md and results.json, stamped with machine, load, commit and command.
# Opt in to 1M/2M: make bench BENCH_SCALES="10000 100000 1000000 2000000". More options
# (sections, sizes): BENCH_ALL_ARGS="--sections workflow,help --help-runs 20".
BENCH_SCALES ?= 10000 100000
BENCH_ALL_ARGS ?=
bench: $(STAMP)
	$(BIN)/python benchmarks/bench_all.py --scales $(BENCH_SCALES) $(BENCH_ALL_ARGS)

# The workflow section alone (RESULTS.md then says the other sections were not run).
bench-workflow: $(STAMP)
	$(BIN)/python benchmarks/bench_all.py --sections workflow --scales $(BENCH_SCALES)

# Detailed single-topic benchmarks with their own result files (not part of `make bench`):
# import of the simple synthetic exports per format (benchmarks/import.md, BENCH_N records),
# dedupe with leave-one-set-out and tafenoquine (benchmarks/dedupe.md; larger synthetic sets:
# BENCH_ARGS="--scale 10000 --scale 100000 --peer-max 100000"), report rendering (report.md).
BENCH_N ?= 100000
bench-import: $(STAMP)
	$(BIN)/python benchmarks/bench_import.py --n $(BENCH_N) --repeat 3

BENCH_ARGS ?=
bench-dedupe: $(STAMP)
	$(BIN)/python benchmarks/bench_dedupe.py $(BENCH_ARGS)

BENCH_REPORT_STUDIES ?= 500 100000
bench-report: $(STAMP)
	$(BIN)/python benchmarks/bench_report.py --studies $(BENCH_REPORT_STUDIES)

# Prioritised screening on every labelled set in ../shared/fixtures/screening/labelled/, ours
# against ASReview LAB's default simulation (installed from the bench-screening extra into its own
# venv under benchmarks/work/), the same 20 seeds for both (about 8 minutes on 2 cores); writes
# benchmarks/screening.md and screening.json.
# Quicker: make bench-screening SCREENING_ARGS="--seeds 3 --peer-seeds 2"
SCREENING_ARGS ?=
bench-screening: $(STAMP)
	$(BIN)/python benchmarks/bench_screening.py $(SCREENING_ARGS)

clean:
	rm -rf results .snakemake
