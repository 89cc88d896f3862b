"""Small timing helpers: several rounds, medians, per-operation microseconds."""
from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def per_op_us(fn: Callable[[], object], *, ops: int, rounds: int) -> float:
    """Median over `rounds` of the mean time of one call, in microseconds."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(ops):
            fn()
        samples.append((time.perf_counter() - started) / ops * 1e6)
    return statistics.median(samples)


def paired_us(baseline: Callable[[], object], candidate: Callable[[], object], *, ops: int, rounds: int
              ) -> tuple[float, float, float]:
    """Baseline and candidate measured in alternation, round by round, so machine noise
    hits both alike. Returns (median baseline us, median candidate us, median of per-round ratios)."""
    base, cand, ratios = [], [], []
    for _ in range(rounds):
        b = per_op_us(baseline, ops=ops, rounds=1)
        c = per_op_us(candidate, ops=ops, rounds=1)
        base.append(b)
        cand.append(c)
        ratios.append(c / b)
    return statistics.median(base), statistics.median(cand), statistics.median(ratios)


def median(values: list[float]) -> float:
    return statistics.median(values)


def markdown_table(headers: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
