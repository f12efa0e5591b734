"""The static side of the synthetic economy: who the firms are (SIREN, sector, legal category,
location, size, frailty, coverage by Altares) and where their establishments are.

Everything is a function of (seed, firm index) only, so any subset of firms can be built alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signaux_spark.synthetic import reference as ref
from signaux_spark.synthetic.calendar import day_of
from signaux_spark.synthetic.ids import as_text, nic_numbers, siren_numbers
from signaux_spark.synthetic.rng import Streams

ODDITIES = ["none", "naf_rev1", "purged", "two_head_offices", "no_head_office", "foreign_head_office"]
MAX_SITES = 400


@dataclass
class Sites:
    """Establishments (URSSAF accounts), flat and sorted by (firm, k). `firm` is the local firm row."""

    firm: np.ndarray
    k: np.ndarray  # 0 = the head office
    weight: np.ndarray  # share of the firm's headcount
    created_month: np.ndarray
    created: np.ndarray  # datetime64[D]
    move_month: np.ndarray  # month the site moves to a new SIRET (a large value: never)
    move_day: np.ndarray
    nic: np.ndarray  # NIC before and after the move (ints)
    nic_after: np.ndarray
    dept: np.ndarray  # index into reference.DEPARTMENTS
    commune: np.ndarray  # object arrays
    commune_name: np.ndarray
    postal: np.ndarray
    street: np.ndarray
    payer: np.ndarray  # 0 monthly, 1 quarterly, 2 yearly contributions
    pseudo: np.ndarray  # URSSAF pseudo-SIRET account (temp work), not in SIRENE
    foreign: np.ndarray  # head office abroad (no URSSAF account, no commune)
    closure_draw: np.ndarray  # uniform used for the site's closure hazard

    def __len__(self) -> int:
        return len(self.firm)


@dataclass
class World:
    firm: np.ndarray  # absolute firm index
    siren: np.ndarray  # int
    siren_text: np.ndarray
    created_month: np.ndarray
    created: np.ndarray
    public: np.ndarray  # public or excluded legal category: never fails
    category: np.ndarray  # index into reference.CATEGORY_CODES
    naf: np.ndarray  # index into reference.NAF_CODES
    section: np.ndarray
    dept: np.ndarray
    region: np.ndarray  # index into REGIONS
    log_size: np.ndarray  # long-run log headcount
    frailty_z: np.ndarray  # standard normal; the process turns it into a rate multiplier
    wage: np.ndarray  # monthly gross wage per employee in 2015 euros
    paydex_covered: np.ndarray
    fpi_covered: np.ndarray
    payment_habit: np.ndarray  # 0 ordinary, 1 pays URSSAF first (delays suppliers), 2 habitually late
    fiscal_end: np.ndarray  # month (1-12) ending the fiscal year
    oddity: np.ndarray  # index into ODDITIES
    name: np.ndarray
    surname: np.ndarray  # sole traders: nomUniteLegale / prenom1UniteLegale, else ""
    first_name: np.ndarray
    acronym: np.ndarray
    sites: Sites

    def __len__(self) -> int:
        return len(self.firm)


REGIONS = sorted(set(ref.DEPT_REGION))


def build_world(firms: np.ndarray, seed: int, sim_start: int, horizon: int, rates: dict[str, float]) -> World:
    """Static attributes of the given firm indexes. `horizon` is the last simulated month; `rates`
    the fault profile (pseudo-SIRETs, registry oddities, quarterly and yearly payers)."""
    rs = Streams(seed)
    f = np.asarray(firms, dtype=np.int64)
    siren = siren_numbers(f, seed)

    # Creation: about 60 % of firms predate the simulation (ages spread over decades), the others
    # are created uniformly over the simulated span, so that the population stays roughly stable.
    old = rs["old"].uniform(f) < 0.6
    age = np.minimum(np.floor(-np.log1p(-rs["age"].uniform(f)) * 150).astype(np.int64) + 6, 12 * 55)
    created_month = np.where(old, sim_start - age, sim_start + rs["birth"].integers(0, horizon - sim_start + 1, f))
    created = day_of(created_month, rs["birth_day"].integers(1, 29, f))

    public = rs["public"].uniform(f) < ref.PUBLIC_SHARE
    pub_w = np.array([w for _, _, w, _ in ref.PUBLIC_UNITS])
    pub_pick = rs["public_kind"].choice(pub_w, f)
    priv_cat = rs["category"].choice([w for _, w in ref.PRIVATE_CATEGORIES], f)
    category = np.where(public, len(ref.PRIVATE_CATEGORIES) + pub_pick, priv_cat)
    pub_naf = np.array([ref.NAF_INDEX[naf] for _, naf, _, _ in ref.PUBLIC_UNITS])[pub_pick]
    naf = np.where(public, pub_naf, ref.PRIVATE_NAF_INDEX[rs["naf"].choice(ref.PRIVATE_NAF_WEIGHT, f)])
    section = ref.NAF_SECTION[naf]
    dept = rs["dept"].choice(ref.DEPT_WEIGHT, f)
    region = np.searchsorted(REGIONS, np.asarray(ref.DEPT_REGION)[dept])

    # Heavy-tailed size: a log-normal body (a quarter of firms stay below 10 employees) and a
    # Pareto tail of large firms.
    body = 2.6 + 1.0 * rs["size"].normal(f)
    tail = np.log(250.0) - np.log1p(-rs["size_tail"].uniform(f)) / 1.1
    log_size = np.where(rs["is_large"].uniform(f) < 0.015, np.minimum(tail, np.log(60000.0)), body)
    log_size = np.maximum(log_size, np.log(1.5))

    frailty_z = rs["frailty"].normal(f)
    wage = ref.section_array(0)[section] * np.exp(0.15 * rs["wage"].normal(f))
    paydex_covered = rs["paydex"].uniform(f) < 0.75
    fpi_covered = paydex_covered & (rs["fpi"].uniform(f) < 0.67)
    payment_habit = np.searchsorted([0.55, 0.85], rs["payment_habit"].uniform(f), side="right")
    fiscal_end = np.where(rs["fiscal"].uniform(f) < 0.82, 12, np.array([3, 6, 9])[rs["fiscal_m"].integers(0, 3, f)])
    oddity = np.where(
        rs["oddity"].uniform(f) < rates["sirene_oddities"], rs["oddity_kind"].integers(1, len(ODDITIES), f), 0
    )

    names = _names(f, rs, section, category, public, dept)
    sites = _sites(f, rs, siren, created_month, created, log_size, naf, dept, horizon, oddity, rates)
    return World(
        firm=f,
        siren=siren,
        siren_text=as_text(siren, 9),
        created_month=created_month,
        created=created,
        public=public,
        category=category,
        naf=naf,
        section=section,
        dept=dept,
        region=region,
        log_size=log_size,
        frailty_z=frailty_z,
        wage=wage,
        paydex_covered=paydex_covered,
        fpi_covered=fpi_covered,
        payment_habit=payment_habit,
        fiscal_end=fiscal_end,
        oddity=oddity,
        sites=sites,
        **names,
    )


def _names(f, rs, section, category, public, dept) -> dict[str, np.ndarray]:
    n = len(f)
    pattern = rs["name_pattern"].integers(0, 6, f)
    a = rs["name_a"].integers(0, 1 << 30, f)
    b = rs["name_b"].integers(0, 1 << 30, f)
    c = rs["name_c"].integers(0, 1 << 30, f)
    cat_codes = np.asarray(ref.CATEGORY_CODES)[category]
    name = np.empty(n, dtype=object)
    surname = np.full(n, "", dtype=object)
    first = np.full(n, "", dtype=object)
    acronym = np.full(n, "", dtype=object)
    public_stems = {c: stem for c, _, _, stem in ref.PUBLIC_UNITS}
    for i in range(n):
        sur = ref.SURNAMES[a[i] % len(ref.SURNAMES)]
        sur2 = ref.SURNAMES[c[i] % len(ref.SURNAMES)]
        place = ref.PLACES[b[i] % len(ref.PLACES)]
        words = ref.ACTIVITY_WORDS[ref.SECTION_NAMES[section[i]]]
        act = words[b[i] % len(words)]
        if public[i]:
            city = ref.DEPARTMENTS[dept[i]][3]
            name[i] = f"{public_stems[cat_codes[i]]} {city}" + (
                ", MAIRIE" if cat_codes[i] == "7210" and a[i] % 3 == 0 else ""
            )
        elif cat_codes[i] == "1000":
            surname[i], first[i] = sur, ref.FIRST_NAMES[c[i] % len(ref.FIRST_NAMES)]
            name[i] = f"{sur} {first[i]}"
        elif cat_codes[i] == "9220":
            name[i] = f"ASSOCIATION {act} {place}"
        else:
            p = pattern[i]
            name[i] = [
                f"{act} {place}",
                f"{act} {sur}",
                f"{act} {sur} {ref.SUFFIXES[c[i] % len(ref.SUFFIXES)]}",
                f"{sur} {act}",
                f"{act} {sur}-{sur2}",
                f"{sur[0]}{sur2[0]}{act[0]} {act}",
            ][p]
            if p in (2, 5):
                acronym[i] = "".join(w[0] for w in name[i].replace("-", " ").split() if w[0].isalpha())[:4]
    return {"name": name, "surname": surname, "first_name": first, "acronym": acronym}


def _poisson(lam: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Inverse-CDF Poisson draws from uniforms (normal approximation above 30)."""
    k = np.zeros(len(lam), dtype=np.int64)
    p = np.exp(-np.minimum(lam, 30.0))
    cdf = p.copy()
    small = lam <= 30
    for i in range(1, 80):
        more = small & (u > cdf)
        if not more.any():
            break
        k[more] += 1
        p = p * np.minimum(lam, 30.0) / i
        cdf = cdf + p
    z = np.sqrt(2.0) * _erfinv(2.0 * u - 1.0)
    return np.where(small, k, np.maximum(0, np.rint(lam + np.sqrt(lam) * z))).astype(np.int64)


def _erfinv(y: np.ndarray) -> np.ndarray:
    """Inverse error function (Giles' approximation, enough for size draws)."""
    y = np.clip(y, -0.999999, 0.999999)
    w = -np.log((1.0 - y) * (1.0 + y))
    small = w < 5.0
    ws = w - 2.5
    p1 = 2.81022636e-08
    for c in (
        3.43273939e-07,
        -3.5233877e-06,
        -4.39150654e-06,
        0.00021858087,
        -0.00125372503,
        -0.00417768164,
        0.246640727,
        1.50140941,
    ):
        p1 = c + p1 * ws
    wl = np.sqrt(np.maximum(w, 5.0)) - 3.0
    p2 = -0.000200214257
    for c in (
        0.000100950558,
        0.00134934322,
        -0.00367342844,
        0.00573950773,
        -0.0076224613,
        0.00943887047,
        1.00167406,
        2.83297682,
    ):
        p2 = c + p2 * wl
    return np.where(small, p1, p2) * y


def _sites(f, rs, siren, created_month, created, log_size, naf, dept, horizon, oddity, rates) -> Sites:
    size = np.exp(log_size)
    lam = 0.45 + 0.06 * size**0.85
    n_sites = np.minimum(1 + _poisson(lam, rs["n_sites"].uniform(f)), MAX_SITES)
    foreign = oddity == ODDITIES.index("foreign_head_office")
    n_sites = np.where(foreign, np.maximum(n_sites, 2), n_sites)
    temp_work = naf == ref.NAF_INDEX[ref.TEMP_WORK_NAF]
    has_pseudo = temp_work & (rs["pseudo"].uniform(f) < rates["pseudo_siret"])
    total = n_sites + has_pseudo

    firm = np.repeat(np.arange(len(f)), total)
    start = np.cumsum(total) - total
    k = np.arange(len(firm)) - start[firm]
    fa = f[firm]
    pseudo = has_pseudo[firm] & (k == total[firm] - 1)
    head = k == 0

    span = np.maximum(12, np.minimum(horizon, created_month + 360)[firm] - created_month[firm])
    # The first French establishment of a firm whose head office is abroad opens with the firm.
    first_french = head | pseudo | ((k == 1) & foreign[firm])
    created_m = np.where(
        first_french,
        created_month[firm],
        created_month[firm] + np.floor(rs["site_birth"].uniform(fa, k) * span).astype(np.int64),
    )
    site_created = np.where(first_french, created[firm], day_of(created_m, rs["site_day"].integers(1, 29, fa, k)))
    weight = np.where(head, 2.0, np.exp(0.8 * rs["site_weight"].normal(fa, k)))
    weight = np.where(head & foreign[firm], 0.0, weight)
    weight = np.where(pseudo, 1.5, weight)

    # A site moves (new SIRET, same URSSAF account) with a small monthly hazard.
    move_after = np.floor(-np.log1p(-rs["move"].uniform(fa, k)) / 0.0009).astype(np.int64) + 1
    move_month = np.where(pseudo | (head & foreign[firm]), 10**6, created_m + move_after)
    move_day = rs["move_day"].integers(2, 29, fa, k)
    seq = k + 1
    nic = nic_numbers(siren[firm], seq)
    nic_after = nic_numbers(siren[firm], seq + n_sites[firm] + 1)
    pseudo_nic = np.array([5, 6, 7, 9])[rs["pseudo_nic"].integers(0, 4, fa)] * 10000 + rs["pseudo_nic2"].integers(
        0, 10000, fa
    )
    nic = np.where(pseudo, pseudo_nic, nic)
    nic_after = np.where(pseudo, pseudo_nic, nic_after)

    same_dept = head | (rs["site_local"].uniform(fa, k) < 0.6)
    site_dept = np.where(same_dept, dept[firm], rs["site_dept"].choice(ref.DEPT_WEIGHT, fa, k))
    commune, commune_name, postal = communes(
        site_dept, rs["commune"].uniform(fa, k), rs["commune_n"].integers(1, 600, fa, k)
    )
    commune = np.where(head & foreign[firm], "", commune)
    commune_name = np.where(head & foreign[firm], "", commune_name)
    postal = np.where(head & foreign[firm], "", postal)
    streets = np.asarray(ref.STREETS, dtype=object)[rs["street"].integers(0, len(ref.STREETS), fa, k)]
    street = rs["street_no"].integers(1, 120, fa, k).astype(str).astype(object) + " " + streets
    u_payer = rs["payer"].uniform(fa, k)
    yearly, quarterly = rates["yearly_payers"], rates["quarterly_payers"]
    payer = np.where(pseudo, 0, np.where(u_payer < yearly, 2, np.where(u_payer < yearly + quarterly, 1, 0)))
    return Sites(
        firm=firm,
        k=k,
        weight=weight,
        created_month=created_m,
        created=site_created,
        move_month=move_month,
        move_day=move_day,
        nic=nic,
        nic_after=nic_after,
        dept=site_dept,
        commune=commune,
        commune_name=commune_name,
        postal=postal,
        street=street,
        payer=payer,
        pseudo=pseudo,
        foreign=head & foreign[firm],
        closure_draw=rs["site_close"].uniform(fa, k),
    )


def communes(dept: np.ndarray, u: np.ndarray, number: np.ndarray):
    """(INSEE code, name, postal code) of a commune in each department: the main commune about half
    of the time (an arrondissement in Paris, Lyon and Marseille), otherwise another commune whose
    name is a deterministic function of its code."""
    code = np.empty(len(dept), dtype=object)
    name = np.empty(len(dept), dtype=object)
    postal = np.empty(len(dept), dtype=object)
    for i, (d, ui, k) in enumerate(zip(dept, u, number, strict=True)):
        dcode, _, _, main_name, main_code, main_postal = ref.DEPARTMENTS[d]
        if dcode in ref.ARRONDISSEMENTS and (ui < 0.5 or dcode == "75"):
            first, count, first_postal = ref.ARRONDISSEMENTS[dcode]
            j = int(k) % count
            code[i], postal[i] = str(first + j), f"{first_postal + j:05d}"
            name[i] = f"{main_name} {j + 1}{'ER' if j == 0 else 'EME'}"
        elif ui < 0.45 or len(dcode) == 3 and dcode not in ("971", "972", "973", "974", "976"):
            code[i], name[i], postal[i] = main_code, main_name, main_postal
        else:
            if len(dcode) == 3:
                k = int(k) % 30 + 1
                code[i] = f"{dcode}{k:02d}"
                postal[i] = f"{dcode}{(k % 9) * 10 + 10:02d}"
            else:
                k = int(k)
                if f"{dcode}{k:03d}" == main_code:
                    k += 1
                code[i] = f"{dcode}{k:03d}"
                if dcode == "2A":
                    postal[i] = f"{20000 + (k % 19 + 1) * 10}"
                elif dcode == "2B":
                    postal[i] = f"{20200 + (k % 49 + 1) * 10}"
                else:
                    postal[i] = f"{int(dcode) * 1000 + (k % 99 + 1) * 10:05d}"
            h = (int(k) * 2654435761) % 2**32
            name[i] = (
                ref.COMMUNE_STEMS[h % len(ref.COMMUNE_STEMS)] + ref.COMMUNE_TAILS[(h >> 8) % len(ref.COMMUNE_TAILS)]
            )
    return code, name, postal
