"""``python -m benchmarks``: run the scenarios on every benchmark database, print the table,
write the JSON.

Each database is measured in a child process of its own (Django reads its database settings
once, at start), which gets ``DATABASE_URL`` pointing at the benchmark database.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks import report
from benchmarks.database import BENCH_DIR, targets
from benchmarks.sizes import FULL, PROFILES, QUICK


def _parser() -> argparse.ArgumentParser:
    from benchmarks.scenarios import PENDING, SCENARIOS

    names = ", ".join(f"{s.number} {s.name}" for s in SCENARIOS.values())
    pending = "; ".join(f"{number} {text}" for number, text in PENDING)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure Voronka at scale against raw SQL on the same database.",
        epilog=f"Scenarios: {names}. Not yet measurable: {pending}.",
    )
    parser.add_argument(
        "scenarios", nargs="*", help="names or numbers of the scenarios (default: all)"
    )
    parser.add_argument(
        "--quick", action="store_true", help="small data and few runs (a few minutes)"
    )
    parser.add_argument("--profile", choices=sorted(PROFILES), help=argparse.SUPPRESS)
    parser.add_argument("--runs", type=int, help="timed runs of each operation")
    parser.add_argument("--warmup", type=int, help="untimed runs before them")
    parser.add_argument(
        "--database",
        choices=("sqlite", "postgresql"),
        action="append",
        help="only this database (repeatable); PostgreSQL needs BENCH_POSTGRES_URL",
    )
    parser.add_argument(
        "--prepare-only", action="store_true", help="build (or check) the data, measure nothing"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    parser.add_argument("--label", help=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    profile = args.profile or (QUICK.name if args.quick else FULL.name)
    if args.child:
        from benchmarks.child import run_child

        return run_child(
            profile=profile,
            scenario_names=args.scenarios,
            runs=args.runs,
            warmup=args.warmup,
            output=args.output,
            label=args.label,
            prepare_only=args.prepare_only,
        )
    from benchmarks.scenarios import select

    select(args.scenarios)  # unknown names fail here, before any data is built
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    chosen = [t for t in targets(profile) if not args.database or t.label in args.database]
    if (
        args.database
        and "postgresql" in args.database
        and not any(t.label == "postgresql" for t in chosen)
    ):
        print("BENCH_POSTGRES_URL is not set: PostgreSQL skipped.", file=sys.stderr)
    if not os.environ.get("BENCH_POSTGRES_URL") and not args.database:
        print("BENCH_POSTGRES_URL is not set: SQLite only.")
    results: list[dict] = []
    databases: dict[str, dict] = {}
    failed = False
    for target in chosen:
        print(f"== {target.label} ({profile}) ==", flush=True)
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            output = handle.name
        command = [
            sys.executable,
            "-m",
            "benchmarks",
            "--child",
            "--profile",
            profile,
            "--output",
            output,
            "--label",
            target.label,
            *args.scenarios,
        ]
        if args.runs:
            command += ["--runs", str(args.runs)]
        if args.warmup is not None:
            command += ["--warmup", str(args.warmup)]
        if args.prepare_only:
            command.append("--prepare-only")
        env = {
            **os.environ,
            "DATABASE_URL": target.url,
            "DJANGO_SETTINGS_MODULE": "config.settings",
        }
        env.pop("DEBUG", None)
        code = subprocess.call(command, env=env, cwd=Path(__file__).resolve().parent.parent)
        try:
            child = json.loads(Path(output).read_text() or "{}")
        except (OSError, ValueError):
            child = {}
        finally:
            Path(output).unlink(missing_ok=True)
        if code != 0 or not child:
            failed = True
            print(f"{target.label}: the run failed (exit code {code}).", file=sys.stderr)
        results.extend(child.get("results", []))
        if child.get("database"):
            databases[target.label] = child["database"]
    if args.prepare_only:
        return 1 if failed else 0
    run = {
        "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "profile": profile,
        "machine": machine(),
        "databases": databases,
        "results": results,
    }
    print()
    print(report.table(results))
    stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(run, indent=2, ensure_ascii=False, default=str)
    (BENCH_DIR / f"run-{stamp}-{profile}.json").write_text(text)
    (BENCH_DIR / "latest.json").write_text(text)
    print(f"\nMachine: {report.machine_line(run['machine'])}")
    print(f"JSON: var/bench/run-{stamp}-{profile}.json (and var/bench/latest.json)")
    if any(row.get("error") for row in results):
        failed = True
    return 1 if failed else 0


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory_gib = None
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory_gib = round(pages / 1024**3, 1)
    except (ValueError, OSError):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "memory_gib": memory_gib,
        "python": platform.python_version(),
        "system": platform.platform(),
    }
