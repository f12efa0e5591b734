"""Spark column parsers for the value encodings of SOURCES.md 0.3-0.4: identifiers, dates, URSSAF
periods and numbers.

Inputs are raw string columns, already trimmed with empty turned into null (`text.py`). Each parser
returns a `Parsed`: the typed value, the problem (a reject reason code, null when the value is fine
or missing) and quality flags (null when not raised). A source module then decides the role of the
column: `require` (missing or unreadable rejects the line) or `attribute` (unreadable becomes null
and the flag `bad_<column>`). Everything is a vectorised expression: no Python UDF, safe under ANSI.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, replace

from pyspark.sql import Column
from pyspark.sql import functions as F

from signaux_spark import sql_text
from signaux_spark.ids import LA_POSTE_SIREN

MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")


@dataclass(frozen=True)
class Parsed:
    """A parsed value. `value` and `flags` mean something only where `problem` is null: `rows.stage`
    (or `attribute`) nulls them elsewhere, once per row."""

    value: Column
    problem: Column | None = None  # reject reason code, null when fine (or missing); None: never
    flags: tuple[Column, ...] = ()  # flag names, null when not raised
    needs: tuple[dict[str, Column], ...] = ()  # helper columns to add first, level by level (`stage`)


def no_problem() -> Column:
    return F.lit(None).cast("string")


def flag_if(condition: Column, name: str) -> Column:
    return F.when(condition, F.lit(name))


def control_characters(*texts: Column) -> Column:
    """Flag `control_characters` when a text holds a C0 control other than tab and line breaks: kept
    as delivered in bronze, but a spreadsheet cannot store it (the exports clean it)."""
    return flag_if(F.concat_ws("", *texts).rlike(r"[\x00-\x08\x0b\x0c\x0e-\x1f]"), "control_characters")


def require(raw: Column, parsed: Parsed) -> Parsed:
    """A key or measured value: missing rejects the line `missing_required_value`."""
    missing = F.when(raw.isNull(), F.lit("missing_required_value"))
    return replace(parsed, problem=missing if parsed.problem is None else missing.otherwise(parsed.problem))


def attribute(parsed: Parsed, column: str) -> Parsed:
    """A descriptive value: unreadable becomes null and flags the row `bad_<column>`."""
    if parsed.problem is None:
        return parsed
    bad = parsed.problem.isNotNull()
    return replace(
        parsed,
        value=F.when(~bad, parsed.value),
        problem=None,
        flags=tuple(F.when(~bad, f) for f in parsed.flags) + (flag_if(bad, f"bad_{column}"),),
    )


def check(parsed: Parsed, condition: Column, reason: str) -> Parsed:
    """Add a rule on a readable value: when `condition` is false the value is rejected `reason`."""
    failed = F.when(~condition, F.lit(reason))
    return replace(parsed, problem=failed if parsed.problem is None else F.coalesce(parsed.problem, failed))


def _helper_name(raw: Column, what: str) -> str:
    """A helper column's name, the same for the same parser on the same raw column."""
    return f"_{what}_{hashlib.md5(f'{raw}/{what}'.encode()).hexdigest()[:10]}"


def once(raw: Column, what: str, value: Column, reason: str, *, needs: tuple = ()) -> Parsed:
    """A value computed once per row, as a helper column added by `rows.stage`, and its problem:
    `reason` when the raw text is there but no value came out of it. Inline, the value would be
    evaluated again in the problem, the flags and every rule reading it."""
    name = _helper_name(raw, what)
    column = F.col(name)
    return Parsed(column, F.when(raw.isNotNull() & column.isNull(), F.lit(reason)), needs=(*needs, {name: value}))


# --- identifiers (0.3) -------------------------------------------------------------------------
# Checks work on the id as a long (its digits by arithmetic): no per-row arrays, and cheap to repeat,
# since Spark does not share sub-expressions between the branches of a CASE. They are written as SQL
# text, one call to the JVM each: built from Python columns, a SIRET's checks took some 300 calls.


def _digit(number: str, position: int) -> str:
    """The digit at `position` from the right (0-based) of the long `number` (SQL)."""
    return f"(floor({number} / {10**position}) % 10)"


def luhn_ok(number: str, length: int) -> str:
    """Luhn check of an id given as a long, over `length` digits (same rule as `ids.luhn_ok`; SQL)."""
    terms = []
    for i in range(length):
        d = _digit(number, i)
        terms.append(f"CASE WHEN {d} > 4 THEN {d} * 2 - 9 ELSE {d} * 2 END" if i % 2 else d)
    return f"({' + '.join(terms)}) % 10 = 0"


def siret_key_ok(number: str) -> str:
    """A SIRET's own key (`ids.siret_ok`): Luhn, or for La Poste the digit sum is a multiple of 5 (SQL)."""
    digit_sum = " + ".join(_digit(number, i) for i in range(14))
    la_poste = f"floor({number} / {10**5}) = {int(LA_POSTE_SIREN)}"
    return f"CASE WHEN {la_poste} THEN ({digit_sum}) % 5 = 0 ELSE {luhn_ok(number, 14)} END"


def _id_columns(raw: Column, length: int) -> tuple[Column, Column, dict[str, Column], tuple]:
    """(text, number, checks, helper columns) of an identifier of `length` digits: the text without
    the trailing `.0` of spreadsheet exports, that text as a long (read only once the text is known
    to be digits) and its key checks, each a column computed once per row by `stage` (nested in the
    CASE of a rule, the checks would make generated code too large to be compiled)."""
    name = lambda what: _helper_name(raw, f"id{length}_{what}")  # noqa: E731
    text, number = F.col(name("text")), F.col(name("number"))
    number_sql = sql_text.identifier(name("number"))
    checks = {"siren_luhn": luhn_ok(f"floor({number_sql} / {10**5})" if length == 14 else number_sql, 9)}
    if length == 14:
        checks["siret_key"] = siret_key_ok(number_sql)
        checks["pseudo_nic"] = f"{_digit(number_sql, 4)} IN (5, 6, 7, 9)"
    stripped = F.when(raw.endswith(".0"), raw.substr(F.lit(1), F.length(raw) - 2)).otherwise(raw)
    needs = (
        {name("text"): stripped, name("number"): stripped.try_cast("long")},
        {name(c): F.expr(expression) for c, expression in checks.items()},
    )
    return text, number, {c: F.col(name(c)) for c in checks}, needs


def _scientific(value: Column) -> Column:
    """A spreadsheet's scientific notation (`8.12345676E13`). An identifier has at most 14 digits,
    so its exponent has one or two: `494039696E0054` is a provisional SIRET, not a number."""
    return value.rlike(r"^[0-9]+([.,][0-9]+)?[eE][+-]?[0-9]{1,2}$")


def siren(raw: Column) -> Parsed:
    """9 digits, left-padded (flag `id_zero_padded`), Luhn key; `000000000` is invalid."""
    value, number, checks, needs = _id_columns(raw, 9)
    problem = (
        F.when(raw.isNull(), no_problem())
        .when(~value.rlike(r"^[0-9]{1,9}$"), F.lit("invalid_siren"))
        .when(number == 0, F.lit("invalid_siren"))
        .when(~checks["siren_luhn"], F.lit("invalid_siren_checksum"))
    )
    return Parsed(F.lpad(value, 9, "0"), problem, (flag_if(F.length(value) < 9, "id_zero_padded"),), needs)


def siret(raw: Column, *, pseudo: bool = False) -> Parsed:
    """14 digits, left-padded; letters are a provisional SIRET; the SIREN part must pass Luhn; a
    SIRET failing its own key is kept and flagged, except URSSAF pseudo-SIRETs (NIC starting 5, 6,
    7 or 9) which are flagged `pseudo_siret` and exempt (`pseudo=True` for URSSAF sources)."""
    value, number, checks, needs = _id_columns(raw, 14)
    problem = (
        F.when(raw.isNull(), no_problem())
        .when(_scientific(value), F.lit("invalid_siret"))
        .when(value.rlike("[A-Za-z]"), F.lit("provisional_siret"))
        .when(~value.rlike(r"^[0-9]{1,14}$"), F.lit("invalid_siret"))
        .when(number == 0, F.lit("invalid_siret"))
        .when(F.floor(number / F.lit(10**5)) == 0, F.lit("invalid_siren"))
        .when(~checks["siren_luhn"], F.lit("invalid_siren_checksum"))
    )
    is_pseudo = checks["pseudo_nic"] if pseudo else F.lit(False)
    flags = (
        flag_if(F.length(value) < 14, "id_zero_padded"),
        flag_if(is_pseudo, "pseudo_siret"),
        flag_if(~is_pseudo & ~checks["siret_key"], "siret_checksum_failed"),
    )
    return Parsed(F.lpad(value, 14, "0"), problem, flags, needs)


def siren_of(siret_value: Column) -> Column:
    return F.substring(siret_value, 1, 9)


def siren_mismatch(siren_value: Column, siret_value: Column) -> Column:
    """Flag when a file's SIREN column disagrees with its SIRET (the SIRET wins)."""
    return flag_if(siren_value.isNotNull() & (siren_of(siret_value) != siren_value), "siren_siret_mismatch")


# --- dates (0.4) ---------------------------------------------------------------------------------


def _date(raw: Column, pattern: str, fmt: str) -> Column:
    return F.when(raw.rlike(pattern), F.try_to_date(raw, fmt))


def _parsed_date(raw: Column, value: Column, what: str, needs: tuple = ()) -> Parsed:
    return once(raw, what, value, "invalid_date", needs=needs)


def date(raw: Column, *, iso: bool = True, french: bool = False, french_short: bool = False) -> Parsed:
    """A calendar date in the accepted encodings: ISO `yyyy-mm-dd`, French `dd/mm/yyyy`, and the
    old AP exports' `dd/mm/yy` (years 00-49 are 20yy)."""
    candidates = []
    if iso:
        candidates.append(_date(raw, r"^\d{4}-\d{2}-\d{2}$", "yyyy-MM-dd"))
    if french:
        candidates.append(_date(raw, r"^\d{2}/\d{2}/\d{4}$", "dd/MM/yyyy"))
    if french_short:
        yy = F.substring(raw, 7, 2).cast("int")
        century = F.when(yy < 50, F.lit("20")).otherwise(F.lit("19"))
        candidates.append(
            F.when(
                raw.rlike(r"^\d{2}/\d{2}/\d{2}$"),
                F.try_to_date(F.concat(F.substring(raw, 1, 6), century, F.substring(raw, 7, 2)), "dd/MM/yyyy"),
            )
        )
    what = "date" + "".join(k for k, on in (("_iso", iso), ("_fr", french), ("_fr_short", french_short)) if on)
    return _parsed_date(raw, F.coalesce(*candidates) if len(candidates) > 1 else candidates[0], what)


def compact_date(raw: Column) -> Parsed:
    """`yyyymmdd`, a plain date (URSSAF `Dt_immat`)."""
    return _parsed_date(raw, _date(raw, r"^\d{8}$", "yyyyMMdd"), "compact_date")


def urssaf_date(raw: Column) -> Parsed:
    """`(A)AAMMJJ` with `(A)AA` = year - 1900: 6 or 7 digits, plus 19000000, read as yyyymmdd."""
    shifted = F.when(raw.rlike(r"^\d{6,7}$"), (raw.cast("int") + F.lit(19_000_000)).cast("string"))
    return _parsed_date(raw, F.try_to_date(shifted, "yyyyMMdd"), "urssaf_date")


def procol_date(raw: Column) -> Parsed:
    """`ddMMMyyyy` with an English month abbreviation in any case (`26MAY2014`)."""
    abbreviation = F.upper(F.regexp_extract(raw, r"([A-Za-z]{3})", 1))
    ok = raw.rlike(r"^\d{1,2}[A-Za-z]{3}\d{4}$") & abbreviation.isin(*MONTHS)
    month = F.array_position(F.array(*[F.lit(m) for m in MONTHS]), abbreviation)
    text = F.concat_ws(
        "-",
        F.regexp_extract(raw, r"(\d{4})$", 1),
        F.lpad(month.cast("string"), 2, "0"),
        F.lpad(F.regexp_extract(raw, r"^(\d{1,2})", 1), 2, "0"),
    )
    return _parsed_date(raw, F.when(ok, F.try_to_date(text, "yyyy-MM-dd")), "procol_date")


def month(raw: Column, *, month_year: bool = False) -> Parsed:
    """A month as `yyyy-mm-dd` (other days truncated, flag `day_truncated`) or, with `month_year`,
    the historic `MM/yyyy`."""
    day_name = _helper_name(raw, "month_day")
    day = F.col(day_name)
    value = F.trunc(day, "MM")
    if month_year:
        value = F.coalesce(
            value, F.when(raw.rlike(r"^\d{2}/\d{4}$"), F.try_to_date(F.concat(F.lit("01/"), raw), "dd/MM/yyyy"))
        )
    parsed = _parsed_date(
        raw, value, f"month_{month_year}", needs=({day_name: _date(raw, r"^\d{4}-\d{2}-\d{2}$", "yyyy-MM-dd")},)
    )
    return replace(parsed, flags=(flag_if(F.dayofmonth(day) != 1, "day_truncated"),))


def timestamp(raw: Column) -> Parsed:
    """`yyyy-mm-ddTHH:MM:SS` (SIRENE `dateDernierTraitement...`)."""
    value = F.when(
        raw.rlike(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?$"),
        F.try_to_timestamp(F.substring(raw, 1, 19), F.lit("yyyy-MM-dd'T'HH:mm:ss")),
    )
    return once(raw, "timestamp", value, "invalid_date")


def in_range(parsed: Parsed, earliest: dt.date | Column, latest: Column) -> Parsed:
    """The date that places a record in time: before `earliest` or after `latest` (the batch's
    extraction date) is rejected `date_out_of_range`."""
    lo = F.lit(earliest) if isinstance(earliest, dt.date) else earliest
    return check(parsed, parsed.value.isNull() | parsed.value.between(lo, latest), "date_out_of_range")


def extraction_date(batch: Column, day: int) -> Column:
    """The nominal extraction date of a batch `YYYY-MM` (SOURCES.md 0.1)."""
    return F.to_date(F.concat(batch, F.lit("-" + f"{day:02d}")), "yyyy-MM-dd")


def batch_month(batch: Column) -> Column:
    return F.to_date(F.concat(batch, F.lit("-01")), "yyyy-MM-dd")


# --- URSSAF periods (0.4) ----------------------------------------------------------------------


def urssaf_period(raw: Column) -> tuple[Parsed, Column, Column]:
    """`YYQM` or `YYYYQM` -> (start month, end month exclusive, number of months). Never YYYYMM.
    Its pieces are helper columns computed once per row by `stage` (inlined, the code's parts would
    be evaluated again at each of their many uses)."""
    name = lambda what: _helper_name(raw, f"period_{what}")  # noqa: E731
    short = raw.rlike(r"^\d{4}$")
    long = raw.rlike(r"^\d{6}$")
    yy = F.substring(raw, 1, 2).cast("int")
    year = F.when(short, F.when(yy < 50, yy + 2000).otherwise(yy + 1900)).when(long, F.substring(raw, 1, 4).cast("int"))
    qm_text = F.when(short, F.substring(raw, 3, 2)).when(long, F.substring(raw, 5, 2))
    qm = F.col(name("qm"))
    q = F.substring(qm, 1, 1).cast("int")
    m = F.substring(qm, 2, 1).cast("int")
    valid = (q.between(1, 4) & m.between(0, 3)) | (qm == "62")
    n_months = F.when(qm == "62", 12).when(m == 0, 3).otherwise(1)
    first_month = F.when(qm == "62", 1).when(m == 0, 3 * (q - 1) + 1).otherwise(3 * (q - 1) + m)
    needs = (
        {name("year"): year, name("qm"): qm_text},
        {
            name("start"): F.when(valid, F.make_date(F.col(name("year")), first_month, F.lit(1))),
            name("months"): F.when(valid, n_months),
        },
    )
    start, months = F.col(name("start")), F.col(name("months"))
    problem = F.when(raw.isNotNull() & start.isNull(), F.lit("invalid_period_code"))
    return Parsed(start, problem, needs=needs), F.add_months(start, months), months


# --- numbers (0.4) ------------------------------------------------------------------------------


def decimal(raw: Column) -> Parsed:
    """A decimal with `.` or `,` (one mark at most), optional leading `-`; no thousands separator."""
    value = F.when(raw.rlike(r"^-?\d+([.,]\d+)?$"), F.regexp_replace(raw, ",", ".").cast("double"))
    return once(raw, "decimal", value, "invalid_number")


def integer(raw: Column, kind: str = "int") -> Parsed:
    """An integer, also written as a float with a zero fraction (`559.0`)."""
    value = F.when(raw.rlike(r"^-?\d+([.,]0+)?$"), F.regexp_extract(raw, r"^(-?\d+)", 1).try_cast(kind))
    return once(raw, f"integer_{kind}", value, "invalid_number")


def centimes(raw: Column) -> Parsed:
    """An integer number of centimes, returned in euros; a decimal mark means it was not centimes."""
    cents = once(raw, "centimes", F.when(raw.rlike(r"^-?\d+$"), raw.try_cast("long")), "invalid_number")
    return replace(cents, value=cents.value / F.lit(100.0))


def headcount(raw: Column, *, problem: str = "invalid_headcount") -> Parsed:
    """A headcount (SOURCES.md 3): spaces (also U+00A0, U+202F) removed, `1.204`/`1,204` thousands
    separators removed (flag `thousands_separator_removed`), `559.0` read as 559, digits only."""
    plain = raw.rlike(r"^\d{1,9}$")  # nearly every cell: one test, the long way for the others only
    squeezed = F.regexp_replace(raw, "[ \u00a0\u202f]", "")
    thousands = (raw.contains(".") | raw.contains(",")) & squeezed.rlike(r"^\d{1,3}([.,]\d{3})+$")
    normalised = F.when(thousands, F.regexp_replace(squeezed, "[.,]", "")).otherwise(squeezed)
    ok = normalised.rlike(r"^\d+([.,]0+)?$")
    value = F.when(plain, raw.cast("int")).otherwise(
        F.when(ok, F.regexp_extract(normalised, r"^(\d+)", 1).try_cast("int"))
    )
    bad = raw.isNotNull() & value.isNull()
    return Parsed(value, F.when(bad, F.lit(problem)), (flag_if(thousands & ~bad, "thousands_separator_removed"),))


def boolean(raw: Column, true: tuple[str, ...] = ("true", "1"), false: tuple[str, ...] = ("false", "0")) -> Parsed:
    lowered = F.lower(raw)
    value = F.when(lowered.isin(*true), F.lit(True)).when(lowered.isin(*false), F.lit(False))
    return once(raw, f"boolean_{'_'.join(true)}_{'_'.join(false)}", value, "invalid_value")


def pattern(raw: Column, regex: str) -> Parsed:
    """A code that must match `regex` (unreadable otherwise)."""
    return once(
        raw, f"pattern_{hashlib.md5(regex.encode()).hexdigest()[:6]}", F.when(raw.rlike(regex), raw), "invalid_value"
    )


def code(value: Column, known: tuple) -> Column:
    """Flag `unknown_code` for a value outside its code table (the value is kept)."""
    return flag_if(value.isNotNull() & ~value.isin(*known), "unknown_code")


def lookup(mapping: dict[str, str], key: Column) -> Column:
    """The value of `key` in a small reference table (null when absent). The table is one SQL map
    literal: a literal column per entry would be hundreds of calls to the JVM."""
    pairs = ", ".join(f"{sql_text.string(k)}, {sql_text.string(val)}" for k, val in sorted(mapping.items()))
    return F.try_element_at(F.expr(f"map({pairs})"), key)
