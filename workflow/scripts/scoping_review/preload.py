"""Import a library a rule needs later on a second thread, while the rule reads its inputs.

Grain: one background import per rule run. scipy.stats (the stopping rule's hypergeometric
distribution) and scikit-learn (the ranking's models) take a second or more of the rule's wall
time to import, most of it Python running module code; a rule's first phases are polars reads,
joins and sorts, which run outside the GIL. Started before them, the import runs beside them
instead of after.

Measured on a 100k-record review's rules run alone, with and without the preload, four runs
each, alternated (2 cores; a machine whose pure-Python loop benchmark took 0.37 s): screen
3.11 s mean wall against 3.52 s (its stopping-rule phase 0.1 s against 1.0-1.4 s), rank 6.0 s
against 6.6 s; the CPU time is the same.

What is imported does not change what a rule computes, only when the import happens. An import
that fails here is not reported: the rule's own import of the module raises it, where the
module is used. The thread is not a daemon: the interpreter waits for it before exiting, so no
import is left half done at shutdown; :meth:`Preload.wait` joins it earlier.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Sequence

# what the ranking imports to fit its models and build its features (:mod:`.ranking`,
# :mod:`.term_counts`; a test checks it against their imports), and the stopping rule
RANKING = (
    "sklearn.svm",
    "sklearn.linear_model",
    "sklearn.naive_bayes",
    "sklearn.feature_extraction.text",
    "scipy.stats",
)
STOPPING = ("scipy.stats",)


class Preload:
    """``modules`` imported in order on a background thread started at once."""

    def __init__(self, modules: Sequence[str]) -> None:
        self.modules = tuple(modules)
        self.loaded: list[str] = []
        self._thread = threading.Thread(target=self._run, name="preload", daemon=False)
        self._thread.start()

    def _run(self) -> None:
        for name in self.modules:
            try:
                importlib.import_module(name)
            except Exception:  # the rule's own import raises it where the module is used
                return
            self.loaded.append(name)

    def wait(self) -> list[str]:
        """Join the thread; the modules it imported."""
        self._thread.join()
        return list(self.loaded)


def start(modules: Sequence[str]) -> Preload:
    """Import ``modules`` (dotted names) on a background thread, from now on."""
    return Preload(modules)
