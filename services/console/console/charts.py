"""Server-rendered SVG charts for the dashboard: no JavaScript, no CDN,
readable on an old PC; each chart has a title and a text alternative."""
from __future__ import annotations

from datetime import date, timedelta
from html import escape

BLUE, DEADLINE, GRID, TEXT = "#0066cc", "#cc334d", "#d9dadb", "#1a1a1a"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
            f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
            f'<title>{escape(title)}</title>{"".join(body)}</svg>')


def _nice_max(value: int) -> int:
    if value <= 5:
        return 5
    magnitude = 10 ** (len(str(value)) - 1)
    for step in (1, 2, 2.5, 5, 10):
        top = int(step * magnitude)
        if top >= value:
            return top
    return value


def cumulative(days: list[tuple[date, int]], deadline: date, title: str,
               width: int = 720, height: int = 260) -> str:
    """Adhesions over time: the running total per day, from the first day
    with an adhesion to the deadline (a red line marks it)."""
    left, right, top, bottom = 48, 16, 16, 36
    if not days:
        return _svg(width, height, title, [
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" fill="{TEXT}">'
            'Ancora nessuna adesione</text>'])
    start = min(days[0][0], deadline - timedelta(days=1))
    end = max(deadline, days[-1][0])
    span = max((end - start).days, 1)
    peak = _nice_max(max(total for _, total in days))
    plot_w, plot_h = width - left - right, height - top - bottom

    def x(day: date) -> float:
        return left + plot_w * (day - start).days / span

    def y(value: float) -> float:
        return top + plot_h * (1 - value / peak)

    body = []
    for tick in range(6):
        value = peak * tick / 5
        body.append(f'<line x1="{left}" x2="{width - right}" y1="{y(value):.1f}" '
                    f'y2="{y(value):.1f}" stroke="{GRID}"/>'
                    f'<text x="{left - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
                    f'font-size="11" fill="{TEXT}">{int(value):,}</text>'.replace(",", "."))
    points, previous = [], 0
    for day, total in days:
        points.append(f"{x(day):.1f},{y(previous):.1f} {x(day):.1f},{y(total):.1f}")
        previous = total
    points.append(f"{x(end):.1f},{y(previous):.1f}")
    body.append(f'<polyline fill="none" stroke="{BLUE}" stroke-width="2.5" '
                f'points="{" ".join(points)}"/>')
    body.append(f'<line x1="{x(deadline):.1f}" x2="{x(deadline):.1f}" y1="{top}" '
                f'y2="{height - bottom}" stroke="{DEADLINE}" stroke-width="2" '
                f'stroke-dasharray="6 4"/>'
                f'<text x="{x(deadline) - 4:.1f}" y="{top + 12}" text-anchor="end" '
                f'font-size="12" fill="{DEADLINE}">scadenza {deadline:%d/%m/%Y}</text>')
    for day in (start, end):
        body.append(f'<text x="{x(day):.1f}" y="{height - bottom + 16}" '
                    f'text-anchor="{"start" if day == start else "end"}" font-size="11" '
                    f'fill="{TEXT}">{day:%d/%m/%Y}</text>')
    return _svg(width, height, title, body)


def bars(items: list[tuple[str, int]], title: str, width: int = 460) -> str:
    """Horizontal bars, largest first, one row per label (drawn for a half-
    width column, so that its text reads at the page's size)."""
    items = sorted(items, key=lambda item: (-item[1], item[0]))
    row, label_w, right = 22, 170, 40
    height = max(row * len(items) + 8, 30)
    peak = max([value for _, value in items] or [1]) or 1
    body = []
    for n, (label, value) in enumerate(items):
        y = 4 + n * row
        length = (width - label_w - right) * value / peak
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" font-size="12" '
                    f'fill="{TEXT}">{escape(label or "—")}</text>'
                    f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="{row - 7}" '
                    f'fill="{BLUE}"/>'
                    f'<text x="{label_w + length + 6:.1f}" y="{y + 15}" font-size="12" '
                    f'fill="{TEXT}">{value}</text>')
    return _svg(width, height, title, body)
