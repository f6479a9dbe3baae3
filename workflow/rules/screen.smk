rule screen:
    input:
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        sheets=screening_sheets(),
    output:
        decisions="results/03_screen/decisions.parquet",
        status="results/03_screen/status.parquet",
        ledger=ledger_part("03_screen"),
    log:
        "results/logs/screen.log",
    conda:
        "../../environment.yml"
    params:
        screening=config["screening"],
        criteria=config["criteria"],
    script:
        "../scripts/screen.py"
