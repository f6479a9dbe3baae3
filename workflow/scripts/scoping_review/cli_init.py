"""``scoping-review init``: a new review folder (config, searches/, sheets/, README), whose
README names the command as this user runs it."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path


def init_command(args: argparse.Namespace) -> int:
    from . import init

    target = Path(args.directory)
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        print(
            f"error: {target} is not an empty folder; init writes only into a new or empty one",
            file=sys.stderr,
        )
        return 2
    command = command_name()
    files = init.scaffold(args.title, command=command)
    for rel, content in sorted(files.items()):
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    print(f"new review in {target}: " + ", ".join(sorted(files)))
    print(f"next: put your exports in {target / 'searches'}, edit {target / 'config/config.yaml'}")
    print(
        f"then: {command} run --directory {shlex.quote(str(target))}  (see {target / 'README.md'})"
    )
    return 0


def command_name() -> str:
    """How the user runs this command: ``scoping-review`` where the shell finds this one by
    that name, else its path (`.venv/bin/scoping-review` not on PATH), else ``python -m``."""
    import shutil

    argv0 = Path(sys.argv[0])
    if argv0.name != "scoping-review":
        return f"{sys.executable} -m scoping_review.cli"
    found = shutil.which("scoping-review")
    if found and Path(found).resolve() == argv0.resolve():
        return "scoping-review"
    return str(argv0.resolve())
