"""The admin's cache dashboard (/admin/cache/): figures, the hit-ratio chart, warm and invalidate buttons.

One server-rendered page: the chart is inline SVG drawn here, so the page needs no
script or stylesheet from anywhere else. The buttons post to the staff cache API
(shop.cache_api), which does the work; the page only shows its answer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.template.response import TemplateResponse

from .datatypes import registry
from .services import warmable_types
from .stats import cache_stats, stats_history

MEMORY_TARGET = 0.8  # Redis memory over its limit above which the dashboard warns
# The chart's drawing area inside its SVG viewBox (width, height and the margins the axes' labels need).
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 720, 260, 48, 16, 12, 28
GRID_PERCENTS = (0, 25, 50, 75, 100)
COLOURS = ("#417690", "#e36209", "#2da44e", "#8250df", "#cf222e", "#bf8700", "#1b7c83", "#6e7781")

# The admin's home page carries a link to the dashboard.
admin.site.index_template = "admin/caching/index.html"


@dataclass(frozen=True)
class Series:
    data_type: str
    colour: str
    points: list[tuple[float, float]]
    latest: float

    @property
    def polyline(self) -> str:
        return " ".join(f"{x},{y}" for x, y in self.points)

    @property
    def latest_percent(self) -> str:
        return percent(self.latest)


@dataclass(frozen=True)
class HitRatioChart:
    series: list[Series]
    start: datetime
    end: datetime
    gridlines: list[tuple[int, float]]  # (percent, y)
    plot: dict[str, float]


def hit_ratio_chart(history: list[dict[str, Any]]) -> HitRatioChart | None:
    """One polyline per data type over the recorded intervals (x: time, y: 0–100 %), or None
    below two intervals: a single point draws no line."""
    if len(history) < 2:
        return None
    first, last = history[0]["t"], history[-1]["t"]
    width, height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(t: float) -> float:
        return round(LEFT + (t - first) / ((last - first) or 1) * width, 1)

    def y(ratio: float) -> float:
        return round(TOP + (1 - ratio) * height, 1)

    names = sorted({name for point in history for name in point["hit_ratio"]})
    series = []
    for index, name in enumerate(names):
        values = [(point["t"], point["hit_ratio"][name]) for point in history if name in point["hit_ratio"]]
        series.append(Series(data_type=name, colour=COLOURS[index % len(COLOURS)],
                             points=[(x(t), y(ratio)) for t, ratio in values], latest=values[-1][1]))
    return HitRatioChart(
        series=series, start=datetime.fromtimestamp(first, UTC), end=datetime.fromtimestamp(last, UTC),
        gridlines=[(percent, y(percent / 100)) for percent in GRID_PERCENTS],
        plot={"left": LEFT, "right": WIDTH - RIGHT, "top": TOP, "bottom": HEIGHT - BOTTOM,
              "width": WIDTH, "height": HEIGHT},
    )


def percent(ratio: float | None) -> str:
    return "–" if ratio is None else f"{ratio * 100:.1f} %"


def redis_rows(servers: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Each Redis server's memory against its limit, with whether it is over the target."""
    rows = []
    for name, info in servers.items():
        if "error" in info:
            rows.append({"name": name, "error": info["error"]})
            continue
        ratio = info["memory_ratio"]
        rows.append({**info, "name": name, "memory_percent": percent(ratio),
                     "over_target": ratio is not None and ratio > MEMORY_TARGET})
    return rows


def cache_dashboard(request: HttpRequest) -> TemplateResponse:
    """The dashboard page (staff only: wrapped in admin.site.admin_view by the URLconf)."""
    stats = cache_stats()
    warmable = set(warmable_types())
    types = []
    for kind in sorted(registry.all(), key=lambda kind: kind.name):
        figures = stats["data_types"].get(kind.name, {})  # a type nobody read yet has none
        types.append({**figures, "name": kind.name, "warmable": kind.name in warmable,
                      "hit_percent": percent(figures.get("hit_ratio"))})
    context = {
        **admin.site.each_context(request),
        "title": "Cache",
        "stats": stats,
        "hit_percent": percent(stats["hit_ratio"]),
        "types": types,
        "chart": hit_ratio_chart(stats_history()),
        "redis": redis_rows(stats["redis"]),
        "memory_target": percent(MEMORY_TARGET),
        "hot_keys": [{**row, "data_type": name} for name, rows in stats["hot_keys"].items() for row in rows],
    }
    return TemplateResponse(request, "admin/caching/dashboard.html", context)
