"""DuckDB draws a progress bar on standard output for any query over two seconds: in the CLI
that text would land in the middle of a report's JSON or CSV."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROGRAM = """
import sys
from pathlib import Path
from outlay.store.facts import DuckDBFacts
facts = DuckDBFacts(Path(sys.argv[1]))
print(facts.query("SELECT current_setting('enable_progress_bar')").rows[0][0])
"""


def test_store_queries_never_draw_a_progress_bar(tmp_path: Path) -> None:
    # A process of its own, its output a pipe as in ``outlay costs > file``: DuckDB's default
    # there is to draw the bar.
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, str(tmp_path / "facts.duckdb")],
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert done.stdout.strip() == "False"
