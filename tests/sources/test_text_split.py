"""Decoding, lines, quoting, header, duplicates, trailer and wide files (SOURCES.md 0.2, 3, 9): pure
Python, no Spark."""

from __future__ import annotations

import gzip

import pytest

from signaux_spark.sources import altares_paydex, ap_demande, urssaf_cotisation, urssaf_debit, urssaf_effectif_ent
from signaux_spark.sources.text import (
    FileKind,
    Layout,
    StructuralError,
    decode,
    file_records,
    physical_lines,
    split_quoted,
    split_records,
)


def split_file(name: str, data: bytes, layout: Layout, **kw):
    """(summary, all records) of one file: the split's records, exhausted."""
    summary, records = file_records(name, data, layout, **kw)
    return summary, list(records)


SIMPLE = Layout("utf-8", ";", "strict", (FileKind("main", r"f\.csv", ("a", "b", "c")),))


def split(text: str | bytes, layout: Layout = SIMPLE, name: str = "f.csv", **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    return split_file(name, data, layout, **kw)


# --- encodings (0.2) ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, declared, expected_text, encoding, flags",
    [
        ("é;x".encode(), "utf-8", "é;x", "utf-8", []),
        (b"\xef\xbb\xbf" + "é".encode(), "utf-8", "é", "utf-8", []),
        (b"\xef\xbb\xbf" + "é".encode(), "iso-8859-15", "é", "utf-8", ["encoding_bom_override"]),
        (b"\xff\xfe" + "é;x".encode("utf-16-le"), "utf-8", "é;x", "utf-16-le", ["encoding_bom_override"]),
        (b"\xfe\xff" + "é;x".encode("utf-16-be"), "utf-8", "é;x", "utf-16-be", ["encoding_bom_override"]),
        ("é’".encode("cp1252"), "utf-8", "é’", "cp1252", ["encoding_fallback_cp1252"]),
        ("Montant (€)".encode("iso-8859-15"), "iso-8859-15", "Montant (€)", "iso-8859-15", []),
        ("Montant (€)".encode(), "iso-8859-15", "Montant (€)", "utf-8", ["encoding_utf8_instead_of_latin9"]),
        (b"plain ascii", "iso-8859-15", "plain ascii", "iso-8859-15", []),
    ],
)
def test_encoding_resolution_order(data, declared, expected_text, encoding, flags):
    assert decode(data, declared) == (expected_text, encoding, flags)


@pytest.mark.parametrize(
    "data, message",
    [
        (b"a;b\x00;c", "NUL bytes"),  # UTF-16 without its BOM
        (b"caf\xc3\xa9 \x81", "neither UTF-8 nor Windows-1252"),
        (b"\xff\xfe" + b"a\x00b", "after its byte-order mark"),  # odd length after the BOM
    ],
)
def test_undecodable_files_are_structural(data, message):
    with pytest.raises(StructuralError, match=message):
        decode(data, "utf-8")


def test_latin9_euro_sign_is_not_latin1():
    text, _, _ = decode(b"encours (\xa4)", "iso-8859-15")
    assert text == "encours (€)"


# --- lines and quoting (0.2) -------------------------------------------------------------------------


def test_lf_crlf_mixed_and_optional_final_newline():
    assert physical_lines("a\r\nb\nc") == ["a", "b", "c"]
    assert physical_lines("a\nb\r\n") == ["a", "b"]


def test_a_file_cut_inside_its_last_line_is_flagged_and_that_line_rejected():
    summary, records = split("a;b;c\n1;2;3\n4;5;6")  # cut inside the last field: looks complete
    assert summary.flags == ["no_final_line_ending"] and summary.warnings
    assert [(r.line_number, r.reason) for r in records] == [(2, None), (3, "truncated_line")]
    _, records = split("a;b;c\n1;2;3\n4;5")  # cut mid-line: not a wrong field count
    assert [r.reason for r in records] == [None, "truncated_line"]
    summary, records = split("a;b;c\n1;2;3\n")
    assert summary.flags == [] and [r.reason for r in records] == [None]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('"x;y";"a""b";c', (["x;y", 'a"b', "c"], "ok")),
        ("a;;", (["a", "", ""], "ok")),
        ('"";b', (["", "b"], "ok")),
        ('"open;b', (None, "open")),
        ('a"b;c', (None, "malformed")),
        ('"a"b;c', (None, "malformed")),
    ],
)
def test_rfc4180_split(text, expected):
    assert split_quoted(text, ";") == expected


def test_quoted_line_break_spans_physical_lines_and_keeps_first_line_number():
    lines = ["h", '"1","two', 'lines","x"', '"2","b","c"']
    out = list(split_records(lines, ",", "rfc4180"))
    assert [(n, f) for n, _, f, _ in out[1:]] == [(2, ["1", "two\nlines", "x"]), (4, ["2", "b", "c"])]


def test_unclosed_quote_rejects_only_its_line_in_rfc4180_sources():
    lines = ["h", '"1","never closed,x', '"2","b","c"']
    out = list(split_records(lines, ",", "rfc4180"))
    assert [(n, r) for n, _, _, r in out[1:]] == [(2, "malformed_quotes"), (3, None)]


def test_strict_sources_never_join_lines():
    lines = ["h", '1;"open;x', "2;b;c"]
    out = list(split_records(lines, ";", "strict"))
    assert [(n, r) for n, _, _, r in out[1:]] == [(2, "malformed_quotes"), (3, None)]


def test_lazy_quotes_keep_the_quote_as_a_character():
    out = list(split_records(['8123"45676;a"b;"c'], ";", "lazy"))
    assert out[0][2] == ['8123"45676', 'a"b', '"c'] and out[0][3] is None


# --- whole files ---------------------------------------------------------------------------------


def test_header_by_name_case_insensitive_trimmed_reordered_and_extra_column_warned():
    summary, records = split("C ; A ;b;Extra\n3;1;2;x\n")
    assert [r.fields for r in records] == [["1", "2", "3"]]
    assert summary.flags == ["extra_columns"] and "Extra" in summary.warnings[0]


def test_counts_blank_lines_duplicates_and_records():
    text = "a;b;c\n1;2;3\n\n   \n1;2;3\n 1;2;3 \r\n4;5;6\n"
    summary, records = split(text)
    assert (summary.lines, summary.header, summary.blank, summary.duplicates, summary.records) == (7, 1, 2, 2, 2)
    assert summary.lines == summary.header + summary.blank + summary.duplicates + summary.records
    assert [r.line_number for r in records] == [2, 7]


def test_values_trimmed_and_empty_is_null():
    _, records = split("a;b;c\n  1 ; ;3\n")
    assert records[0].fields == ["1", None, "3"]


def test_wrong_field_count_and_malformed_quotes_are_line_rejects():
    _, records = split('a;b;c\n1;2\n1;2;3;4\n1;"2;3\n7;8;9\n')
    assert [(r.line_number, r.reason) for r in records] == [
        (2, "wrong_field_count"),
        (3, "wrong_field_count"),
        (4, "malformed_quotes"),
        (5, None),
    ]
    assert records[0].detail == "2 fields, the header has 3" and records[0].raw_line == "1;2"


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty file"),
        ("\n \n", "empty file"),
        ("a;c\n1;2\n", "missing header column"),
        ("a;b;c;A\n", "appears twice"),
    ],
)
def test_structural_header_problems(text, message):
    with pytest.raises(StructuralError, match=message):
        split(text)


def test_header_only_file_is_an_error_only_where_rows_are_required():
    assert split("a;b;c\n")[0].records == 0
    with pytest.raises(StructuralError, match="no data line"):
        split("a;b;c\n", require_rows=True)


def test_gzip_is_transparent_and_bad_gzip_structural():
    summary, records = split(gzip.compress(b"a;b;c\n1;2;3\n"), name="f.csv.gz")
    assert records[0].fields == ["1", "2", "3"]
    with pytest.raises(StructuralError, match="gzip"):
        split(b"not gzip", name="f.csv.gz")


def test_utf16_file_with_bom_is_loaded_and_flagged():
    data = b"\xff\xfe" + "a;b;c\r\n1;é;3\r\n".encode("utf-16-le")
    summary, records = split(data)
    assert records[0].fields == ["1", "é", "3"] and summary.flags == ["encoding_bom_override"]


def test_ignored_old_columns_of_cotisation_are_not_warned():
    header = ";".join(urssaf_cotisation.RAW_COLUMNS + ["Periode_debit", "ecn"])
    summary, _ = split_file(urssaf_cotisation.FILE_NAME, (header + "\n").encode(), urssaf_cotisation.LAYOUT)
    assert summary.flags == []


def test_debit_stray_quote_is_malformed_but_cotisation_keeps_it():
    debit_header = ";".join(urssaf_debit.RAW_COLUMNS)
    line = '827;74;"827000000004512361;812345676;81234567600017;20090415;1;0;202412;101;1;1240318;120630;281470;1;2;0'
    _, records = split_file(urssaf_debit.FILE_NAME, f"{debit_header}\n{line}\n".encode(), urssaf_debit.LAYOUT)
    assert records[0].reason == "malformed_quotes"
    cotis_header = ";".join(urssaf_cotisation.RAW_COLUMNS)
    _, records = split_file(
        urssaf_cotisation.FILE_NAME,
        f'{cotis_header}\n827;74;8123456760"0017;827;2411;0;1,00;1,00\n'.encode(),
        urssaf_cotisation.LAYOUT,
    )
    assert records[0].reason is None and records[0].fields[2] == '8123456760"0017'


def test_ap_quoted_csv_with_crlf_and_decimal_comma_in_quotes():
    header = ",".join(f'"{c}"' for c in ap_demande.RAW_COLUMNS)
    line = '"07420012345","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",6370.0,"51469,60",12.0,"5","3",3890.5,12.0,"31435,24","1"'  # noqa: E501 (a sample line, kept whole)
    _, records = split_file("demande_ap.csv", f"{header}\r\n{line}\r\n".encode(), ap_demande.LAYOUT)
    assert records[0].fields[8] == "51469,60" and records[0].fields[0] == "07420012345"


# --- wide headcount file (3) -------------------------------------------------------------------------

EFFECTIF = urssaf_effectif_ent


def effectif(text: str):
    return split_file(EFFECTIF.FILE_NAME, text.encode("utf-8"), EFFECTIF.LAYOUT)


def test_month_columns_decode_yyyyqm():
    assert EFFECTIF.month_column("eff202411") == "2024-01-01"
    assert EFFECTIF.month_column("EFF202423") == "2024-06-01"
    assert EFFECTIF.month_column("eff202443") == "2024-12-01"
    assert EFFECTIF.month_column("eff202410") is None and EFFECTIF.month_column("eff202451") is None


def test_wide_cells_skip_blanks_and_keep_column_names():
    _, records = effectif("siren;eff202411;eff202412;eff202413;rais_soc\n812345676;14;;1 204;MENUISERIE\n")
    assert records[0].fields == ["812345676", "MENUISERIE"]
    assert records[0].cells == [
        {"column": "eff202411", "periode": "2024-01-01", "value": "14"},
        {"column": "eff202413", "periode": "2024-03-01", "value": "1 204"},
    ]


def test_rais_soc_with_a_separator_is_repaired():
    _, records = effectif("siren;eff202411;rais_soc\n812345676;14;DUPONT; FILS;ET CIE\n812345676\n")
    assert records[0].fields == ["812345676", "DUPONT; FILS;ET CIE"] and records[0].flags == ["rais_soc_repaired"]
    assert records[1].reason == "wrong_field_count"


def test_undecodable_month_column_is_ignored_with_a_warning():
    summary, records = effectif("siren;eff202411;eff2024XX;rais_soc\n812345676;14;99;X\n")
    assert [c["column"] for c in records[0].cells] == ["eff202411"]
    assert "undecoded_month_columns" in summary.flags


def test_two_columns_for_the_same_month_are_structural():
    with pytest.raises(StructuralError, match="both the month 2024-01"):
        effectif("siren;eff202411;EFF202411 ;rais_soc\n")


# --- Altares trailer (9) -----------------------------------------------------------------------------


def increment(*data_lines: str, trailer: str | None = "auto", after: str = "") -> bytes:
    header = ";".join(altares_paydex.INCREMENT_COLUMNS)
    body = "\n".join(data_lines)
    if trailer == "auto":
        trailer = f"Fin du fichier : total {len(data_lines)} ligne(s);"
    text = "\n".join(x for x in (header, body, trailer) if x) + "\n" + after
    return text.encode("iso-8859-15")


LINE = ";".join(["SF1", "812345676", "81234567600017"] + [""] * 27 + ["2024-05-31"])


def alt(data: bytes):
    return split_file("E_202406100300_Paydex-Mensuel_20240610.csv", data, altares_paydex.LAYOUT)


def test_trailer_is_skipped_and_counted():
    summary, records = alt(increment(LINE, LINE.replace("SF1", "SF2")))
    assert (summary.trailer, summary.records, summary.flags) == (1, 2, [])
    assert records[0].fields[1] == "812345676" and records[0].fields[30] == "2024-05-31"


def test_missing_trailer_and_wrong_count_are_file_flags():
    assert alt(increment(LINE, trailer=None))[0].flags == ["missing_trailer"]
    summary, _ = alt(increment(LINE, trailer="Fin du fichier : total 5 ligne(s)"))
    assert summary.flags == ["trailer_count_mismatch"]


def test_blank_after_trailer_is_fine_but_a_line_is_structural():
    assert alt(increment(LINE, after="\n\n"))[0].blank == 2
    with pytest.raises(StructuralError, match="after the trailer"):
        alt(increment(LINE, after=LINE + "\n"))


def test_increment_header_is_read_by_position():
    data = increment(LINE).replace(b"Siren;Siret", b"SIREN NUMBER;X")
    assert alt(data)[1][0].fields[1] == "812345676"


def test_retro_and_unknown_file_names():
    retro = (
        "SIREN;ETAT_ORGANISATION;CODE_PAYDEX;PAYDEX;NBR_JRS_RETARD;NBR_FOURNISSEURS;ENCOURS_ETUDIES;"
        "NBR_EXPERIENCES_PAIEMENT;NOTE100_ALERTEUR_PLUS_30;NOTE100_ALERTEUR_PLUS_90_JOURS;DATE_VALEUR\n"
        "812345676; Actif; 070;15 jours; 15;12;164000;57;22;3; 15/01/2019\n"
    )
    summary, records = split_file(
        "E_202406100300_Retro-Paydex_20240610.csv", retro.encode("latin-1"), altares_paydex.LAYOUT
    )
    assert summary.file_kind == "retro" and records[0].fields[-1] == "15/01/2019" and records[0].fields[2] == "070"
    with pytest.raises(StructuralError, match="matches no delivery"):
        split_file("paydex.csv", retro.encode(), altares_paydex.LAYOUT)
