"""Hand-written deliveries for the ingestion tests: the examples of SOURCES.md plus lines that
break one rule each. Every line carries what ingestion must do with it, so a test can check the
rejects and quality flags exactly (nothing else rejected, nothing else flagged).

Expectations: "ok", "flags:a b" (accepted with exactly these flags), "reject:<reason>", "blank",
"dup" (dropped as a duplicate), "trailer", and for headcount lines "cell:<reason>" (one cell rejected,
the line kept) combined with flags, e.g. "flags:rais_soc_repaired cell:invalid_headcount".
"""

from __future__ import annotations

import gzip
from dataclasses import dataclass, field
from pathlib import Path

from signaux_spark.sources import altares_paydex, dgfip_liasses

ALTARES_RETRO = "E_202406100300_Retro-Paydex_20240610.csv"
ALTARES_INCREMENT = "E_202406100300_Paydex-Mensuel_20240610.csv"
ALTARES_INCREMENT_JULY = "E_202407100300_Paydex-Mensuel_20240710.csv"


@dataclass
class Landing:
    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    rejects: set[tuple[str, str, str, int, str]] = field(default_factory=set)  # source, batch, file, line, reason
    flags: dict[tuple[str, str, str, int], frozenset[str]] = field(default_factory=dict)
    accepted: dict[tuple[str, str], int] = field(default_factory=dict)  # accepted lines per source x batch
    read: dict[tuple[str, str], int] = field(default_factory=dict)
    file_lines: dict[tuple[str, str, str], dict[str, int]] = field(default_factory=dict)  # read, accepted per file

    def add(
        self,
        source: str,
        batch: str,
        name: str,
        header: str,
        rows: list[tuple[str, str]],
        *,
        encoding: str = "utf-8",
        end: str = "\n",
    ) -> None:
        """One file: its header line and (text, expectation) rows; line numbers are counted here."""
        number, texts = 2, [header]
        accepted_before = self.accepted.get((source, batch), 0)
        for text, expect in rows:
            texts.append(text)
            self._expect(source, batch, name, number, expect)
            number += text.count("\n") + 1
        self.read[(source, batch)] = self.read.get((source, batch), 0) + 1 + len(rows)
        self.file_lines[(source, batch, name)] = {
            "lines_read": 1 + len(rows),
            "accepted_lines": self.accepted.get((source, batch), 0) - accepted_before,
        }
        data = (end.join(texts) + end).encode(encoding)
        self.files[(source, batch, name)] = gzip.compress(data, mtime=0) if name.endswith(".gz") else data

    def _expect(self, source, batch, name, number, expect):
        words = expect.split()
        kinds = {w.split(":")[0] for w in words}
        if kinds & {"blank", "dup", "trailer"}:
            return
        if "reject" in kinds:
            self.rejects.add((source, batch, name, number, expect.split(":", 1)[1]))
            return
        self.accepted[(source, batch)] = self.accepted.get((source, batch), 0) + 1
        flags = [w.removeprefix("flags:") for w in words if w.startswith("flags:")]
        flags = [f for group in flags for f in group.split(",")] + [w for w in words if ":" not in w and w != "ok"]
        for w in words:
            if w.startswith("cell:"):
                self.rejects.add((source, batch, name, number, w.split(":", 1)[1]))
        if flags:
            self.flags[(source, batch, name, number)] = frozenset(flags)

    def write(self, root: Path) -> Path:
        landing = root / "landing"
        for (source, batch, name), data in self.files.items():
            path = landing / source / batch / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return landing


def dgfip(siren="812345676", annee="2023", deb="2023-01-01", fin="2023-12-31", depot="2024-05-03", **values) -> str:
    amounts = {c: "100" for c in dgfip_liasses.RAW_COLUMNS[6:]} | values
    return "|".join([siren, "7401000", annee, deb, fin, depot] + [amounts[c] for c in dgfip_liasses.RAW_COLUMNS[6:]])


def altares(
    siren="812345676",
    siret="81234567600017",
    code="062",
    days="21",
    fpi30="35",
    fpi90="5",
    date="2024-05-31",
    ref="SF000123",
) -> str:
    fields = [
        ref,
        siren,
        siret,
        "MENUISERIE DU LAC",
        "",
        "",
        "MDL",
        "ZA DES GLAISINS",
        "12 RUE DES ACACIAS",
        "",
        "74000 ANNECY",
        "FRANCE",
        "74000",
        "ANNECY",
        "SIEGE",
        "1",
        "Siège social",
        "Actif",
        "Actif",
        "",
        "O",
        code,
        days,
        "14",
        "182500",
        "12400",
        fpi30,
        fpi90,
        "MAJ",
        "Mise à jour du paydex",
        date,
    ]
    return ";".join(fields)


COTISATION = "Urssaf_gestion;Dep;Siret;Compte;periode;mer;enc_direct;cotis_due"
DEBIT = (
    "Urssaf_gestion;Dep;num_cpte;Siren;Siret;Dt_immat;Etat_cpte;Cd_pro_col;Periode;Num_Ecn;Num_Hist_Ecn;"
    "Dt_trt_ecn;Mt_PO;Mt_PP;Cd_op_ecn;Motif_ecn;Recours_en_cours"
)
DELAI = (
    "Urssaf_gestion;Dep;Siret;Numero_compte_externe;Numero_structure;Date_creation;Date_echeance;Duree_delai;"
    "Denomination_premiere_ligne;Indic_6M;Annee_creation;Montant_global_echeancier;Code_externe_stade;Code_externe_action"
)
AP_DEMANDE = (
    '"ID_DA","ETAB_SIRET","EFF_ENT","EFF_ETAB","DATE_STATUT","DATE_DEB","DATE_FIN","HTA","MTA","EFF_AUTO",'
    '"MOTIF_RECOURS_SE","PERIMETRE_AP","S_HEURE_CONSOM_TOT","S_EFF_CONSOM_TOT","S_MONTANT_CONSOM_TOT","RECOURS_ANTERIEUR"'
)
AP_CONSO = '"ID_DA","ETAB_SIRET","HEURES","MONTANTS","EFFECTIFS","MOIS"'
UNITE_LEGALE = (
    "siren,statutDiffusionUniteLegale,unitePurgeeUniteLegale,dateCreationUniteLegale,prenom1UniteLegale,"
    "trancheEffectifsUniteLegale,anneeEffectifsUniteLegale,dateDernierTraitementUniteLegale,categorieEntreprise,"
    "dateDebut,etatAdministratifUniteLegale,nomUniteLegale,denominationUniteLegale,categorieJuridiqueUniteLegale,"
    "activitePrincipaleUniteLegale,nomenclatureActivitePrincipaleUniteLegale,nicSiegeUniteLegale,"
    "caractereEmployeurUniteLegale"
)
ETABLISSEMENT = (
    "siren,nic,siret,statutDiffusionEtablissement,dateCreationEtablissement,trancheEffectifsEtablissement,"
    "anneeEffectifsEtablissement,dateDernierTraitementEtablissement,etablissementSiege,codePostalEtablissement,"
    "libelleCommuneEtablissement,codeCommuneEtablissement,codePaysEtrangerEtablissement,dateDebut,"
    "etatAdministratifEtablissement,activitePrincipaleEtablissement,nomenclatureActivitePrincipaleEtablissement,"
    "caractereEmployeurEtablissement"
)
A = "827;74;81234567600017;827000000004512361"  # cotisation: account prefix
D = "827;74;827000000004512361;812345676;81234567600017;20090415;1;0;202412"  # debit: prefix up to Periode
S = "52310987400017;523109874"  # procol: siret;siren


def landing() -> Landing:
    """Batches 2024-06 (monthly sources) and 2024-07 (also the quarterly headcount and DGFiP)."""
    out = Landing()
    out.add(
        "urssaf_cotisation",
        "2024-06",
        "sigfaible_cotisdues.csv",
        COTISATION,
        [
            (f"{A};2411;0;15230,40;15230,40", "ok"),
            (f"{A};2412;4021,00;11209,40;15230,40", "ok"),
            ("117;69;4211235900015;117000000012098744;202420;0;1852300,00;1852300,00", "flags:id_zero_padded"),
            ("942;2A;52310987400017;942000000000783215;2162;0;-1240,00;-1240,00", "ok"),
            (f"{A};202405;0;1,00;1,00", "reject:invalid_period_code"),
            ("", "blank"),
            (f"{A};2411;0;15230,40;15230,40", "dup"),
            (f"{A};2413;x;1,00;1,00", "flags:bad_mer"),
            (f"{A};2413;0;1,00;", "reject:missing_required_value"),
            ('827;74;8123456760"0017;827000000004512361;2413;0;1,00;2,00', "reject:invalid_siret"),  # lazy quote kept
            (f"{A};2431;0;1,00;3,00", "reject:date_out_of_range"),  # July 2024, after the batch month
            (f"{A};8912;0;1,00;4,00", "reject:date_out_of_range"),  # February 1989
            ("827;74;81234567650013;827000000004512361;2413;0;1,00;5,00", "flags:pseudo_siret"),
            ("827;74;81234567600018;827000000004512361;2413;0;1,00;6,00", "flags:siret_checksum_failed"),
            ("827;74;8123456760001A;827000000004512361;2413;0;1,00;7,00", "reject:provisional_siret"),
            (f"{A};2413;0;1,00", "reject:wrong_field_count"),
            (f"{A};2413;0;1 000,00;1 000,00", "reject:invalid_number"),
            ("827;74;81234567700017;827000000004512361;2413;0;1,00;8,00", "reject:invalid_siren_checksum"),
            ("827;74;42112359000150;117000000012098744;2413;0;1,00;9,00", "reject:invalid_siren_checksum"),
        ],
        end="\r\n",
    )
    out.add(
        "urssaf_cotisation",
        "2024-07",
        "sigfaible_cotisdues.csv.gz",
        COTISATION.upper() + ";Periode_debit;ecn",
        [
            (f"{A};2411;0;15230,40;15230,40;2411;1", "ok"),  # the same record again, a month later
            (f"{A};2421;0;100,50;100,50;;", "ok"),
        ],
    )

    out.add(
        "urssaf_debit",
        "2024-06",
        "sigfaible_debits.csv",
        DEBIT,
        [
            (f"{D};101;1;1240318;120630;281470;1;2;0", "ok"),
            (f"{D};101;2;1240426;60315;140735;2;2;0", "ok"),
            (f"{D};101;3;1240614;0;0;2;2;0", "ok"),
            (
                "942;2A;942000000000783215;523109874;52310987400017;20110902;1;1;202231;101;1;1220816;254000;598800;1;24;0",
                "ok",
            ),
            (f"{D};101;4;1240621;0;0;2;2;0", "reject:date_out_of_range"),  # after the extraction (20th)
            (f"{D};102;1;1240320;1206.30;0;1;2;0", "reject:invalid_number"),  # euros, not centimes
            (
                "827;74;827000000004512361;523109874;81234567600017;20090415;1;0;202412;103;1;1240301;-500;100;1;2;0",
                "flags:siren_siret_mismatch,negative_balance",
            ),
            (
                "827;74;827000000004512361;812345676;81234567600017;2009041;7;;202412;104;1;1240301;100;100;99;30;oui",
                "flags:bad_dt_immat,bad_recours,unknown_code",
            ),
            (f"{D};105;0;1240301;100;100;1;2;true", "reject:invalid_number"),  # history step 0
            (
                "827;74;827000000004512361;812345676;81234567600017;20090415;1;0;202405;106;1;1240301;1;1;1;2;0",
                "reject:invalid_period_code",
            ),
            (f"{D};107;1;40318;100;100;1;2;0", "reject:invalid_date"),  # URSSAF date of 5 digits
            (
                '827;74;"827000000004512361;812345676;81234567600017;20090415;1;0;202412;108;1;1240320;1;1;1;2;0',
                "reject:malformed_quotes",
            ),
            (f"{D};108;1;1240320;100;100;1;2;1", "ok"),  # day 20: counts for March
            (f"{D};109;1;1240321;100;100;1;2;false", "ok"),  # day 21: counts for April
            (
                "827;74;827000000004512361;812345676;;20090415;1;0;202412;110;1;1240301;1;1;1;2;0",
                "reject:missing_required_value",
            ),
        ],
    )
    out.add(
        "urssaf_debit",
        "2024-07",
        "sigfaible_debits.csv",
        DEBIT,
        [
            (f"{D};101;3;1240614;0;0;2;2;0", "ok"),  # a step delivered again
            (f"{D};101;4;1240702;0;0;2;2;0", "ok"),
        ],
    )

    out.add(
        "urssaf_effectif_ent",
        "2024-07",
        "sigfaible_effectif_siren.csv",
        "SIREN;eff202411;eff202412;eff202413;eff202421;eff202422;eff202423;EFFXXXX;rais_soc",
        [
            ("812345676;14;14;15;15;;;x;MENUISERIE DU LAC", "ok"),
            ("042112359;1 204;1.198;1 210;1215.0;;;;TRANSPORTS VERNAY ET FILS", "flags:thousands_separator_removed"),
            ("887654325;31;29;3x5;40;;;;INTERIM ALPES; SERVICES", "flags:rais_soc_repaired cell:invalid_headcount"),
            ("42112359;;;;;;5;;VERNAY", "flags:id_zero_padded"),
            ("812345677;1;1;1;1;;;;BAD", "reject:invalid_siren_checksum"),
            ("887654325;1;2", "reject:wrong_field_count"),
            ("523109874;;;;;;;;PAULINE", "ok"),  # nothing known yet: no row, line accepted
        ],
    )

    out.add(
        "urssaf_delai",
        "2024-06",
        "sigfaible_delais.csv",
        DELAI,
        [
            (
                "827;74;81234567600017;827000000004512361;7410000321457;12/03/2024;12/09/2024;184;MENUISERIE DU LAC;SUP;2024;4021,00;APPROB;DELAI",  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                "942;2A;52310987400017;942000000000783215;2010000098111;05/09/2022;05/12/2022;91;BOULANGERIE PÂTISSERIE;INF;2022;8528,00;REJ;DELAI",  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321458;2024-01-10;2024-02-10;31;MDL;INF;2024;500,00;DEBUT;DELAI",
                "ok",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321459;12/03/2024;11/03/2024;1;MDL;INF;2024;500,00;DEBUT;DELAI",
                "reject:invalid_interval",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321460;12/03/2024;12/04/2024;31;MDL;INF;2024;0,00;DEBUT;DELAI",
                "reject:negative_not_allowed",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321461;05/09/2022;05/12/2022;100;MDL;SUP;2021;1,00;XYZ;DELAI",
                "flags:inconsistent_duree_delai,inconsistent_annee_creation,inconsistent_indic_6m,unknown_code",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321462;31/02/2023;12/04/2023;31;MDL;INF;2023;1,00;DEBUT;DELAI",
                "reject:invalid_date",
            ),
            (
                "827;74;81234567600017;827000000004512361;7410000321463;21/06/2024;12/09/2024;83;MDL;INF;2024;1,00;DEBUT;DELAI",
                "reject:date_out_of_range",
            ),
            (
                "827;74;81234567600017;827000000004512361;;12/03/2024;12/09/2024;184;MDL;SUP;2024;1,00;DEBUT;DELAI",
                "reject:missing_required_value",
            ),
        ],
        encoding="cp1252",
    )

    out.add(
        "urssaf_procol",
        "2024-06",
        "sigfaible_pcoll.csv",
        "Siret;Siren;Dt_effet;Cat_v2;Lib_actx_stdx",
        [
            (f"{S};14MAR2022;1;Ouverture_redressement", "ok"),
            ("52310987400025;523109874;14MAR2022;1;Ouverture_redressement", "ok"),
            (f"{S};09NOV2022;1;Ouverture_liquidation", "ok"),
            (f"{S};09NOV2022;1;Inclusion_autre_procedure_redressement", "ok"),
            ("52310987400025;523109874;17JAN2023;1;Solde_procedure_liquidation", "ok"),
            (f"{S};15MAR2022;1;OUVERTURE_SAUVEGARDE", "ok"),
            (f"{S};16mar2022;1;liquidation_ouverture", "ok"),
            (f"{S};14MAR2022;1;Ouverture_procedure", "reject:unknown_procol_action"),
            (f"{S};14MAR2022;1;Conversion_redressement_liquidation", "reject:ambiguous_procol_action"),
            (f"{S};31FEV2022;1;Ouverture_redressement", "reject:invalid_date"),
            (f"{S};14MAR2005;1;Ouverture_redressement", "reject:date_out_of_range"),
            (f"{S};17MAR2022;1;Ouverture_bizarre_redressement", "flags:unknown_code"),
            (f"{S};14MAR2022;1;", "reject:missing_required_value"),
            ("52310987400017;523109875;18MAR2022;1;Ouverture_redressement", "reject:invalid_siren_checksum"),
        ],
    )

    out.add(
        "ap_demande",
        "2024-06",
        "demande_ap.csv",
        AP_DEMANDE,
        [
            (
                '"07420012345","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",6370.0,"51469,60",12.0,"5","3",3890.5,12.0,"31435,24","1"',
                "ok",
            ),
            (
                '"07420019876","81234567600017",14.0,12.0,"2020-06-22","2020-06-01","2020-09-30",2600.0,"21008,00",8.0,"1","1",1210.0,6.0,"9776,80","2"',
                "ok",
            ),
            (
                '"06920004567","04211235900015",1204.0,310.0,"2021-01-12","2021-01-04","2021-03-31",18000.0,"145440,00",150.0,"6","2",0.0,0.0,"0,00","3"',
                "ok",
            ),
            (
                '"07420000001","81234567600017.0","1 204","1.204","25/03/20","2020-03-16","2020-03-31",,"x",12.0,"9","7",0,0,"0","4"',  # noqa: E501 (a sample line, kept whole)
                "flags:missing_hta,bad_montant_autorise,unknown_code,thousands_separator_removed",
            ),
            (
                '"07420000002","8.12345676E13",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:invalid_siret",
            ),
            (
                '"07420000003","81234567600017",14.0,12.0,"2020-03-25","2020-06-30","2020-06-01",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:invalid_interval",
            ),
            (
                '"07420000004","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",-5.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:negative_not_allowed",
            ),
            (
                '"","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:missing_required_value",
            ),
            (
                '"07420000005","",14.0,12.0,"2020-03-25","2020-03-16","2020-06-30",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:missing_required_value",
            ),
            (
                '"07420000006","81234567600017",14.0,12.0,"2024-06-06","2020-03-16","2020-06-30",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:date_out_of_range",
            ),
            (
                '"07420000007","81234567600017",14.0,12.0,"hier","2020-03-16","2020-06-30",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "flags:bad_date_statut",
            ),
            (
                '"07420000008","81234567600017",14.0,12.0,"2020-03-25","2020-03-16","2020-06-31",1.0,"1,00",1.0,"5","3",0,0,"0","1"',
                "reject:invalid_date",
            ),
        ],
        end="\r\n",
    )

    out.add(
        "ap_consommation",
        "2024-06",
        "consommation_ap.csv",
        AP_CONSO,
        [
            ('"07420012345","81234567600017",1204.5,9732.36,12.0,"2020-04-01"', "ok"),
            ('"07420012345","81234567600017",1480.0,11958.40,12.0,"2020-05-01"', "ok"),
            ('"07420019876","81234567600017",402.0,3248.16,6.0,"2020-07-01"', "ok"),
            ('"99999999999","81234567600017",10.0,"80,80",1.0,"2020-07-30"', "flags:orphan_request,day_truncated"),
            ('"07420012345","81234567600017",10.0,,,"05/2020"', "ok"),
            ('"07420012345","81234567600017",-1.0,1.0,1.0,"2020-06-01"', "reject:negative_not_allowed"),
            ('"07420012345","81234567600017",,1.0,1.0,"2020-06-01"', "reject:missing_required_value"),
            ('"07420012345","81234567600017",1.0,1.0,1.0,"2024-07-01"', "reject:date_out_of_range"),
            ('"07420012345","8123456760001X",1.0,1.0,1.0,"2020-06-01"', "reject:provisional_siret"),
            ('"07420012345","81234567600017",1.0,1.0,1.0,"2020-06-01","extra"', "reject:wrong_field_count"),
        ],
        end="\r\n",
    )

    out.add(
        "dgfip_liasses",
        "2024-07",
        "dgfip_liasses.csv",
        "|".join(dgfip_liasses.RAW_COLUMNS),
        [
            (
                "812345676|7401000|2023|2023-01-01|2023-12-31|2024-05-03|18500|42300|512000|201000|0|14|50000|238400|3.1|27.4|310200|12500|111700|185400|25600|64300|1684000|66900|121500|860000|52|61|1.82|6.9|98400|1.24",
                "ok",
            ),
            (
                "523109874|2001000|2021|2021-01-01|2021-12-31|2022-09-28|9200|15800|301000|118500|0|12|7500|-41200|0.4|-9.8|96400|3100|38600|58700|2200|1800|702000|187300|-43400|389000|38|97|0.21|-7.6|-31500|0.61",
                "ok",
            ),
            (
                "042112359|6901000|2023|2022-07-01|2023-06-30|2023-11-14|||48120000|19870000|0|1207|2000000|61430000|5.8|38.2|39800000|2100000|18300000|21400000|2200000|7350000|185600000|21900000|15200000|85400000|57|49|2.41|8.3|12800000|1.07",
                "ok",
            ),
            (dgfip(annee="2022", deb="2021-07-01", fin="2022-12-31", depot="2023-05-03"), "flags:non_12_month_year"),
            (dgfip(deb="2020-01-01", fin="2022-06-30", annee="2022"), "reject:invalid_interval"),
            (dgfip(deb="2023-12-31", fin="2023-12-31"), "reject:invalid_interval"),
            (dgfip(depot="2024-07-16"), "reject:date_out_of_range"),
            (dgfip(depot="2022-12-31"), "reject:invalid_interval"),
            (
                dgfip(annee="2022", depot="2023-12-01", mnt_af_ca="12a", rto_6="1,5", d_dvs_376_nbr_pers="14.0"),
                "flags:depot_before_year_end,inconsistent_annee_exercice,bad_mnt_af_ca",
            ),
            (dgfip(depot=""), "reject:missing_required_value"),
            (dgfip(siren="81234567"), "reject:invalid_siren_checksum"),
        ],
    )

    retro_header = ";".join(altares_paydex.RETRO_COLUMNS)
    out.add(
        "altares_paydex",
        "2024-06",
        ALTARES_RETRO,
        retro_header,
        [
            ("812345676; Actif; 070;15 jours; 15;12;164000;57;22;3; 15/01/2019", "ok"),
            ("523109874;Actif;040;60 jours;60;9;88200;31;81;40;15/06/2021", "ok"),
            ("523109874;Actif;040", "reject:wrong_field_count"),
            ("523109874;Actif;040;60 jours;60;9;88200;31;81;40;31/06/2021", "reject:invalid_date"),
        ],
        encoding="iso-8859-15",
    )
    out.add(
        "altares_paydex",
        "2024-06",
        ALTARES_INCREMENT,
        ";".join(altares_paydex.INCREMENT_COLUMNS),
        [
            (altares(), "ok"),
            (altares("887654325", "88765432500018", "045", "45", "72", "18", ref="SF000124"), "ok"),
            (altares("042112359", "04211235900015", "085", "0", "0", "0", ref="SF000125"), "ok"),
            (altares(code="095", fpi30="120", ref="SF000126"), "flags:bad_code_paydex,fpi_out_of_range"),
            (altares(siren="523109874", ref="SF000127"), "flags:siren_siret_mismatch"),
            (altares(siren="812345670", siret="", ref="SF000128"), "reject:invalid_siren_checksum"),
            (altares(date="2024-06-11", ref="SF000129"), "reject:date_out_of_range"),
            ("Fin du fichier : total 5 ligne(s)", "trailer"),
        ],
        encoding="iso-8859-15",
    )
    out.add(
        "altares_paydex",
        "2024-07",
        ALTARES_INCREMENT_JULY,
        ";".join(altares_paydex.INCREMENT_COLUMNS),
        [
            (altares(date="2024-06-30"), "ok"),
        ],
        encoding="utf-8",
    )  # UTF-8 where ISO-8859-15 is declared, and no trailer

    out.add(
        "sirene_unite_legale",
        "2024-06",
        "StockUniteLegale_utf8.csv",
        UNITE_LEGALE + ",activitePrincipaleNAF25UniteLegale,colonneInconnue",
        [
            (
                "812345676,O,,2009-04-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,MENUISERIE DU LAC,5499,16.23Z,NAFRev2,00017,O,16.23Z,x",  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                "523109874,O,,2011-09-01,,11,2021,2023-02-02T14:05:50,PME,2023-01-17,C,,BOULANGERIE PAULINE,5499,10.71C,NAFRev2,00017,N,,",  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                '390045128,O,,1983-03-01,,31,2022,2024-01-08T10:12:00,,2008-01-01,A,,"COMMUNE DE SAINT-EXEMPLE, MAIRIE",7210,84.11Z,NAFRev2,00019,O,,',  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                '042112359,O,true,1987-06-15,,42,2022,2024-04-02T08:00:11,GE,2019-03-01,A,,"LA ""BELLE""\nEPOQUE",5710,49.41A,NAFRev2,00015,O,,',  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                "887654325,O,,1990-01-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,INTERIM,5499,74.5B,NAFRev1,00018,O,,",
                "flags:naf_not_rev2",
            ),
            (
                "887654325,O,,1990-01-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,INTERIM,5499,04.11Z,NAFRev2,00018,O,,",
                "flags:bad_naf",
            ),
            (
                "887654325,O,,1990-01-01,,11,2022,2024-03-12,PME,2016-01-01,X,,INTERIM,54A9,78.20Z,NAFRev2,18,O,,",
                "flags:bad_date_dernier_traitement,unknown_code,bad_categorie_juridique,bad_nic_siege",
            ),
            (
                "887654326,O,,1990-01-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,INTERIM,5499,78.20Z,NAFRev2,00018,O,,",
                "reject:invalid_siren_checksum",
            ),
            (
                "552100554,O,,1990-01-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,ACME\x01 SA\x0bNORD,5499,78.20Z,NAFRev2,00018,O,,",  # noqa: E501 (a sample line, kept whole)
                "flags:control_characters",
            ),  # kept as delivered, flagged for the exports
            (
                '887654325,O,,1990-01-01,,11,2022,2024-03-12T09:41:27,PME,2016-01-01,A,,"INTERIM,5499,78.20Z,NAFRev2,00018,O,,',
                "reject:malformed_quotes",
            ),
        ],
    )

    geo = ETABLISSEMENT + ",x,y"
    out.add(
        "sirene_etablissement",
        "2024-06",
        "StockEtablissement_utf8_geo.csv",
        geo,
        [
            (
                "812345676,00017,81234567600017,O,2009-04-01,11,2022,2024-03-12T09:41:27,true,74000,ANNECY,74010,,2009-04-01,A,16.23Z,NAFRev2,O,6.1,45.9",
                "ok",
            ),
            (
                "523109874,00017,52310987400017,O,2011-09-01,11,2021,2023-02-02T14:05:50,true,20000,AJACCIO,2A004,,2023-01-17,F,10.71C,NAFRev2,N,,",
                "ok",
            ),
            (
                "042112359,00015,04211235900015,O,1987-06-15,42,2022,2024-04-02T08:00:11,true,69007,LYON 7EME,69387,,2019-03-01,A,49.41A,NAFRev2,O,,",  # noqa: E501 (a sample line, kept whole)
                "ok",
            ),
            (
                "887654325,00018,88765432500018,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,97400,SAINT-DENIS,97411,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "ok",
            ),
            (
                "887654325,00026,88765432500026,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,98714,PAPEETE,98735,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "ok",
            ),
            (
                "887654325,00034,88765432500034,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,20000,AJACCIO,20004,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "ok",
            ),
            (
                "887654325,00042,88765432500042,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,,BASTIA,20033,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "ok",
            ),
            (
                "887654325,00059,88765432500059,O,1990-01-01,11,2022,2024-03-12T09:41:27,oui,7400,ANNECY,7401,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "flags:bad_est_siege,bad_code_postal,bad_code_commune",
            ),
            (
                "887654325,00067,88765432500067,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,,,,99131,1990-01-01,F,78.20Z,NAFRev2,O,,",
                "ok",
            ),
            (
                "887654325,00018,88765432500026,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,74000,ANNECY,74010,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "reject:invalid_siret",
            ),
            (
                "88765432,00018,08876543200018,O,1990-01-01,11,2022,2024-03-12T09:41:27,false,74000,ANNECY,74010,,1990-01-01,A,78.20Z,NAFRev2,O,,",
                "reject:invalid_siren_checksum",
            ),
        ],
    )
    return out
