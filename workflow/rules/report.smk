rule report:
    input:
        ledger="results/ledger/counts.parquet",
        issues="results/quality/issues.parquet",
        charting="results/04_extract/charting.parquet",
        prevalence="results/05_codes/prevalence.parquet",
        themes="results/06_themes/themes.parquet",
        characteristics="results/04_extract/characteristics.parquet",
        overarching="results/06_themes/overarching.parquet",
        cooccurrence="results/06_themes/cooccurrence.parquet",
        evidence_map="results/06_themes/evidence_map.parquet",
        files="results/01_import/files.parquet",
        records="results/01_import/records.parquet",
        studies="results/02_dedupe/studies.parquet",
        screening_status="results/03_screen/status.parquet",
        carryover="results/03_screen/carryover.parquet",
        config_file=workflow.configfiles,
    output:
        html="results/07_report/index.html",
        flow_svg="results/07_report/prisma_flow.svg",
        flow_png="results/07_report/prisma_flow.png",
        flow_vegalite="results/07_report/prisma_flow.vl.json",
        figures=directory("results/07_report/figures"),
        counts=directory("results/07_report/counts"),
    log:
        "results/logs/report.log",
    conda:
        "../../environment.yml"
    params:
        code_version=CODE_VERSION,
        config=config,
        templates=str(REPO_DIR / "workflow" / "templates"),
        prisma=str(REPO_DIR / "resources" / "prisma"),
    script:
        "../scripts/report.py"
