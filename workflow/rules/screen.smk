# Screening: the sheets applied (statuses, agreement, conflicts, carry-over, the stopping rule),
# then, in its own rule, the ranking of pending studies, the living rounds and the worklists.
# Extraction, coding, themes and sources need the statuses only: they run while rule rank
# fits its models; quality, changes, the ledger and the report read its counts and wait.


rule screen:
    input:
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        records="results/01_import/records.parquet",
        sheets=screening_sheets(),
        previous_included=previous_version_files("included.parquet"),
    output:
        decisions="results/03_screen/decisions.parquet",
        status="results/03_screen/status.parquet",
        agreement="results/03_screen/agreement.parquet",
        conflicts="results/03_screen/conflicts.parquet",
        conflicts_xlsx="results/03_screen/conflicts.xlsx",
        carryover="results/03_screen/carryover.parquet",
        stopping="results/03_screen/stopping.parquet",
        ledger=ledger_part("03_screen"),
    log:
        "results/logs/screen.log",
    benchmark:
        "results/logs/benchmarks/screen.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("screen.py"),
        screening=SCREENING,
        criteria=config.get("criteria") or [],
        searches=config["searches"],
    script:
        "../scripts/screen.py"


rule rank:
    input:
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        records="results/01_import/records.parquet",
        decisions="results/03_screen/decisions.parquet",
        status="results/03_screen/status.parquet",
    output:
        ranking="results/03_screen/ranking.parquet",
        rounds="results/03_screen/rounds.parquet",
        worklists=directory("results/03_screen/worklists"),
        ledger=ledger_part("03_rank"),
    log:
        "results/logs/rank.log",
    benchmark:
        "results/logs/benchmarks/rank.tsv"
    conda:
        "../../environment.yml"
    threads: 2  # the ranking's term counts (new texts only, in an update) in two processes
    params:
        code_version=code_version("rank.py"),
        screening=SCREENING,
        criteria=config.get("criteria") or [],
        searches=config["searches"],
        # kept for the next run (not outputs: Snakemake would delete them before the rule)
        term_cache="results/cache/screen/terms",
        round_cache="results/cache/screen/rounds",
    script:
        "../scripts/rank.py"
