rule dedupe:
    input:
        records="results/01_import/records.parquet",
        decisions=dedupe_decision_sheets(),
    output:
        clusters="results/02_dedupe/clusters.parquet",
        studies="results/02_dedupe/studies.parquet",
        review_queue="results/02_dedupe/review_queue.parquet",
        relations="results/02_dedupe/relations.parquet",
        review_xlsx="results/02_dedupe/review_queue.xlsx",
        ledger=ledger_part("02_dedupe"),
    log:
        "results/logs/dedupe.log",
    benchmark:
        "results/logs/benchmarks/dedupe.tsv"
    conda:
        "../../environment.yml"
    threads: 2  # the candidate pairs' string similarities (rapidfuzz) in two threads
    params:
        code_version=code_version("dedupe.py"),
        settings=config.get("dedupe", {}),
        # a study's ID comes from its record of the earliest round, then the earliest date
        search_rounds={s["id"]: int(s.get("round", 1)) for s in config["searches"]},
        app_directory=SCREENING.get("app_directory") or "screening",
    script:
        "../scripts/dedupe.py"
