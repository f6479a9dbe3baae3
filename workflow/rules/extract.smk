rule extract:
    input:
        sheet=config["charting"]["sheet"],
        clusters="results/02_dedupe/clusters.parquet",
        status="results/03_screen/status.parquet",
    output:
        charting="results/04_extract/charting.parquet",
        unmatched="results/04_extract/unmatched.parquet",
        ledger=ledger_part("04_extract"),
    log:
        "results/logs/extract.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
        charting=config["charting"],
    script:
        "../scripts/extract.py"
