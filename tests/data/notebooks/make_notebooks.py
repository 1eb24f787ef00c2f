"""Build the synthetic executed report notebooks used by tests/test_render.py and tests/test_pack.py.

They mimic what the report notebooks emit under the display contract (report-meta output, `## ` sections,
charts as vegalite + SVG + text/plain, escaped HTML fragments, hidden/removed cells, a stderr stream and an
error output that must never show). Regenerate with::

    .venv/bin/python tests/data/notebooks/make_notebooks.py
"""

from __future__ import annotations

import html
from pathlib import Path

import altair as alt
import nbformat
import pandas as pd
import vl_convert
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

HERE = Path(__file__).resolve().parent
META = "application/vnd.pmo-nb.report+json"
VL = "application/vnd.vegalite.v6+json"
FONT = "DejaVu Sans"


def chart_output(chart: alt.Chart, title: str) -> nbformat.NotebookNode:
    spec = chart.properties(title=title).configure(font=FONT).to_dict()
    svg = vl_convert.vegalite_to_svg(spec)
    return new_output(
        "display_data", data={VL: spec, "image/svg+xml": svg, "text/plain": f"Chart: {title}"}
    )


def cost_chart(title: str) -> alt.Chart:
    months = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]
    df = pd.DataFrame(
        {
            "period": months * 3,
            "series": ["PV"] * 5 + ["EV"] * 5 + ["AC"] * 5,
            "value": [100, 220, 350, 480, 600, 90, 200, 310, 420, 520, 95, 215, 340, 470, 610],
        }
    )
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .encode(
            x=alt.X("period:O", title="Month"),
            y=alt.Y("value:Q", title="Cumulative (k EUR)"),
            color=alt.Color("series:N", title=None),
            tooltip=["period", "series", "value"],
        )
        .properties(width=640, height=260)
    )


def milestone_chart(title: str) -> alt.Chart:
    df = pd.DataFrame(
        {"milestone": ["Design sign-off", "Build complete", "UAT", "Go-live"], "slip_days": [0, 12, 30, -3]}
    )
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("slip_days:Q", title="Slip (days)"),
            y=alt.Y("milestone:N", sort=None, title=None),
            tooltip=["milestone", "slip_days"],
        )
        .properties(width=640, height=160)
    )


def meta_output(**fields: object) -> nbformat.NotebookNode:
    return new_output("display_data", data={META: dict(fields), "text/plain": ""})


def html_output(markup: str) -> nbformat.NotebookNode:
    return new_output("display_data", data={"text/html": markup, "text/plain": "<HTML>"})


def risk_table(rows: int) -> str:
    body = []
    rags = ["red", "amber", "green", "na"]
    for i in range(rows):
        rag = rags[i % 4]
        name = "Vendor delay" if i else "Supercalifragilisticexpialidocious-integration-dependency-risk-" * 2
        body.append(
            f"<tr><td>R-{i + 1:03d}</td><td>{html.escape(name)}</td>"
            f'<td><span class="pmo-rag pmo-rag-{rag}">{rag.upper() if rag != "na" else "N/A"}</span></td>'
            f'<td class="pmo-num">{(i * 7) % 25 + 1}</td></tr>'
        )
    return (
        '<table class="pmo-table"><thead><tr><th>Risk</th><th>Title</th><th>RAG</th><th>Score</th></tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table>"
    )


def report(
    *,
    kind: str = "program",
    title: str = "ERP Modernisation",
    program_id: str | None = "PRG-01",
    rag: str | None = "amber",
    orientation: str = "landscape",
    charts: bool = True,
    with_meta: bool = True,
    risk_rows: int = 8,
) -> nbformat.NotebookNode:
    hidden = {"tags": ["hide-input"]}
    cells = [
        new_code_cell('program_id = "PRG-01"\nperiod = "2026-10"', metadata={"tags": ["parameters", "remove-cell"]}),
        new_code_cell("from pmo_nb import report_helpers", metadata={"tags": ["remove-cell"]}),
    ]
    meta_cell = new_code_cell("report_meta(...)", metadata=hidden, execution_count=3)
    if with_meta:
        meta_cell.outputs = [
            meta_output(
                kind=kind,
                title=title,
                program_id=program_id,
                organisation="Northwind Public Works",
                period="2026-10",
                period_label="October 2026",
                rag=rag,
                rag_reason="CPI 0.91 below 0.95",
                source_fingerprint="9f2c4e1ab7d05533",
                currency="EUR",
                page_size="A4",
                orientation=orientation,
            )
        ]
    cells.append(meta_cell)
    cells.append(new_markdown_cell("## Summary\n\nSpend is **8% over plan** for the month."))
    summary = new_code_cell("SECRET_CODE_SOURCE = tiles()", metadata=hidden, execution_count=4)
    summary.outputs = [
        html_output(
            '<div class="pmo-tiles"><div class="pmo-tile"><div class="pmo-tile-label">Project</div>'
            f'<div class="pmo-tile-value">{html.escape("<script>alert(1)</script>")}</div></div></div>'
        ),
        new_output("stream", name="stderr", text="STDERR-NOISE: FutureWarning from somewhere\n"),
        new_output(
            "display_data",
            data={"text/markdown": "Narrative: project <script>alert(2)</script> slipped.", "text/plain": ""},
        ),
    ]
    cells.append(summary)
    cells.append(new_markdown_cell("## Cost and schedule\n\nEarned value against plan."))
    if charts:
        c = new_code_cell("s_curve()", metadata=hidden, execution_count=5)
        c.outputs = [chart_output(cost_chart("Costs running 8% over plan"), "Costs running 8% over plan")]
        cells.append(c)
    cells.append(new_markdown_cell("## Milestones"))
    if charts:
        c = new_code_cell("timeline()", metadata=hidden, execution_count=6)
        c.outputs = [chart_output(milestone_chart("UAT slipped 30 days"), "UAT slipped 30 days")]
        cells.append(c)
    cells.append(new_markdown_cell("## Risks & issues"))
    c = new_code_cell("risk_table()", metadata=hidden, execution_count=7)
    c.outputs = [html_output(risk_table(risk_rows))]
    cells.append(c)
    removed = new_code_cell("debug()", metadata={"tags": ["hide-input", "remove-output"]}, execution_count=8)
    removed.outputs = [new_output("stream", name="stdout", text="REMOVED-OUTPUT-TEXT\n")]
    cells.append(removed)
    broken = new_code_cell("boom()", metadata=hidden, execution_count=9)
    broken.outputs = [
        new_output(
            "error",
            ename="ZeroDivisionError",
            evalue="division by zero",
            traceback=["Traceback (most recent call last)", "ZeroDivisionError: division by zero"],
        )
    ]
    cells.append(broken)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    scenarios = {
        "program_report.ipynb": report(),
        "portfolio_report.ipynb": report(
            kind="portfolio", title="Portfolio overview", program_id=None, rag=None, orientation="portrait"
        ),
        "no_charts.ipynb": report(title="Data Platform", program_id="PRG-02", rag="green", charts=False),
        "no_meta.ipynb": report(with_meta=False),
    }
    for name, nb in scenarios.items():
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)


if __name__ == "__main__":
    main()
