"""pmo.toml parsing: defaults, every section, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from pmo_nb.config import Config, load_config, normalise_header, parse_config
from pmo_nb.exceptions import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "pmo.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_no_path_gives_documented_defaults():
    cfg = load_config(None)
    assert cfg == Config()
    assert (cfg.rag.green, cfg.rag.amber) == (0.95, 0.90)
    assert cfg.risks.bands == {"low": (1, 4), "medium": (5, 9), "high": (10, 16), "critical": (20, 25)}
    assert cfg.risks.probability_scale == {1: 0.1, 2: 0.3, 3: 0.5, 4: 0.7, 5: 0.9}
    assert (cfg.report.page_size, cfg.report.orientation) == ("A4", "landscape")


def test_full_file_is_read(tmp_path):
    cfg = load_config(write(tmp_path, """
organisation = "Acme PMO"
currency = "gbp"
[rag]
green = 1.0
amber = 0.85
critical_risk = "none"
[risks]
bands = { low = [1, 5], medium = [6, 11], high = [12, 19], critical = [20, 25] }
probability_scale = { 1 = 0.05, 2 = 0.25, 3 = 0.5, 4 = 0.75, 5 = 0.95 }
top_n = 5
[report]
orientation = "portrait"
page_size = "letter"
stale_after_days = 30
[ingest]
thousands_separator = ","
[columns]
"Project Code" = "project_id"
[columns.risks]
Likelihood = "probability"
"""))
    assert cfg.organisation == "Acme PMO" and cfg.currency == "GBP"
    assert (cfg.rag.green, cfg.rag.amber, cfg.rag.critical_risk) == (1.0, 0.85, "none")
    assert cfg.risks.bands["high"] == (12, 19) and cfg.risks.top_n == 5
    assert cfg.risks.probability_scale[5] == 0.95
    assert (cfg.report.orientation, cfg.report.page_size, cfg.report.stale_after_days) == (
        "portrait", "letter", 30)
    assert cfg.ingest.thousands_separator == ","
    assert cfg.columns == {"*": {"project_code": "project_id"}, "risks": {"likelihood": "probability"}}
    assert cfg.band_of(12) == "high" and cfg.band_of(5) == "low"


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('colour = "red"', "colour"),
        ("[rag]\ngreen = 'high'", "rag.green"),
        ("[rag]\ngren = 0.9", "rag.gren"),
        ("[rag]\ngreen = 0.9\namber = 0.95", "rag.amber"),
        ("[rag]\ncritical_risk = 'purple'", "rag.critical_risk"),
        ("[risks]\nbands = { low = [1, 4], medium = [5, 9], high = [10, 16] }", "risks.bands"),
        ("[risks]\nbands = { low = [1, 4], medium = [4, 9], high = [10, 16], critical = [20, 25] }",
         "risks.bands"),
        ("[risks]\nbands = { tiny = [1, 4] }", "risks.bands.tiny"),
        ("[risks]\nprobability_scale = { 1 = 0.1, 2 = 0.3 }", "risks.probability_scale"),
        ("[risks]\nprobability_scale = { 1 = 0.1, 2 = 0.3, 3 = 0.5, 4 = 0.7, 5 = 1.5 }",
         "risks.probability_scale.5"),
        ("[risks]\ntop_n = 0", "risks.top_n"),
        ("[report]\norientation = 'sideways'", "report.orientation"),
        ("[report]\npage_size = 'B5'", "report.page_size"),
        ("[ingest]\nthousands_separator = ','\ndecimal = ','", "ingest.thousands_separator"),
        ("currency = 'euros'", "currency"),
        ("[columns]\nFoo = 'not_a_column'", "columns.Foo"),
        ("[columns.budgets]\nFoo = 'budget'", "columns.budgets"),
        ("rag = 3", "rag"),
    ],
)
def test_bad_key_or_value_names_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    assert info.value.key == key
    assert repr(key) in str(info.value)
    assert "pmo.toml" in str(info.value)


def test_missing_file_and_bad_toml(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "rag = [unclosed"))


def test_to_dict_is_json_ready():
    import json

    d = parse_config({"organisation": "X"}).to_dict()
    assert json.loads(json.dumps(d))["risks"]["bands"]["critical"] == [20, 25]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(" Project ID ", "project_id"), ("BUDGET", "budget"), ("\ufeffprogram_id", "program_id"),
     ("Baseline  Start", "baseline_start")],
)
def test_normalise_header(raw, expected):
    assert normalise_header(raw) == expected


@pytest.mark.parametrize(("written", "stored"), [("a5", "A5"), ("Legal", "legal"), ("LETTER", "letter"), ("A3", "A3")])
def test_page_sizes_are_the_exporters_list(written: str, stored: str) -> None:
    from pmo_nb.contract import PAGE_SIZES

    cfg = parse_config({"report": {"page_size": written}})
    assert cfg.report.page_size == stored and stored in PAGE_SIZES
