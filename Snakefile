# Living scoping review as code: database exports -> deduplicated, screened, charted and coded
# evidence -> a report whose every number comes from the counts ledger.
# Run: `make run` (bundled example) or `snakemake --cores 2 --directory <review dir>`.
from snakemake.utils import min_version, validate

min_version("9.27")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/import.smk"
include: "workflow/rules/dedupe.smk"
include: "workflow/rules/screen.smk"
include: "workflow/rules/extract.smk"
include: "workflow/rules/codes.smk"
include: "workflow/rules/themes.smk"
include: "workflow/rules/sources.smk"
include: "workflow/rules/quality.smk"
include: "workflow/rules/changes.smk"
include: "workflow/rules/ledger.smk"
include: "workflow/rules/report.smk"


# On a cluster (profiles/slurm) these light rules run on the submit host, not as jobs.
localrules:
    all,
    import_merge,
    screen,
    extract,
    codes,
    themes,
    quality,
    ledger,
    changes,


# Every stage's outputs are targets too: a stage folder deleted by hand is made again (as an
# input only, Snakemake would leave it missing while the report that came from it is current).
rule all:
    default_target: True
    input:
        "results/07_report/index.html",
        "results/ledger/counts.parquet",
        rules.import_merge.output,
        rules.dedupe.output,
        rules.screen.output,
        rules.rank.output,
        rules.extract.output,
        rules.codes.output,
        rules.themes.output,
        rules.sources.output,
        rules.quality.output,
        rules.changes.output,
