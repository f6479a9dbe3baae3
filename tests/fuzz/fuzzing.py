"""The example budget of the property tests in this folder.

``make test`` runs each with a small budget (CI time is bounded); ``make fuzz`` sets
``SCOPING_REVIEW_FUZZ_EXAMPLES`` to run them far longer.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

EXAMPLES = int(os.environ.get("SCOPING_REVIEW_FUZZ_EXAMPLES", "40"))

FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
