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
        ranking="results/03_screen/ranking.parquet",
        rounds="results/03_screen/rounds.parquet",
        stopping="results/03_screen/stopping.parquet",
        worklists=directory("results/03_screen/worklists"),
        ledger=ledger_part("03_screen"),
    log:
        "results/logs/screen.log",
    benchmark:
        "results/logs/benchmarks/screen.tsv"
    conda:
        "../../environment.yml"
    threads: 2  # the ranking's term counts (new texts only, in an update) in two processes
    params:
        code_version=code_version("screen.py"),
        screening=SCREENING,
        criteria=config.get("criteria") or [],
        searches=config["searches"],
        term_cache="results/cache/screen/terms",
        round_cache="results/cache/screen/rounds",
    script:
        "../scripts/screen.py"
