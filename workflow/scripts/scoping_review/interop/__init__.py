"""Round trips with the screening tools teams already use (Rayyan, ASReview LAB).

Readers turn a tool's export into *tool decisions* (one row per record and reviewer, with the
row it came from); :func:`resolve.to_sheet` maps them to our studies and criteria codes and
returns a decision sheet the screen rule reads like any other. Exporters write the pending
studies of a stage in a form each tool imports, carrying our study IDs.
"""

from .resolve import TOOL_COLUMNS, InteropError, to_sheet

__all__ = ["TOOL_COLUMNS", "InteropError", "to_sheet"]
