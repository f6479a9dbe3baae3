rule themes:
    input:
        prevalence="results/05_codes/prevalence.parquet",
    output:
        themes="results/06_themes/themes.parquet",
        ledger=ledger_part("06_themes"),
    log:
        "results/logs/themes.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
    script:
        "../scripts/themes.py"
