"""Reading the dashboard's HTML back: its tables (by ``data-table``) as rows of cell text, its charts."""

from __future__ import annotations

from html.parser import HTMLParser


class DashboardDom(HTMLParser):
    """``tables``: data-table name -> body rows (cell text); ``charts``: data-chart name -> SVG text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.charts: dict[str, str] = {}
        self.tags: list[str] = []
        self._table: str | None = None
        self._chart: str | None = None
        self._in_body = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        if tag == "table":
            self._table = found.get("data-table")
            self.tables[self._table or ""] = []
        elif tag == "figure":
            self._chart = found.get("data-chart")
            self.charts[self._chart or ""] = ""
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body and self._table is not None:
            self.tables[self._table].append([])
        elif tag == "td" and self._in_body:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self._table is not None:
            self.tables[self._table][-1].append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = None
        elif tag == "figure":
            self._chart = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._chart is not None:
            self.charts[self._chart] += data + "\n"


def read_dashboard(html: str) -> DashboardDom:
    dom = DashboardDom()
    dom.feed(html)
    dom.close()
    return dom
