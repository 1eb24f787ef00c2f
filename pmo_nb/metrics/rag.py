"""Computed RAG with its reason in words, and the flag for a reported status better than the figures.

Four dimensions (cost from CPI, schedule from SPI(t) or SPI, missed milestones, open critical risks), each
green/amber/red or unknown, thresholds from ``[rag]`` in pmo.toml; the overall status is the worst known one and the
reason names the driving figures worst first. Closed projects are not rated; without cost data the milestone and
risk rules rate alone and the reason says which figures were unavailable. docs/kpis.md states every rule.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pmo_nb.config import Config
from pmo_nb.contract import RAG_SEVERITY, RAG_STATUSES

NO_FINANCIALS = "no financials yet"
CLOSED = "closed"
NO_COST_DATA = "no cost data"
NO_ACTUAL_COST = "no actual cost recorded"
UNAVAILABLE_ALL = "CPI, SPI and SPI(t) unavailable"
UNAVAILABLE_AC = "CPI unavailable"
NO_COST_SUFFIX = f" ({NO_COST_DATA}: {UNAVAILABLE_ALL})"
"""What a reason ends with when the source has no cost data at all (a report says it once, not on every row)."""
MAX_NAMED_MILESTONES = 3


def index_status(values: pd.Series, config: Config) -> pd.Series:
    """Green/amber/red of a performance index (CPI, SPI, SPI(t)); NA where the index is undefined."""
    v = pd.to_numeric(values, errors="coerce").astype("float64")
    out = np.select([v >= config.rag.green, v >= config.rag.amber, v < config.rag.amber],
                    ["green", "amber", "red"], default="")
    status = pd.Series(out, index=values.index, dtype="object")
    return status.where(status != "", None)


def _fmt(value: float, threshold: float) -> str:
    """Two decimals, more when two would print the value equal to the threshold it is compared with."""
    for digits in (2, 3, 4):
        text = f"{value:.{digits}f}"
        if text != f"{threshold:.{digits}f}":
            return text
    return f"{value:.4f}"


def _open_only(reason: pd.Series, name: str, rated: pd.Series, everything: pd.Series | None) -> pd.Series:
    """``reason`` saying "of open projects" where the rated index differs (at two decimals) from the all-projects
    one a program's tiles show, i.e. where closed projects move the figure."""
    if everything is None:
        return reason
    shown = pd.to_numeric(everything, errors="coerce").round(2)
    rated_2 = pd.to_numeric(rated, errors="coerce").round(2)
    differs = (shown != rated_2) & shown.notna() & rated_2.notna() & reason.notna()
    out = reason.copy()
    out[differs] = [f"{name} of open projects{r[len(name):]}" for r in reason[differs]]
    return out


def _index_reason(name: str, values: pd.Series, status: pd.Series, config: Config) -> pd.Series:
    thresholds = {"amber": config.rag.green, "red": config.rag.amber}
    out: list[str | None] = []
    for value, st in zip(values.to_numpy(dtype="float64"), status.to_numpy(dtype="object"), strict=True):
        if st is None or (isinstance(st, float) and np.isnan(st)):
            out.append(None)
        elif st == "green":
            out.append(f"{name} {value:.2f}")
        else:
            limit = thresholds[st]
            out.append(f"{name} {_fmt(value, limit)} < {limit:.2f}")
    return pd.Series(out, index=values.index, dtype="object")


def missed_key_names(milestones: pd.DataFrame | None, by: str = "project_id") -> pd.Series:
    """``"Go-live (DCX-003-M4), ..."`` of the missed key milestones per ``by`` (milestone_status rows)."""
    if milestones is None or milestones.empty or by not in milestones:
        return pd.Series(dtype="object")
    rows = milestones[milestones["missed"].astype(bool) & milestones["key_milestone"].astype(bool)]
    rows = rows.sort_values(["baseline_date", "milestone_id"], kind="mergesort")
    label = rows["name"].astype("object").fillna("") + " (" + rows["milestone_id"].astype("object") + ")"
    grouped = label.groupby(rows[by].astype("object"), sort=False)
    counts = grouped.size()
    head = grouped.agg(lambda s: ", ".join(s.iloc[:MAX_NAMED_MILESTONES]))
    more = (counts - MAX_NAMED_MILESTONES).clip(lower=0)
    return head.where(more == 0, head + " and " + more.astype(str) + " more")


def compute_rag(
    entities: pd.DataFrame, config: Config, key_missed_names: pd.Series | None = None
) -> pd.DataFrame:
    """Computed RAG of each row of ``entities`` (projects or programs).

    Parameters
    ----------
    entities:
        Indexed by entity id, with ``cpi, spi, spi_t`` and, when known, ``ms_missed, ms_key_missed,
        risks_critical_open`` (counts; missing columns count as 0) and ``reported_status``.
    config:
        Thresholds and statuses (``config.rag``).
    key_missed_names:
        Labels of the missed key milestones per entity id (``missed_key_names``), for the reason.

    Returns
    -------
    pandas.DataFrame
        Same index; ``rag_cost, rag_schedule, rag_milestones, rag_risks, rag`` (green/amber/red or
        None), ``rag_reason`` and ``mismatch`` (the reported status is better than the computed one).
    """
    idx = entities.index
    rc = config.rag

    def flag(name: str, default: bool) -> pd.Series:
        if name not in entities:
            return pd.Series(default, index=idx, dtype=bool)
        return entities[name].astype("boolean").fillna(default).astype(bool)

    def col(name: str) -> pd.Series:
        if name in entities:
            return pd.to_numeric(entities[name], errors="coerce").astype("float64")
        return pd.Series(np.nan, index=idx, dtype="float64")

    cpi, spi, spi_t = col("cpi"), col("spi"), col("spi_t")
    use_t = spi_t.notna()
    sched_index = spi_t.where(use_t, spi)
    cost = index_status(cpi, config)
    schedule = index_status(sched_index, config)
    tracked = flag("cost_data", True)  # False: the source has no cost data at all
    ac_known = flag("ac_known", True) | ~flag("has_financials", True)
    # Without cost data the milestone and risk rules rate on their own; with it, they wait for the indices.
    known = cost.notna() | schedule.notna() | ~tracked

    missed = col("ms_missed").fillna(0)
    key_missed = col("ms_key_missed").fillna(0)
    critical = col("risks_critical_open").fillna(0)
    has_ms = "ms_missed" in entities
    has_risks = "risks_critical_open" in entities

    def rule_rank(setting: str, hit: pd.Series, present: bool) -> pd.Series:
        # rank of the status a rule sets when ``hit``; green (0) when the facts are known and clean
        base = 0.0 if present else np.nan
        if setting == "none":
            return pd.Series(base, index=idx, dtype="float64")
        return pd.Series(np.where(hit, RAG_SEVERITY[setting], base), index=idx, dtype="float64")

    ms_rank = pd.concat([rule_rank(rc.missed_key_milestone, key_missed > 0, has_ms),
                         rule_rank(rc.missed_milestone, missed > 0, has_ms)], axis=1).max(axis=1)
    risk_rank = rule_rank(rc.critical_risk, critical > 0, has_risks)
    # Without financials a green milestone/risk dimension says nothing: the status stays unknown.
    ms_rank = ms_rank.where(known | (ms_rank > 0))
    risk_rank = risk_rank.where(known | (risk_rank > 0))
    names_of = dict(enumerate(RAG_STATUSES))
    ms_status = ms_rank.map(names_of).astype("object").where(ms_rank.notna(), None)
    risk_status = risk_rank.map(names_of).astype("object").where(risk_rank.notna(), None)

    ranks = pd.DataFrame({d: s.map(RAG_SEVERITY) for d, s in
                          (("cost", cost), ("schedule", schedule), ("ms", ms_status), ("risk", risk_status))})
    worst = ranks.max(axis=1, skipna=True)
    overall = worst.map(dict(enumerate(RAG_STATUSES))).astype("object").where(worst.notna(), None)

    # Reasons, one column per dimension, then ordered worst first.
    sched_name = pd.Series(np.where(use_t, "SPI(t)", "SPI"), index=idx)
    cost_reason = _open_only(_index_reason("CPI", cpi, cost, config), "CPI", cpi, entities.get("cpi_all"))
    sched_reason = pd.Series([None] * len(idx), index=idx, dtype="object")
    for name, column in (("SPI(t)", "spi_t"), ("SPI", "spi")):
        mask = sched_name == name
        text = _index_reason(name, sched_index[mask], schedule[mask], config)
        everything = entities[f"{column}_all"][mask] if f"{column}_all" in entities else None
        sched_reason[mask] = _open_only(text, name, sched_index[mask], everything)
    names = (key_missed_names if key_missed_names is not None else pd.Series(dtype="object")).reindex(idx)
    key_text = np.where(names.notna(), "key milestone missed: " + names.fillna("").astype(str),
                        np.where(key_missed == 1, "1 key milestone missed",
                                 key_missed.astype("int64").astype(str) + " key milestones missed"))
    # Beside the key ones, the count stated is the total (as the summary and tiles state it), never the rest.
    other = (missed - key_missed).clip(lower=0)
    other_text = missed.astype("int64").astype(str) + " milestones missed in all"
    ms_reason = pd.Series(
        np.where(key_missed > 0, np.where(other > 0, key_text + "; " + other_text, key_text),
                 np.where(missed == 1, "1 milestone missed", missed.astype("int64").astype(str)
                          + " milestones missed")), index=idx, dtype="object",
    ).mask(ms_status.isna() | (ms_status == "green"), None)
    risk_reason = pd.Series(
        np.where(critical == 1, "1 open critical risk", critical.astype("int64").astype(str)
                 + " open critical risks"), index=idx, dtype="object",
    ).mask(risk_status.isna() | (risk_status == "green"), None)

    long = pd.concat(
        [pd.DataFrame({"entity": np.arange(len(idx)), "dim": d, "rank": ranks[key].to_numpy(),
                       "text": reason.to_numpy(dtype="object")})
         for d, (key, reason) in enumerate((("cost", cost_reason), ("schedule", sched_reason),
                                            ("ms", ms_reason), ("risk", risk_reason)))],
        ignore_index=True,
    )
    long = long[long["text"].notna() & long["rank"].notna()]
    long = long.sort_values(["entity", "rank", "dim"], ascending=[True, False, True], kind="mergesort")
    overall_rank = worst.to_numpy()[long["entity"].to_numpy()]
    is_green = overall_rank == 0
    driving = long[(~is_green) & (long["rank"].to_numpy() > 0)]
    green = long[is_green & (long["dim"].to_numpy() < 2)]
    joined_driving = driving.groupby("entity")["text"].agg("; ".join)
    joined_green = "on track: " + green.groupby("entity")["text"].agg(", ".join)
    reason = pd.Series([None] * len(idx), dtype="object")
    reason.loc[joined_green.index] = joined_green.to_numpy()
    reason.loc[joined_driving.index] = joined_driving.to_numpy()
    reason = pd.Series(reason.to_numpy(), index=idx, dtype="object")
    green_no_index = (worst == 0) & reason.isna()
    reason[green_no_index] = "on track"
    reason[worst.isna()] = NO_FINANCIALS
    not_known_note = (~known) & worst.notna()
    reason[not_known_note] = reason[not_known_note] + " (no financials yet)"
    no_cost = ~tracked
    reason[no_cost & worst.isna()] = NO_COST_DATA
    reason[no_cost & worst.notna()] = reason[no_cost & worst.notna()] + NO_COST_SUFFIX
    no_ac = tracked & ~ac_known
    reason[no_ac] = reason[no_ac] + f" ({NO_ACTUAL_COST}: {UNAVAILABLE_AC})"
    if "stale" in entities and "status_age_days" in entities:
        age = col("status_age_days")
        old = flag("stale", False) & age.notna()
        reason[old] = reason[old] + "; last status " + age[old].round().astype("int64").astype(str) + " days old"
    major = col("guideline_major_breaches").fillna(0)
    if (major > 0).any():  # the PMO's major guideline breaches are named, not rated (docs/guidelines.md)
        words = np.where(major == 1, "1 major guideline breach",
                         major.astype("int64").astype(str) + " major guideline breaches")
        hit = (major > 0).to_numpy(dtype=bool)
        reason[hit] = [f"{r}; {w}" for r, w in zip(reason[hit], words[hit], strict=True)]

    reported = entities["reported_status"] if "reported_status" in entities else pd.Series(None, index=idx)
    rep_rank = reported.astype("object").str.lower().map(RAG_SEVERITY)
    mismatch = (rep_rank.notna() & worst.notna() & (rep_rank < worst)).astype(bool)

    if "closed" in entities:
        # A closed project is not rated and never flagged.
        done = entities["closed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        cost, schedule, ms_status, risk_status, overall = (
            s.where(~done, None) for s in (cost, schedule, ms_status, risk_status, overall))
        reason[done] = CLOSED
        mismatch = mismatch & ~done

    return pd.DataFrame({
        "rag_cost": cost, "rag_schedule": schedule, "rag_milestones": ms_status, "rag_risks": risk_status,
        "rag": overall, "rag_reason": reason, "mismatch": mismatch.to_numpy(dtype=bool),
    }, index=idx)
