"""The generated files against SOURCES.md and against the fault manifest, line by line.

One generation with every defect at a high rate (`stress` profile) on a small economy; an
independent reader (synthetic_checks.py, written from the spec) lists what ingestion must report
for each line and file, and that list must equal the manifest exactly."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from signaux_spark.months import QUARTER_STARTS, add_months, batch_range, index, parse_month
from signaux_spark.sources import (
    ap_consommation,
    ap_demande,
    dgfip_liasses,
    sirene_etablissement,
    sirene_unite_legale,
    urssaf_cotisation,
    urssaf_debit,
    urssaf_delai,
    urssaf_procol,
)
from signaux_spark.synthetic import generate
from tests.synthetic.synthetic_checks import TRACKED_FLAGS, check_file, decode, physical_lines, read_file

REJECT_REASONS = {
    "wrong_field_count",
    "malformed_quotes",
    "missing_required_value",
    "invalid_siren",
    "invalid_siren_checksum",
    "invalid_siret",
    "provisional_siret",
    "invalid_date",
    "date_out_of_range",
    "invalid_period_code",
    "invalid_number",
    "negative_not_allowed",
    "invalid_interval",
    "unknown_procol_action",
    "ambiguous_procol_action",
    "invalid_headcount",
}
CHECKED = REJECT_REASONS | {"duplicate_dropped", "skipped_blank"} | {f"flag:{f}" for f in TRACKED_FLAGS}
RAW = {
    m.SOURCE: m.RAW_COLUMNS
    for m in (
        urssaf_cotisation,
        urssaf_debit,
        urssaf_delai,
        urssaf_procol,
        ap_demande,
        ap_consommation,
        dgfip_liasses,
        sirene_unite_legale,
        sirene_etablissement,
    )
}
# SOURCES.md 9, copied from the spec (the Altares modules of sources/ hold no raw layout).
ALTARES_RETRO = (
    "SIREN;ETAT_ORGANISATION;CODE_PAYDEX;PAYDEX;NBR_JRS_RETARD;NBR_FOURNISSEURS;ENCOURS_ETUDIES;"
    "NBR_EXPERIENCES_PAIEMENT;NOTE100_ALERTEUR_PLUS_30;NOTE100_ALERTEUR_PLUS_90_JOURS;DATE_VALEUR"
).split(";")
FIRST, LAST = "2019-01", "2021-06"


@pytest.fixture(scope="module")
def stressed(spark, tmp_path_factory):
    out = tmp_path_factory.mktemp("stress")
    summary = generate(spark, out, firms=150, first_batch=FIRST, last_batch=LAST, seed=7, faults="stress")
    return out, summary


def manifest(out: Path) -> list[dict]:
    rows = []
    for path in sorted((out / "faults").glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            assert reader.fieldnames == ["source", "batch", "file", "line_number", "fault", "expected"]
            rows += list(reader)
    return rows


def landing_files(out: Path) -> list[Path]:
    order = ["ap_demande"]  # requests first: consumption rows refer to them
    files = [p for p in (out / "landing").rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: (p.parent.name, p.parts[-3] not in order, p.parts[-3], p.name))


def expected_header(path: Path, source: str, batch: str) -> list[str] | None:
    if source == "altares_paydex":
        return ALTARES_RETRO if "Retro" in path.name else None  # increments are read by position
    if source == "urssaf_effectif_ent":
        return None
    return list(RAW[source])


def test_every_line_and_file_matches_the_manifest(stressed):
    rows = check_against_manifest(*stressed)
    faults = Counter(r["fault"] for r in rows)
    for key in (
        "duplicate_line",
        "redelivered_row",
        "lost_leading_zeros",
        "float_identifier",
        "bad_checksum",
        "provisional_siret",
        "malformed_line",
        "wrong_encoding",
        "header_variation",
        "bad_date",
        "bad_period",
        "bad_headcount",
        "late_delivery",
        "fpi_out_of_range",
        "altares_trailer",
        "mois_not_first",
        "orphan_conso",
        "sirene_oddities",
        "blank_lines",
        "gzip_file",
        "pseudo_siret",
    ):
        assert faults[key] > 0, f"the stress profile injected no {key}"


def test_late_deliveries_every_other_month(spark, tmp_path):
    """Every delivery that may be late is late one month in two (full stocks included): the rows
    land in the next batch, and no line is repeated in the file that receives them."""
    summary = generate(
        spark,
        tmp_path,
        firms=40,
        first_batch="2019-11",
        last_batch="2020-04",
        seed=3,
        faults={"late_delivery": 1.0, "effectif_late_delivery": 1.0},
    )
    rows = check_against_manifest(tmp_path, summary)
    missing = sorted((r["source"], r["batch"]) for r in rows if r["expected"] == "missing_delivery")
    assert ("sirene_unite_legale", "2019-12") in missing and ("sirene_unite_legale", "2020-01") not in missing
    assert ("urssaf_effectif_ent", "2020-01") in missing
    assert (tmp_path / "landing" / "urssaf_effectif_ent" / "2020-02").is_dir()


def check_against_manifest(out: Path, summary: dict) -> list[dict]:
    rows = manifest(out)
    by_file = defaultdict(list)
    for r in rows:
        by_file[r["file"]].append(r)
    ctx = {"requests": set(), "lines": [], "debit_sirets": []}
    checked_files = 0
    for path in landing_files(out):
        rel = str(path.relative_to(out / "landing"))
        source, batch = path.parts[-3], path.parts[-2]
        file_rows = by_file.pop(rel, [])
        if source == "ap_demande":
            text, _ = decode(read_file(path), source)
            for line in physical_lines(text)[1:]:
                if line.strip():
                    ctx["requests"].add(line.split(",")[0].strip().strip('"'))
        outcomes, file_flags, header, _ = check_file(path, source, batch, None, ctx)
        expected = Counter(
            (int(r["line_number"]), r["expected"]) for r in file_rows if r["line_number"] and r["expected"] in CHECKED
        )
        assert outcomes == expected, (rel, (outcomes - expected).most_common(5), (expected - outcomes).most_common(5))
        assert file_flags == {
            r["expected"][len("file_flag:") :]
            for r in file_rows
            if not r["line_number"] and r["expected"].startswith("file_flag:")
        }, rel
        want = expected_header(path, source, batch)
        if want is not None:
            varied = any(r["fault"] == "header_variation" for r in file_rows)
            got = [h.strip() for h in header]
            if varied:
                assert [h.lower() for h in got[: len(want)]] == [h.lower() for h in want] and len(got) - len(want) in (
                    0,
                    1,
                ), rel
            else:
                assert got == want, rel
        checked_files += 1
    # What is left in the manifest: deliveries that are missing (and really absent).
    for rel, file_rows in by_file.items():
        assert {r["expected"] for r in file_rows} == {"missing_delivery"}, rel
        assert not (out / "landing" / rel).exists()
    assert checked_files == summary["files"]
    return rows


def test_redelivered_lines_repeat_an_earlier_delivery(stressed):
    out, _ = stressed
    earlier: dict[str, set] = defaultdict(set)
    rows = [r for r in manifest(out) if r["expected"] == "redelivered"]
    assert rows
    wanted = defaultdict(list)
    for r in rows:
        wanted[r["file"]].append(int(r["line_number"]))
    for path in landing_files(out):
        rel = str(path.relative_to(out / "landing"))
        source = path.parts[-3]
        kind = source + ("/increment" if "Mensuel" in path.name else "")
        lines = physical_lines(decode(read_file(path), source)[0])
        sep = "," if source.startswith("ap_") else ";"
        # A file whose header gained an unknown column carries one more (ignored) field per line.
        extra = len(lines[0].split(sep)) > (len(RAW[source]) if source in RAW else 31)
        records = [ln.strip().rsplit(sep, 1)[0] if extra else ln.strip() for ln in lines]
        for number in wanted.get(rel, []):
            assert records[number - 1] in earlier[kind], (rel, number)
        earlier[kind] |= set(records[1:])


def test_deliveries_follow_the_cadence(stressed):
    out, _ = stressed
    missing = {(r["source"], r["batch"]) for r in manifest(out) if r["expected"] == "missing_delivery"}
    batches = set(batch_range(FIRST, LAST))
    for source in ("urssaf_effectif_ent", "dgfip_liasses"):
        months = {p.name for p in (out / "landing" / source).iterdir()}
        assert FIRST in months
        for batch in months - {FIRST}:
            quarter_month = int(batch[5:]) in QUARTER_STARTS
            previous = f"{add_months(parse_month(batch), -1):%Y-%m}"
            assert quarter_month or (source, previous) in missing, (source, batch)
    retro = list((out / "landing" / "altares_paydex").rglob("*Retro-Paydex*"))
    assert [p.parent.name for p in retro] == [FIRST]
    for source in ("urssaf_cotisation", "urssaf_debit", "ap_demande", "sirene_unite_legale"):
        months = {p.name for p in (out / "landing" / source).iterdir()}
        late = {b for s, b in missing if s == source}
        assert not months & late and months | late == batches, source
    assert all(
        re.fullmatch(r"E_\d{12}_(Retro-Paydex|Paydex-Mensuel)_\d{8}\.csv(\.gz)?", p.name)
        for p in (out / "landing" / "altares_paydex").rglob("*")
        if p.is_file()
    )


def test_effectif_columns_are_consecutive_months_up_to_the_batch(stressed):
    out, _ = stressed
    for path in (out / "landing" / "urssaf_effectif_ent").rglob("*"):
        if not path.is_file():
            continue
        header = physical_lines(decode(read_file(path), "urssaf_effectif_ent")[0])[0].split(";")
        assert header[0].lower() == "siren" and header[-1].lower() == "rais_soc"
        months = []
        for name in header[1:-1]:
            m = re.fullmatch(r"eff(\d{4})([1-4])([1-3])", name.lower())
            assert m, name
            months.append(int(m.group(1)) * 12 + 3 * (int(m.group(2)) - 1) + int(m.group(3)) - 1)
        assert months == list(range(months[0], months[0] + len(months)))
        batch = path.parent.name
        assert months[-1] == index(parse_month(batch)) - 1
        assert len(months) in (36, 48)


PAYDEX_DAYS = {
    **{c: 180 - 3 * c for c in range(51)},
    **dict(
        zip(
            range(51, 80),
            [
                29,
                29,
                28,
                27,
                26,
                26,
                25,
                24,
                23,
                22,
                22,
                21,
                20,
                19,
                19,
                19,
                18,
                17,
                16,
                15,
                14,
                12,
                11,
                9,
                8,
                6,
                5,
                3,
                1,
            ],
            strict=True,
        )
    ),
    **{c: 0 for c in range(80, 91)},
}  # SOURCES.md 9
STAGES = {
    "ouverture",
    "plan_continuation",
    "conversion",
    "fin_procedure",
    "inclusion_autre_procedure",
    "abandon_procedure",
    "cloture_insuffisance_actif",
    "solde_procedure",
}
MISSING_DIVISIONS = {"04", "34", "40", "44", "48", "54", "57", "67", "76", "83", "89"}


def accepted_lines(out: Path) -> dict[str, list[list[str]]]:
    """Fields of every line the reader accepts, by file kind (quotes removed)."""
    ctx = {"requests": set(), "lines": [], "debit_sirets": []}
    for path in landing_files(out):
        source = path.parts[-3]
        if source == "ap_demande":
            text, _ = decode(read_file(path), source)
            ctx["requests"] |= {ln.split(",")[0].strip('"') for ln in physical_lines(text)[1:] if ln.strip()}
        check_file(path, source, path.parts[-2], None, ctx)
    by_kind = defaultdict(list)
    for source, name, _, line, _ in ctx["lines"]:
        kind = source + (":increment" if "Mensuel" in name else ":retro" if "Retro" in name else "")
        if source.startswith(("ap_", "sirene_")):
            by_kind[kind].append(next(csv.reader([line])))
        else:
            by_kind[kind].append(line.split("|" if source == "dgfip_liasses" else ";"))
    return by_kind


def test_values_follow_the_code_tables(stressed):
    out, _ = stressed
    lines = accepted_lines(out)
    for f in lines["urssaf_debit"]:
        assert f[6] in {"1", "2", "3"} and f[7] in {"", "0", "1", "2", "9"} and f[16] in {"0", "1"}
        assert int(f[14]) in {1, 2, 3, 4, 5, 11, 12, 13, 14, 15} and 0 <= int(f[15]) <= 27
        assert int(f[10]) >= 1 and int(f[12]) >= 0 and int(f[13]) >= 0
    periods = Counter(f[4][-2:] if f[4][-2:] == "62" else f[4][-1] for f in lines["urssaf_cotisation"])
    assert periods["0"] and periods["62"] and periods["1"]
    for f in lines["urssaf_cotisation"]:
        mer, enc, due = (float(x.replace(",", ".")) for x in f[5:8])
        assert abs(mer + enc - due) < 0.005 and (mer == 0 or mer > 0)
    for f in lines["urssaf_delai"]:
        assert f[12] in {"DEBUT", "APPROB", "REFUS", "REJ", "FIN"} and f[13] == "DELAI"
        created, due = (dt.datetime.strptime(x, "%d/%m/%Y").date() for x in f[5:7])
        assert int(f[7]) == (due - created).days and f[9] == ("SUP" if int(f[7]) > 183 else "INF")
        assert int(f[10]) == created.year and len(f[4]) == 13 and len(f[3]) == 18
    for f in lines["urssaf_procol"]:
        tokens = f[4].lower().split("_")
        stage = "_".join(t for t in tokens if t not in ("liquidation", "redressement", "sauvegarde"))
        assert stage in STAGES and f[3] == "1"
    for f in lines["ap_demande"]:
        assert f[10] in {str(i) for i in range(1, 8)} and f[11] in {"1", "2", "3", "4"} and f[15] in {"1", "2", "3"}
        assert len(f[0]) in (10, 11)
    for f in lines["dgfip_liasses"]:
        assert len(f[1]) == 7 and f[2] == f[4][:4]
    for f in lines["altares_paydex:increment"]:
        assert len(f) == 31 and f[18] in {"Actif", "Fermé", "Liquidé"}
        assert f[21] == "" or int(f[22]) == PAYDEX_DAYS[int(f[21])]
    for f in lines["altares_paydex:retro"]:
        assert int(f[4]) == PAYDEX_DAYS[int(f[2])] and f[1] in {"Actif", "Fermé", "Liquidé"}
    bands = {"NN", "00", "01", "02", "03", "11", "12", "21", "22", "31", "32", "41", "42", "51", "52", "53"}
    for f in lines["sirene_unite_legale"]:
        assert f[1] in {"O", "P"} and f[10] in {"A", "C"} and f[17] in {"O", "N", ""}
        if f[2] != "true":
            assert f[5] in bands and f[8] in {"PME", "ETI", "GE", ""} and re.fullmatch(r"\d{4}", f[13])
            assert re.fullmatch(r"\d{5}", f[16]) and f[15] in {"NAFRev2", "NAFRev1"}
            if f[15] == "NAFRev2":
                assert re.fullmatch(r"\d{2}\.\d{2}[A-Z]", f[14]) and f[14][:2] not in MISSING_DIVISIONS
    for f in lines["sirene_etablissement"]:
        assert f[8] in {"true", "false"} and f[14] in {"A", "F"} and f[5] in bands
        assert (re.fullmatch(r"(\d{5}|2[AB]\d{3})", f[11]) and re.fullmatch(r"\d{5}", f[9]) and f[12] == "") or (
            f[11] == "" and f[9] == "" and re.fullmatch(r"99\d{3}", f[12])
        )
