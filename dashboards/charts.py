"""Server-rendered SVG charts: geometry computed here, drawn by
templates/dashboards/partials/_chart_*.html, coloured by the stylesheet (CSP allows no
inline style). Every chart comes with its figures as a table (the text alternative)."""

from __future__ import annotations

from dataclasses import dataclass, field

WIDTH = 640
LABEL_WIDTH = 170  # left column for the bar labels
VALUE_WIDTH = 60  # right margin for the totals
BAR_HEIGHT = 22
BAR_GAP = 10
TOP = 8


@dataclass(frozen=True)
class Series:
    key: str  # CSS class suffix: chart-<key>
    label: str


@dataclass
class Segment:
    series: Series
    value: float
    x: float
    width: float


@dataclass
class Bar:
    label: str
    total: float
    total_label: str
    y: float
    text_y: float
    values: list[float] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    total_x: float = 0


@dataclass
class BarChart:
    """Horizontal bars, each split into the series' segments (stacked)."""

    title: str
    description: str
    series: list[Series]
    bars: list[Bar]
    width: int = WIDTH
    height: int = 0
    label_width: int = LABEL_WIDTH
    bar_height: int = BAR_HEIGHT


def stacked_bars(
    *,
    title: str,
    description: str,
    series: list[Series],
    rows: list[tuple[str, list[float]]],
    total_format=lambda value: f"{value:g}",
) -> BarChart:
    """``rows``: (label, one value per series). Bars scale to the largest total."""
    largest = max((sum(values) for _label, values in rows), default=0) or 1
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for index, (label, values) in enumerate(rows):
        y = TOP + index * (BAR_HEIGHT + BAR_GAP)
        bar = Bar(
            label=label,
            total=sum(values),
            total_label=total_format(sum(values)),
            y=y,
            text_y=y + BAR_HEIGHT * 0.75,
            values=list(values),
        )
        x = float(LABEL_WIDTH)
        for item, value in zip(series, values, strict=True):
            width = span * value / largest
            if value:
                bar.segments.append(Segment(series=item, value=value, x=x, width=max(width, 1)))
            x += width
        bar.total_x = x + 6
        bars.append(bar)
    height = TOP * 2 + len(rows) * (BAR_HEIGHT + BAR_GAP)
    return BarChart(
        title=title, description=description, series=series, bars=bars, height=max(height, 40)
    )


@dataclass
class Column:
    label: str
    value: float | None  # None: nothing to measure in that bucket
    value_label: str
    x: float
    y: float
    width: float
    height: float
    text_y: float

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass
class ColumnChart:
    """Vertical columns of a rate (0 to 1) over time, with a baseline and 50%/100% rules."""

    title: str
    description: str
    columns: list[Column]
    width: int = WIDTH
    height: int = 220
    plot_top: int = 24
    plot_bottom: int = 180
    plot_left: int = 56
    rules: list[tuple[float, str]] = field(default_factory=list)


def rate_columns(
    *, title: str, description: str, points: list[tuple[str, float | None, str]]
) -> ColumnChart:
    """``points``: (axis label, rate 0..1 or None, value label)."""
    chart = ColumnChart(title=title, description=description, columns=[])
    plot_height = chart.plot_bottom - chart.plot_top
    left = chart.plot_left
    slot = (WIDTH - left - 10) / max(len(points), 1)
    width = max(min(slot * 0.6, 40), 4)
    # Axis labels on every column up to eight, else on every n-th (they would overlap).
    every = -(-len(points) // 8) if points else 1
    for index, (label, rate, value_label) in enumerate(points):
        label = label if index % every == 0 else ""
        height = plot_height * (rate or 0)
        x = left + index * slot + (slot - width) / 2
        y = chart.plot_bottom - height
        chart.columns.append(
            Column(
                label=label,
                value=rate,
                value_label=value_label,
                x=x,
                y=y,
                width=width,
                height=height,
                text_y=y - 4,
            )
        )
    chart.rules = [
        (chart.plot_bottom - plot_height * fraction, f"{fraction:.0%}") for fraction in (0.5, 1)
    ]
    return chart
