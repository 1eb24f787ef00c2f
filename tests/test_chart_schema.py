"""Every chart the sample's reports display is valid Vega-Lite: checked here, once, against the schema.

A batch run (``pmo-nb run``) skips Altair's schema validation while it builds and displays the charts
(``pmo_nb.reporting.display.validating``): it was about a fifth of a report's execution. This test takes its
place: it takes the sample month as ``pmo-nb run`` writes it (every program's report and the portfolio overview:
conftest's ``sample_month``, the session's one real run of the sample, shared with the browser, figure and send
tests) and validates the Vega-Lite spec of every chart output of every executed notebook against the schema
Altair ships, the one the charts declare in ``$schema``. The run's formats do not reach the kernels (the
notebooks execute the same way for HTML and PDF), so the run's executed notebooks are the ones to check.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema import SCHEMA_URL
from altair.vegalite.v6.schema.core import load_schema

from pmo_nb.contract import VEGALITE_MIMETYPE
from pmo_nb.paths import SAMPLE_DIR

pytestmark = pytest.mark.slow



@pytest.fixture(scope="module")
def charts(sample_month: Path) -> dict[str, list[dict]]:
    """``{report name: [the spec of each chart it displays]}``, from the executed notebooks of the session's
    batch run of the sample month (conftest's ``sample_month``)."""
    found: dict[str, list[dict]] = {}
    for path in sorted((sample_month / "notebooks").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        found[path.stem] = [output["data"][VEGALITE_MIMETYPE] for cell in nb["cells"]
                            for output in cell.get("outputs", []) if VEGALITE_MIMETYPE in output.get("data", {})]
    return found


def test_every_report_of_the_sample_was_run_and_displays_charts(charts: dict[str, list[dict]]) -> None:
    programs = {row.split(",")[0] for row in (SAMPLE_DIR / "programs.csv").read_text(encoding="utf-8").splitlines()[1:]}
    assert set(charts) == {"portfolio", *programs}
    assert all(len(specs) >= 5 for specs in charts.values()), {name: len(s) for name, s in charts.items()}


def test_every_chart_is_valid_vega_lite(charts: dict[str, list[dict]]) -> None:
    schema = load_schema()
    invalid = []
    for name, specs in charts.items():
        for index, spec in enumerate(specs):
            assert spec["$schema"] == SCHEMA_URL, (name, index, spec["$schema"])
            try:
                validate_jsonschema(spec, schema)
            except jsonschema.ValidationError as exc:
                invalid.append(f"{name}, chart {index + 1} ({spec.get('title')}): {exc.message}")
    assert invalid == []


def test_the_check_is_not_blind(charts: dict[str, list[dict]]) -> None:
    spec = dict(next(iter(charts.values()))[0])
    spec["mark"] = {"type": "no-such-mark"}
    with pytest.raises(jsonschema.ValidationError):
        validate_jsonschema(spec, load_schema())


def _dropped_encodings(spec: object, where: str = "") -> list[str]:
    """Marks that encode ``color`` beside ``fill`` or ``stroke``: Vega-Lite drops the color (and warns in the
    browser's console), so whatever the color was meant to show is not drawn."""
    found: list[str] = []
    if isinstance(spec, dict):
        encoding = spec.get("encoding")
        if isinstance(encoding, dict) and "color" in encoding and ({"fill", "stroke"} & set(encoding)):
            found.append(f"{where or '/'}: color with {sorted({'fill', 'stroke'} & set(encoding))}")
        for key, value in spec.items():
            if key not in ("datasets", "data"):
                found += _dropped_encodings(value, f"{where}/{key}")
    elif isinstance(spec, list):
        for index, value in enumerate(spec):
            found += _dropped_encodings(value, f"{where}[{index}]")
    return found


def test_no_chart_has_an_encoding_vega_lite_drops(charts: dict[str, list[dict]]) -> None:
    dropped = [f"{name}, chart {index + 1} ({spec.get('title')}): {d}" for name, specs in charts.items()
               for index, spec in enumerate(specs) for d in _dropped_encodings(spec)]
    assert dropped == []
    assert _dropped_encodings({"layer": [{"mark": "point", "encoding": {"color": {}, "fill": {}}}]})  # not blind
