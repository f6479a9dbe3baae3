"""Living scoping reviews as code: the pure, typed logic behind the Snakemake workflow."""

__version__ = "0.1.0"
