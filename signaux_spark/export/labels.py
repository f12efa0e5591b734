"""French wording of the exports: topics, features, legal forms, and number formatting.

Feature names follow the convention `<base>[_lag<n>m | _mean<n>m | _diff<n>m | _missing]`: the
label is the base's label followed by the window's. A base without a label is shown by its name.
"""

from __future__ import annotations

import math
import re

TOPICS = {
    "dettes_sociales": "dettes sociales",
    "sante_financiere": "santé financière",
    "activite_partielle": "activité partielle",
    "effectif": "effectif",
    "retards_paiement": "retards de paiement",
    "contexte": "secteur et contexte",
    "autre": "autres",
}

# base -> (label, unit shown after a value: "€", "%", "jours", "mois", "heures" or "")
BASES = {
    "dette_sociale": ("dette sociale", "€"),
    "dette_ouvriere": ("dette sociale, part ouvrière", "€"),
    "dette_patronale": ("dette sociale, part patronale", "€"),
    "cotisation": ("cotisations dues", "€"),
    "cotisation_negative": ("cotisations négatives", ""),
    "dette_sur_cotisation_3m": ("dette / cotisations sur 3 mois", ""),
    "dette_sur_cotisation_6m": ("dette / cotisations sur 6 mois", ""),
    "dette_sur_cotisation_12m": ("dette / cotisations sur 12 mois", ""),
    "dette_par_effectif": ("dette sociale par salarié", "€"),
    "delai_en_cours": ("délai de paiement Urssaf en cours", ""),
    "delai_montant": ("montant du délai de paiement Urssaf", "€"),
    "delai_jours_restants": ("jours restants du délai de paiement Urssaf", "jours"),
    "dette_nette_sur_caf": ("dette nette / capacité d'autofinancement", ""),
    "dette_a_terme_sur_k_propres": ("dette à terme / capitaux propres", ""),
    "ebe_sur_ca": ("EBE / chiffre d'affaires", ""),
    "va_sur_effectif": ("valeur ajoutée par salarié", "€"),
    "charges_personnel_sur_va": ("charges de personnel / valeur ajoutée", ""),
    "stocks_sur_ca": ("stocks / chiffre d'affaires", ""),
    "liquidite_absolue": ("liquidité absolue", ""),
    "liquidite_generale": ("liquidité générale", ""),
    "liquidite_reduite": ("liquidité réduite", ""),
    "delai_paiement_sur_delai_encaissement": ("délai fournisseurs / délai clients", ""),
    "k_propres_sur_k_social": ("capitaux propres / capital social", ""),
    "bfr_sur_k_propres": ("BFR / capitaux propres", ""),
    "taux_investissement": ("taux d'investissement", "%"),
    "rentabilite_economique": ("rentabilité économique", "%"),
    "solidite_financiere": ("solidité financière", "%"),
    "liasse_age": ("ancienneté de la dernière liasse fiscale", "mois"),
    "ap_heures_autorisees": ("activité partielle, heures autorisées", "heures"),
    "ap_part_etp_autorises": ("activité partielle, part des ETP autorisés", ""),
    "ap_heures_consommees": ("activité partielle, heures consommées", "heures"),
    "effectif": ("effectif", "salariés"),
    "effectif_age": ("ancienneté du dernier effectif connu", "mois"),
    "paydex": ("retard de paiement fournisseurs (paydex)", "jours"),
    "paydex_age": ("ancienneté du paydex", "mois"),
    "fpi_30": ("part des factures payées à plus de 30 jours", "%"),
    "fpi_90": ("part des factures payées à plus de 90 jours", "%"),
    "naf_section": ("secteur d'activité", ""),
    "region": ("région", ""),
    "age_entreprise": ("âge de l'entreprise", "mois"),
    "secteur_part_dette_hausse": ("part du secteur dont la dette augmente", ""),
    "region_part_dette_hausse": ("part de la région dont la dette augmente", ""),
    "secteur_part_procedure": ("part du secteur en procédure collective", ""),
    "secteur_part_activite_partielle": ("part du secteur en activité partielle", ""),
}
WINDOWS = {"lag": "il y a {n} mois", "mean": "moyenne sur {n} mois", "diff": "variation sur {n} mois"}

# The most frequent legal categories (INSEE level III), then the level I family of any other code.
LEGAL_FORMS = {
    "1000": "entrepreneur individuel",
    "5202": "société en nom collectif",
    "5485": "société d'exercice libéral à responsabilité limitée",
    "5498": "SARL unipersonnelle",
    "5499": "société à responsabilité limitée (SARL)",
    "5599": "SA à conseil d'administration",
    "5699": "SA à directoire",
    "5710": "société par actions simplifiée (SAS)",
    "5720": "SAS à associé unique",
    "6540": "société civile immobilière",
    "9220": "association déclarée",
}
LEGAL_FAMILIES = {
    "1": "entrepreneur individuel",
    "2": "groupement de droit privé sans personnalité morale",
    "3": "personne morale de droit étranger",
    "4": "personne morale de droit public soumise au droit commercial",
    "5": "société commerciale",
    "6": "autre personne morale immatriculée au RCS",
    "7": "personne morale de droit administratif",
    "8": "organisme privé spécialisé",
    "9": "groupement de droit privé",
}


def topic_label(topic: str) -> str:
    return TOPICS.get(topic, topic.replace("_", " "))


def feature_label(name: str) -> str:
    """`dette_sociale_mean3m` -> "dette sociale (moyenne sur 3 mois)"."""
    if name.endswith("_missing"):
        return f"{feature_label(name.removesuffix('_missing'))} non renseigné"
    match = re.fullmatch(r"(.+)_(lag|mean|diff)(\d+)m", name)
    if match and match.group(1) in BASES:
        base, window, n = match.groups()
        return f"{BASES[base][0]} ({WINDOWS[window].format(n=n)})"
    return BASES.get(name, (name, ""))[0]


def feature_unit(name: str) -> str:
    """The unit of a feature's value ("" for ratios and flags); a variation keeps its base's unit."""
    if name.endswith("_missing"):
        return ""
    match = re.fullmatch(r"(.+)_(lag|mean|diff)(\d+)m", name)
    base = match.group(1) if match and match.group(1) in BASES else name
    return BASES.get(base, ("", ""))[1]


def legal_form(code: str | None) -> str | None:
    """ "5710 - société par actions simplifiée (SAS)"; the family for other codes."""
    if not code:
        return None
    label = LEGAL_FORMS.get(code) or LEGAL_FAMILIES.get(code[:1])
    return f"{code} - {label}" if label else code


def number(value: float | None, decimals: int | None = None) -> str:
    """French formatting: `12 500`, `0,35`, `-1,2`; "" for a missing value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if decimals is None:
        decimals = 0 if abs(value) >= 100 or float(value).is_integer() else 2
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def signed(value: float) -> str:
    """A log-odds contribution with its sign: `+0,85`."""
    return ("+" if value >= 0 else "") + number(value, 2)
