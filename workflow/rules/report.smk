# The report: HTML, PRISMA flow, checklist and figures, every number from the ledger
# (scoping_review.report).


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
        ranking="results/03_screen/ranking.parquet",
        config_file=workflow.configfiles,
    output:
        html=report(
            "results/07_report/index.html",
            caption="../report/index.rst",
            category="Report",
            labels={"output": "HTML report"},
        ),
        flow_svg=report(
            "results/07_report/prisma_flow.svg",
            caption="../report/prisma_flow.rst",
            category="PRISMA 2020 flow diagram",
            labels={"format": "SVG"},
        ),
        flow_png=report(
            "results/07_report/prisma_flow.png",
            caption="../report/prisma_flow.rst",
            category="PRISMA 2020 flow diagram",
            labels={"format": "PNG"},
        ),
        flow_pdf=report(
            "results/07_report/prisma_flow.pdf",
            caption="../report/prisma_flow.rst",
            category="PRISMA 2020 flow diagram",
            labels={"format": "PDF"},
        ),
        flow_vegalite=report(
            "results/07_report/prisma_flow.vl.json",
            caption="../report/prisma_flow_vegalite.rst",
            category="PRISMA 2020 flow diagram",
            labels={"format": "Vega-Lite JSON"},
        ),
        checklist_md=report(
            "results/07_report/prisma_scr_checklist.md",
            caption="../report/checklist.rst",
            category="PRISMA-ScR checklist",
            labels={"format": "Markdown"},
        ),
        checklist_csv=report(
            "results/07_report/prisma_scr_checklist.csv",
            caption="../report/checklist.rst",
            category="PRISMA-ScR checklist",
            labels={"format": "CSV"},
        ),
        figures=report(
            directory("results/07_report/figures"),
            patterns=["{name}.svg"],
            caption="../report/figures.rst",
            category="Figures",
        ),
        counts=directory("results/07_report/counts"),
    log:
        "results/logs/report.log",
    benchmark:
        "results/logs/benchmarks/report.tsv"
    conda:
        "../../environment.yml"
    params:
        code_version=code_version("report.py"),
        config=config,
        stages=stages_started(),
        templates=str(REPO_DIR / "workflow" / "templates"),
        prisma=str(REPO_DIR / "resources" / "prisma"),
        # renderings of unchanged figure specs, reused by the next run (not an output)
        figure_cache="results/cache/report/figures",
    script:
        "../scripts/report.py"
