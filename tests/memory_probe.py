"""Run hostile reports against a fresh service and print what happened as JSON (one process).

``python -m tests.memory_probe DATA_DIR`` syncs the fake team into DATA_DIR, then tries the
filters and tag documents that once took a server down, each through the service as the API
and the pages call it. It prints, per case, the answer ("ok" or the error's one line) and the
seconds it took, and the process's peak RSS after the set-up and at the end.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

from outlay.config import Settings
from outlay.errors import OutlayError
from outlay.report.spec import ReportSpec
from outlay.report.tags import MAX_RULES
from outlay.report.vql import MAX_CONDITIONS
from outlay.service import Outlay
from outlay.testing.cursor_fake.api import DEFAULT_KEY
from tests.fakes import BASE_URL, fake_cursor

#: The engine limits the probe's service runs under.
MEMORY_MB = 256
TIMEOUT_S = 5


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def neq_chain(terms: int) -> str:
    return " AND ".join(f"costs.service <> 'm{i}'" for i in range(terms))


def alias_bomb() -> str:
    """~38 KB of YAML whose aliases would expand to millions of rules."""
    lines = ["- key: bomb", "  values:", "    - &v0 {name: a, filter: \"costs.service = 'x'\"}"]
    for level in range(1, 9):
        refs = ", ".join([f"*v{level - 1}"] * 9)
        lines.append(f"    - &v{level} [{refs}]")
    return "\n".join(lines * 60) + "\n"


def rule_heavy_tags(rules: int) -> str:
    """The largest allowed kind of document: every value a regex the engine cannot index."""
    values = "\n".join(
        f"    - name: v{i}\n      filter: \"costs.resource ~* '^u{i}@' OR costs.service LIKE 'm{i}%'\""
        for i in range(rules)
    )
    return f"- key: heavy\n  values:\n{values}\n- key: light\n  values:\n" + (
        "    - name: x\n      filter: \"costs.service = 'x'\"\n"
    )


def main(data_dir: Path) -> None:
    fake = fake_cursor()
    settings = Settings(
        data_dir=data_dir, query_memory_mb=MEMORY_MB, query_timeout_s=TIMEOUT_S,
        allowed_base_urls=(BASE_URL,),
    )  # fmt: skip
    outlay = Outlay(settings, http=lambda: fake.http(), clock=fake.clock,
                    monotonic=fake.clock.monotonic, sleep=fake.clock.sleep)  # fmt: skip
    outlay.add_workspace("A")
    outlay.add_account("cursor", "a", DEFAULT_KEY, base_url=BASE_URL, workspaces=["A"])
    outlay.sync("a")
    base = {"interval": "last_30_days", "date_bin": "cumulative"}

    def report(**fields: object) -> Callable[[], object]:
        return lambda: outlay.report(ReportSpec.from_data({**base, **fields}), workspace="A")

    not_like = " AND ".join(f"costs.service NOT LIKE 'm{i}%'" for i in range(MAX_CONDITIONS))
    cases: dict[str, Callable[[], object]] = {
        "filter_2000_terms": report(filter=neq_chain(2_000)),
        "filter_20000_terms": report(filter=neq_chain(20_000)),
        "filter_500_terms_folded": report(filter=neq_chain(MAX_CONDITIONS)),
        "filter_500_not_like": report(filter=not_like),
        "tags_alias_bomb": lambda: outlay.import_tags(alias_bomb(), "bomb.yaml", "A"),
        "tags_14_mb": lambda: outlay.import_tags("#" * 14_000_000 + "\n", "big.yaml", "A"),
        "tags_rule_heavy": lambda: outlay.import_tags(rule_heavy_tags(MAX_RULES - 1), "t", "A"),
        "report_unused_heavy_tags": report(group_by=["service"]),  # parses the stored tags
        "report_unused_heavy_tags_again": report(group_by=["service"]),  # parsed already
        "report_by_heavy_tag": report(group_by=["tag:heavy"], date_bin="day"),
        "report_untagged_over_heavy_tags": report(filter="tags.name = NULL", date_bin="day"),
    }
    out: dict[str, object] = {"setup_rss_mb": peak_rss_mb(), "cases": {}}
    for name, case in cases.items():
        started = time.perf_counter()
        try:
            case()
            answer = "ok"
        except OutlayError as exc:
            answer = f"{type(exc).__name__}: {exc}"
        out["cases"][name] = {"answer": answer, "s": round(time.perf_counter() - started, 3)}  # type: ignore[index]
    out["peak_rss_mb"] = peak_rss_mb()
    print(json.dumps(out))


if __name__ == "__main__":
    main(Path(sys.argv[1]))
