"""The printed table (also pasted into docs/performance.md: it is Markdown)."""

COLUMNS = (
    "scenario",
    "operation",
    "database",
    "data size",
    "median ms",
    "p95 ms",
    "queries",
    "raw SQL median ms",
    "ours / raw",
    "CPU ms: ours / raw",
    "measured through",
)


def _ms(value) -> str:
    if value is None:
        return "—"
    if value < 1:
        return f"{value:.3f}"
    if value < 100:
        return f"{value:.2f}"
    return f"{value:.0f}"


def _cpu(result: dict) -> str:
    ours, raw = result.get("cpu_median_ms"), result.get("reference_cpu_median_ms")
    if ours is None:
        return "—"
    return f"{_ms(ours)} / {_ms(raw)}" if raw is not None else _ms(ours)


def _row(result: dict) -> list[str]:
    if result.get("error"):
        return [
            result["scenario"],
            result["operation"],
            result["database"],
            result.get("size", ""),
            "ERROR",
            "",
            "",
            "",
            "",
            "",
            " ".join(result["error"].split())[:100],
        ]
    ratio = result.get("ratio")
    through = result.get("path", "")
    extra = result.get("extra") or {}
    if extra:
        through += " · " + ", ".join(f"{key} {value}" for key, value in extra.items())
    return [
        result["scenario"],
        result["operation"],
        result["database"],
        result["size"],
        _ms(result.get("median_ms")),
        _ms(result.get("p95_ms")),
        "—" if result.get("queries") is None else str(result["queries"]),
        _ms(result.get("reference_median_ms")),
        "—" if ratio is None else f"{ratio:.1f}×",
        _cpu(result),
        through,
    ]


def table(results: list[dict]) -> str:
    rows = [list(COLUMNS)] + [_row(result) for result in results]
    widths = [max(len(row[index]) for row in rows) for index in range(len(COLUMNS))]
    lines = []
    for position, row in enumerate(rows):
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
        if position == 0:
            lines.append("|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)


def machine_line(machine: dict) -> str:
    return (
        f"{machine.get('cpus')} CPUs ({machine.get('cpu')}), {machine.get('memory_gib')} GiB RAM, "
        f"Python {machine.get('python')}, {machine.get('system')}"
    )


def main(argv: list[str]) -> int:
    """``python -m benchmarks.report [run.json]``: the table of a saved run (latest by default)."""
    import json
    from pathlib import Path

    from benchmarks.database import BENCH_DIR

    path = Path(argv[0]) if argv else BENCH_DIR / "latest.json"
    run = json.loads(path.read_text())
    print(table(run["results"]))
    databases = ", ".join(f"{label}: {info['version']}" for label, info in run["databases"].items())
    print(
        f"\n{run['profile']} run of {run['started']}; {machine_line(run['machine'])}; {databases}"
    )
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
