"""The raw encodings against the examples of SOURCES.md, and every line fault against the outcome
the manifest promises (checked with the independent reader on the spec's own example lines)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from signaux_spark.synthetic import encoders as enc
from signaux_spark.synthetic.calendar import month_number
from signaux_spark.synthetic.emit_urssaf import _headcount_cells
from signaux_spark.synthetic.faults import LINE_FAULTS
from signaux_spark.synthetic.files import SPECS
from signaux_spark.synthetic.plan import fault_profile
from signaux_spark.synthetic.rng import Streams
from tests.synthetic.synthetic_checks import (
    CHECKS,
    Reject,
    check_altares_increment,
    check_altares_retro,
    headcount_cell,
    split_fields,
)


def dates(*texts):
    return np.array(texts, dtype="datetime64[D]")


def test_dates_and_periods_match_the_spec_examples():
    assert enc.urssaf_date(dates("2024-03-18", "1999-06-12", "2000-01-05")).to_pylist() == [
        "1240318",
        "990612",
        "1000105",
    ]
    assert enc.procol_date(dates("2014-05-26")).to_pylist() == ["26MAY2014"]
    assert enc.french_date(dates("2024-03-18")).to_pylist() == ["18/03/2024"]
    assert enc.compact_date(dates("2009-04-15")).to_pylist() == ["20090415"]
    months = np.array([month_number(m) for m in ("2024-02", "2024-04", "2023-01", "2016-07")])
    assert enc.period_code(months, np.array([1, 3, 12, 1])).to_pylist() == ["202412", "202420", "202362", "201631"]
    assert enc.period_code(months[:1], 1, 4).to_pylist() == ["2412"]
    assert enc.period_code(np.array([month_number("2021-01")]), 12, 4).to_pylist() == ["2162"]
    assert enc.effectif_column(np.array([month_number("2024-01"), month_number("2024-06")])).to_pylist() == [
        "eff202411",
        "eff202423",
    ]


def test_amounts_match_the_spec_examples():
    assert enc.comma_amount([1523040, 0, -124000, 5]).to_pylist() == ["15230,40", "0,00", "-1240,00", "0,05"]
    assert enc.dot_amount([973236]).to_pylist() == ["9732.36"]
    assert enc.decimal([3.1, -9.8, 1.824, -0.004], 2).to_pylist() == ["3.10", "-9.80", "1.82", "0.00"]
    assert enc.float_form([14]).to_pylist() == ["14.0"]


# Valid lines taken from SOURCES.md examples (Altares increment shortened to its 31 fields).
EXAMPLES = {
    "urssaf_cotisation": "827;74;81234567600017;827000000004512361;2412;4021,00;11209,40;15230,40",
    "urssaf_debit": "827;74;827000000004512361;812345676;81234567600017;20090415;1;0;202412;101;1;1240318;120630;281470;1;2;0",  # noqa: E501 (a sample line, kept whole)
    "urssaf_delai": "827;74;81234567600017;827000000004512361;7410000321457;12/03/2024;12/09/2024;184;MENUISERIE DU LAC;SUP;2024;4021,00;APPROB;DELAI",  # noqa: E501 (a sample line, kept whole)
    "urssaf_procol": "52310987400017;523109874;14MAR2022;1;Ouverture_redressement",
    "ap_demande": '"07420012345","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",6370.0,"51469,60",12.0,"5","3",3890.5,12.0,"31435,24","1"',  # noqa: E501 (a sample line, kept whole)
    "ap_consommation": '"07420012345","81234567600017",1204.5,9732.36,12.0,"2020-04-01"',
    "dgfip_liasses": "812345676|7401000|2023|2023-01-01|2023-12-31|2024-05-03|18500|42300|512000|201000|0|14|50000|238400|3.1|27.4|310200|12500|111700|185400|25600|64300|1684000|66900|121500|860000|52|61|1.82|6.9|98400|1.24",  # noqa: E501 (a sample line, kept whole)
    "altares_paydex:retro": "812345676;Actif;070;15 jours;15;12;164000;57;22;3;15/01/2019",
    "altares_paydex:increment": "SF000123;812345676;81234567600017;MENUISERIE DU LAC;;;MDL;ZA DES GLAISINS;12 RUE DES ACACIAS;;74000 ANNECY;FRANCE;74000;ANNECY;SIEGE;1;Siège social;Actif;Actif;;O;062;21;14;182500;12400;35;5;MAJ;Mise à jour du paydex;2024-05-31",  # noqa: E501 (a sample line, kept whole)
}
BATCH = "2024-06"
# The same lines with identifiers starting with 0 (the spec's 042112359), so that every fault applies.
ZERO_IDS = {
    "812345676": "042112359",
    "81234567600017": "04211235900015",
    "523109874": "042112359",
    "52310987400017": "04211235900015",
}


def zero_ids(line: str) -> str:
    for old, new in ZERO_IDS.items():
        line = line.replace(old, new)
    return line


def _split_keeping_quotes(line: str, sep: str) -> list[str]:
    """Fields as written, quotes kept (a quoted field may hold the separator)."""
    out, current, quoted = [], "", False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        if ch == sep and not quoted:
            out.append(current)
            current = ""
        else:
            current += ch
    return out + [current]


def outcome(key: str, line: str) -> str | None:
    """What ingestion must do with one line: a reject reason, a tracked flag, or None."""
    source = key.split(":")[0]
    flags: set = set()
    width = len(_split_keeping_quotes(EXAMPLES[key], SPECS[key].sep))
    try:
        fields = split_fields(line, source)
        if len(fields) != width:
            raise Reject("wrong_field_count")
        check = {"altares_paydex:retro": check_altares_retro, "altares_paydex:increment": check_altares_increment}.get(
            key, CHECKS.get(source)
        )
        check(fields, BATCH, flags, {"requests": {"07420012345"}, "debit_sirets": []})
    except Reject as reject:
        return reject.reason
    tracked = flags - {"siret_checksum_failed"}
    return f"flag:{tracked.pop()}" if tracked else None


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_spec_examples_are_valid_lines(key):
    assert outcome(key, EXAMPLES[key]) is None
    assert outcome(key, zero_ids(EXAMPLES[key])) is None


@pytest.mark.parametrize("key", sorted(EXAMPLES))
def test_every_line_fault_has_its_promised_outcome(key):
    spec = SPECS[key]
    fields = _split_keeping_quotes(zero_ids(EXAMPLES[key]), spec.sep)
    tried = 0
    for fault in LINE_FAULTS:
        if fault.rewrite is None or not fault.applies(spec):
            continue
        for u in itertools.product((0.05, 0.3, 0.5, 0.62, 0.8, 0.97), (0.1, 0.55, 0.9), (0.1, 0.15, 0.6)):
            result, outcomes = fault.rewrite(list(fields), spec, u)
            text = result if isinstance(result, str) else spec.sep.join(result)
            physical = text.split(spec.line_end)
            assert len(physical) == len(outcomes), (fault.key, text)
            for piece, (_, expected) in zip(physical, outcomes, strict=True):
                assert outcome(key, piece) == (None if expected == "none" else expected), (fault.key, u, piece)
            tried += 1
    assert tried > 0


def test_headcount_cells_keep_their_promise():
    cells = np.array([[1204, 35000, 999, 1000, 2500000, -1]])
    plan = type("P", (), {"faults": dict(fault_profile("default"), thousands_separator=1.0, bad_headcount=0.0)})()
    seen = set()
    for batch in range(200):
        text, notes = _headcount_cells(cells, Streams(batch), np.array([7]), np.arange(6), batch, plan)
        values = [t.to_pylist()[0] for t in text]
        assert values[2] == "999" and values[5] == ""
        expected = [e for _, _, e in notes]
        got = [headcount_cell(v) or "none" for v in values[:2] + values[3:5]]
        assert sorted(got) == sorted(expected)
        seen |= set(values[:2])
    assert {"1 204", "1.204", "1,204", "1204.0"} <= seen
    plan.faults.update(thousands_separator=0.0, bad_headcount=1.0)
    text, notes = _headcount_cells(cells, Streams(1), np.array([7]), np.arange(6), 1, plan)
    for t in text[:5]:
        with pytest.raises(Reject):
            headcount_cell(t.to_pylist()[0])
    assert [e for _, _, e in notes] == ["invalid_headcount"] * 5
