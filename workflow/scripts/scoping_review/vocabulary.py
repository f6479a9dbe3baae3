"""Names the command line offers before it loads anything heavy: import formats, screening
stages and exit statuses. Standard library only, so that ``scoping-review --help`` and argument
errors import no data library; the modules that use these names (``importing.model``,
``connectors.formats``, ``screen.settings``, ``versions.freeze``) import them from here.
"""

from __future__ import annotations

# the ledger's ID of a raw record an export's reader rejected: its search, file and line
# (``str.format`` and ``pl.format`` alike); the import counts and the quality findings use it
REJECT_ID = "reject:{}:{}:{}"

TAGGED_FORMATS = ("ris", "medline", "wos", "endnote")
TABLE_PRESETS = ("scopus_csv", "pubmed_csv", "wos_tab", "colrev_csv")
API_FORMATS = ("openalex_json", "europepmc_json", "crossref_json")  # API result pages
IMPORT_FORMATS = (
    *TAGGED_FORMATS,
    "bibtex",
    "proquest",
    "endnote_xml",
    "pubmed_xml",
    "csv",
    "xlsx",
    *TABLE_PRESETS,
    *API_FORMATS,
)

SCREEN_STAGES = ("title_abstract", "full_text")

# exit statuses of `scoping-review run` and `update` (documented in the README)
EXIT_OK = 0  # a new version was frozen, or nothing changed since the newest version
EXIT_ERROR = 1  # the workflow failed (bad input, broken contract, ...): a real error
EXIT_USAGE = 2  # bad command line or configuration
EXIT_PENDING = 3  # ran cleanly, but studies await human screening: no version frozen
EXIT_LOCKED = 4  # another run or update of the same review holds its write lock
