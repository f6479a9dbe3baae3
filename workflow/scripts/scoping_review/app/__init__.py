"""``scoping-review screen``: a local screening app writing the review's decision sheets.

:mod:`.sheet` holds the append-only sheet format the screen rule reads, :mod:`.queue` the
pure queue/consensus logic, :mod:`.server` the Flask app (server-rendered pages, one small
script for the keys, CSRF on every write, every field rendered as escaped text).
"""
