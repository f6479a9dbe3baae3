"""Background imports (scoping_review.preload): what a rule loads ahead of its use, and how.

Each case runs in a fresh interpreter: whether a module is imported is a property of a process,
and the test session has imported most libraries already.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from scoping_review import preload, ranking


def _run(code: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stderr == ""  # nothing printed: no traceback from the thread either
    return json.loads(done.stdout.splitlines()[-1])  # type: ignore[no-any-return]


def test_modules_are_imported_on_a_thread_that_is_not_a_daemon() -> None:
    got = _run(
        """
        import json, sys, threading
        from scoping_review import preload
        before = "fractions" in sys.modules or "colorsys" in sys.modules
        loading = preload.start(["fractions", "colorsys"])
        thread = loading._thread
        loaded = loading.wait()
        print(json.dumps({
            "before": before, "loaded": loaded, "name": thread.name, "daemon": thread.daemon,
            "in_modules": ["fractions" in sys.modules, "colorsys" in sys.modules],
            "alive": thread.is_alive(), "others": threading.active_count(),
        }))
        """
    )
    assert got["before"] is False
    assert got["loaded"] == ["fractions", "colorsys"]
    assert got["in_modules"] == [True, True]
    assert got["name"] == "preload" and got["daemon"] is False
    assert got["alive"] is False and got["others"] == 1  # joined: only the main thread left


def test_a_missing_module_stops_the_preload_quietly_and_raises_where_it_is_imported() -> None:
    got = _run(
        """
        import json, sys
        from scoping_review import preload
        loaded = preload.start(["colorsys", "no_such_module_xyz", "fractions"]).wait()
        try:
            import no_such_module_xyz  # noqa: F401
            raised = ""
        except ModuleNotFoundError as error:
            raised = str(error)
        print(json.dumps({"loaded": loaded, "raised": raised,
                          "fractions": "fractions" in sys.modules}))
        """
    )
    assert got["loaded"] == ["colorsys"]  # the rest are the rule's own imports' to load
    assert got["fractions"] is False
    assert got["raised"] == "No module named 'no_such_module_xyz'"


def test_a_rule_that_exits_before_waiting_still_exits_cleanly() -> None:
    """The interpreter waits for the thread (not a daemon): no import cut off at shutdown."""
    done = subprocess.run(
        [sys.executable, "-c", "from scoping_review import preload; preload.start(['fractions'])"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stderr == ""


def test_nothing_to_load_starts_a_thread_that_ends_at_once() -> None:
    assert preload.start([]).wait() == []


def test_the_rankings_libraries_are_the_modules_it_imports() -> None:
    """preload.RANKING names modules that exist, among them every scikit-learn module the
    ranking's models and features are imported from."""
    got = _run(
        f"""
        import json, sys
        from scoping_review import preload
        loaded = preload.start({list(preload.RANKING)!r}).wait()
        print(json.dumps({{"loaded": loaded}}))
        """
    )
    assert got["loaded"] == list(preload.RANKING)
    import ast
    import inspect

    from scoping_review import term_counts

    imported = set()
    for module in (ranking, term_counts):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sklearn"):
                imported.add(node.module)
    assert imported and imported <= set(preload.RANKING)
