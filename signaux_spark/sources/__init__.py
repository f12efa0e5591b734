"""One module per source of SOURCES.md: raw layout, bronze schema, parsing and validation."""

SOURCES = [
    "urssaf_cotisation",
    "urssaf_debit",
    "urssaf_effectif_ent",
    "urssaf_delai",
    "urssaf_procol",
    "ap_demande",
    "ap_consommation",
    "dgfip_liasses",
    "altares_paydex",
    "sirene_unite_legale",
    "sirene_etablissement",
]
