"""Static tables of the synthetic France: departments (with regional weights and a main commune),
NAF codes and the economics of their sections, legal categories, and the pieces of plausible firm,
person, street and commune names.

Weights are rough shares of private employment (thousands of jobs, order of magnitude only): the
point is a realistic mix (Ile-de-France large, Corsica and overseas present but small), not
statistics. The department -> region mapping must match `conf/reference/departement_region.csv`
(a test checks it); it is repeated here so that executors need no conf file.
"""

from __future__ import annotations

import numpy as np

# departement, region, weight, main commune (name, INSEE code, postal code)
DEPARTMENTS = [
    ("01", "84", 210, "BOURG-EN-BRESSE", "01053", "01000"), ("02", "32", 160, "LAON", "02408", "02000"),
    ("03", "84", 105, "MOULINS", "03190", "03000"), ("04", "93", 50, "DIGNE-LES-BAINS", "04070", "04000"),
    ("05", "93", 45, "GAP", "05061", "05000"), ("06", "93", 390, "NICE", "06088", "06000"),
    ("07", "84", 95, "PRIVAS", "07186", "07000"), ("08", "44", 80, "CHARLEVILLE-MÉZIÈRES", "08105", "08000"),
    ("09", "76", 40, "FOIX", "09122", "09000"), ("10", "44", 100, "TROYES", "10387", "10000"),
    ("11", "76", 100, "CARCASSONNE", "11069", "11000"), ("12", "76", 90, "RODEZ", "12202", "12000"),
    ("13", "93", 720, "MARSEILLE", "13201", "13001"), ("14", "28", 230, "CAEN", "14118", "14000"),
    ("15", "84", 45, "AURILLAC", "15014", "15000"), ("16", "75", 105, "ANGOULÊME", "16015", "16000"),
    ("17", "75", 190, "LA ROCHELLE", "17300", "17000"), ("18", "24", 90, "BOURGES", "18033", "18000"),
    ("19", "75", 70, "TULLE", "19272", "19000"), ("21", "27", 190, "DIJON", "21231", "21000"),
    ("22", "53", 180, "SAINT-BRIEUC", "22278", "22000"), ("23", "75", 30, "GUÉRET", "23096", "23000"),
    ("24", "75", 115, "PÉRIGUEUX", "24322", "24000"), ("25", "27", 190, "BESANÇON", "25056", "25000"),
    ("26", "84", 170, "VALENCE", "26362", "26000"), ("27", "28", 170, "ÉVREUX", "27229", "27000"),
    ("28", "24", 130, "CHARTRES", "28085", "28000"), ("29", "53", 290, "QUIMPER", "29232", "29000"),
    ("2A", "94", 45, "AJACCIO", "2A004", "20000"), ("2B", "94", 50, "BASTIA", "2B033", "20200"),
    ("30", "76", 230, "NÎMES", "30189", "30000"), ("31", "76", 560, "TOULOUSE", "31555", "31000"),
    ("32", "76", 55, "AUCH", "32013", "32000"), ("33", "75", 620, "BORDEAUX", "33063", "33000"),
    ("34", "76", 400, "MONTPELLIER", "34172", "34000"), ("35", "53", 420, "RENNES", "35238", "35000"),
    ("36", "24", 65, "CHÂTEAUROUX", "36044", "36000"), ("37", "24", 200, "TOURS", "37261", "37000"),
    ("38", "84", 460, "GRENOBLE", "38185", "38000"), ("39", "27", 80, "LONS-LE-SAUNIER", "39300", "39000"),
    ("40", "75", 125, "MONT-DE-MARSAN", "40192", "40000"), ("41", "24", 100, "BLOIS", "41018", "41000"),
    ("42", "84", 250, "SAINT-ÉTIENNE", "42218", "42000"), ("43", "84", 65, "LE PUY-EN-VELAY", "43157", "43000"),
    ("44", "52", 560, "NANTES", "44109", "44000"), ("45", "24", 240, "ORLÉANS", "45234", "45000"),
    ("46", "76", 50, "CAHORS", "46042", "46000"), ("47", "75", 95, "AGEN", "47001", "47000"),
    ("48", "76", 20, "MENDE", "48095", "48000"), ("49", "52", 270, "ANGERS", "49007", "49000"),
    ("50", "28", 155, "SAINT-LÔ", "50502", "50000"), ("51", "44", 200, "CHÂLONS-EN-CHAMPAGNE", "51108", "51000"),
    ("52", "44", 50, "CHAUMONT", "52121", "52000"), ("53", "52", 105, "LAVAL", "53130", "53000"),
    ("54", "44", 220, "NANCY", "54395", "54000"), ("55", "44", 50, "BAR-LE-DUC", "55029", "55000"),
    ("56", "53", 230, "VANNES", "56260", "56000"), ("57", "44", 310, "METZ", "57463", "57000"),
    ("58", "27", 60, "NEVERS", "58194", "58000"), ("59", "32", 900, "LILLE", "59350", "59000"),
    ("60", "32", 240, "BEAUVAIS", "60057", "60000"), ("61", "28", 85, "ALENÇON", "61001", "61000"),
    ("62", "32", 430, "ARRAS", "62041", "62000"), ("63", "84", 230, "CLERMONT-FERRAND", "63113", "63000"),
    ("64", "75", 230, "PAU", "64445", "64000"), ("65", "76", 70, "TARBES", "65440", "65000"),
    ("66", "76", 130, "PERPIGNAN", "66136", "66000"), ("67", "44", 420, "STRASBOURG", "67482", "67000"),
    ("68", "44", 250, "COLMAR", "68066", "68000"), ("69", "84", 820, "LYON", "69381", "69001"),
    ("70", "27", 65, "VESOUL", "70550", "70000"), ("71", "27", 175, "MÂCON", "71270", "71000"),
    ("72", "52", 180, "LE MANS", "72181", "72000"), ("73", "84", 150, "CHAMBÉRY", "73065", "73000"),
    ("74", "84", 270, "ANNECY", "74010", "74000"), ("75", "11", 1800, "PARIS", "75101", "75001"),
    ("76", "28", 420, "ROUEN", "76540", "76000"), ("77", "11", 420, "MELUN", "77288", "77000"),
    ("78", "11", 520, "VERSAILLES", "78646", "78000"), ("79", "75", 120, "NIORT", "79191", "79000"),
    ("80", "32", 180, "AMIENS", "80021", "80000"), ("81", "76", 110, "ALBI", "81004", "81000"),
    ("82", "76", 70, "MONTAUBAN", "82121", "82000"), ("83", "93", 330, "TOULON", "83137", "83000"),
    ("84", "93", 190, "AVIGNON", "84007", "84000"), ("85", "52", 230, "LA ROCHE-SUR-YON", "85191", "85000"),
    ("86", "75", 140, "POITIERS", "86194", "86000"), ("87", "75", 120, "LIMOGES", "87085", "87000"),
    ("88", "44", 115, "ÉPINAL", "88160", "88000"), ("89", "27", 100, "AUXERRE", "89024", "89000"),
    ("90", "27", 45, "BELFORT", "90010", "90000"), ("91", "11", 430, "ÉVRY-COURCOURONNES", "91228", "91000"),
    ("92", "11", 1050, "NANTERRE", "92050", "92000"), ("93", "11", 520, "BOBIGNY", "93008", "93000"),
    ("94", "11", 470, "CRÉTEIL", "94028", "94000"), ("95", "11", 380, "CERGY", "95127", "95000"),
    ("971", "01", 80, "BASSE-TERRE", "97105", "97100"), ("972", "02", 75, "FORT-DE-FRANCE", "97209", "97200"),
    ("973", "03", 40, "CAYENNE", "97302", "97300"), ("974", "04", 170, "SAINT-DENIS", "97411", "97400"),
    ("976", "06", 20, "MAMOUDZOU", "97611", "97600"), ("975", "00", 1, "SAINT-PIERRE", "97502", "97500"),
    ("977", "00", 2, "SAINT-BARTHÉLEMY", "97701", "97133"), ("978", "00", 4, "SAINT-MARTIN", "97801", "97150"),
    ("986", "00", 1, "MATA-UTU", "98613", "98600"), ("987", "00", 2, "PAPEETE", "98735", "98714"),
    ("988", "00", 2, "NOUMÉA", "98818", "98800"),
]

# Cities written with one commune code per arrondissement in SIRENE: (first code, count, first postal code).
ARRONDISSEMENTS = {"75": (75101, 20, 75001), "69": (69381, 9, 69001), "13": (13201, 16, 13001)}

# Section economics: monthly gross wage (EUR), wages / turnover, value added / turnover, relative risk
# of deteriorating, sensitivity to the health-crisis shock and to the energy shock, holds stocks.
SECTIONS = {
    "A": (2100, 0.25, 0.35, 0.9, 0.2, 0.4, True), "B": (3000, 0.25, 0.40, 0.9, 0.2, 0.8, True),
    "C": (2900, 0.22, 0.30, 1.0, 0.5, 1.0, True), "D": (3900, 0.12, 0.30, 0.5, 0.1, 0.5, False),
    "E": (2800, 0.25, 0.40, 0.7, 0.2, 0.5, False), "F": (2500, 0.30, 0.38, 1.35, 0.5, 0.3, True),
    "G": (2400, 0.10, 0.18, 1.1, 0.6, 0.3, True), "H": (2600, 0.32, 0.40, 1.15, 0.6, 0.8, False),
    "I": (1950, 0.33, 0.50, 1.5, 1.0, 0.5, True), "J": (3900, 0.40, 0.55, 0.9, 0.2, 0.1, False),
    "K": (4200, 0.30, 0.60, 0.6, 0.1, 0.1, False), "L": (2700, 0.20, 0.55, 0.8, 0.2, 0.1, False),
    "M": (3600, 0.42, 0.58, 0.85, 0.3, 0.1, False), "N": (2200, 0.60, 0.70, 1.15, 0.6, 0.1, False),
    "O": (2700, 0.55, 0.65, 0.0, 0.0, 0.0, False), "P": (2500, 0.55, 0.70, 0.8, 0.4, 0.1, False),
    "Q": (2300, 0.55, 0.68, 0.6, 0.2, 0.2, False), "R": (2300, 0.40, 0.55, 1.3, 1.0, 0.2, False),
    "S": (2100, 0.45, 0.60, 1.1, 0.8, 0.1, False), "U": (3500, 0.50, 0.60, 0.0, 0.0, 0.0, False),
}
SECTION_NAMES = list(SECTIONS)

# NAF rev. 2 codes of private firms and their weights.
PRIVATE_NAF = [
    ("01.11Z", 0.3), ("01.21Z", 0.3), ("01.41Z", 0.2), ("02.20Z", 0.1), ("08.12Z", 0.2),
    ("10.71C", 1.5), ("10.13A", 0.5), ("10.51A", 0.3), ("11.02B", 0.3), ("13.92Z", 0.2), ("16.10A", 0.3),
    ("16.23Z", 0.5), ("18.12Z", 0.4), ("20.59Z", 0.3), ("22.22Z", 0.4), ("23.61Z", 0.3), ("25.11Z", 0.5),
    ("25.62B", 0.7), ("28.29B", 0.5), ("29.32Z", 0.4), ("31.09B", 0.3), ("33.12Z", 0.6), ("10.89Z", 0.3),
    ("27.12Z", 0.3), ("26.51B", 0.3), ("35.14Z", 0.2), ("38.11Z", 0.4), ("37.00Z", 0.2),
    ("41.20A", 1.0), ("41.20B", 0.6), ("43.21A", 1.8), ("43.22A", 1.5), ("43.32A", 1.0), ("43.91B", 0.5),
    ("43.99C", 0.8), ("42.11Z", 0.4), ("43.12A", 0.6), ("43.34Z", 0.7), ("43.31Z", 0.4),
    ("45.11Z", 1.0), ("45.20A", 1.0), ("46.69B", 0.6), ("46.90Z", 0.8), ("46.73A", 0.6), ("47.11B", 0.6),
    ("47.11D", 1.2), ("47.19B", 0.5), ("47.24Z", 0.2), ("47.71Z", 0.6), ("47.73Z", 0.5), ("47.30Z", 0.3),
    ("46.31Z", 0.5), ("46.49Z", 0.6), ("47.52A", 0.4), ("46.69A", 0.3),
    ("49.41A", 2.0), ("49.41B", 0.6), ("49.32Z", 0.3), ("52.29A", 0.5), ("53.20Z", 0.3), ("49.31Z", 0.3),
    ("52.10B", 0.5), ("55.10Z", 1.0), ("56.10A", 2.2), ("56.10C", 0.8), ("56.30Z", 0.4), ("56.21Z", 0.3),
    ("62.01Z", 1.2), ("62.02A", 0.8), ("58.14Z", 0.2), ("63.11Z", 0.3), ("61.10Z", 0.2),
    ("64.20Z", 0.8), ("66.22Z", 0.3), ("64.19Z", 0.15), ("65.12Z", 0.1),
    ("68.20B", 0.3), ("68.31Z", 0.5), ("68.32A", 0.4),
    ("69.10Z", 0.5), ("69.20Z", 1.0), ("70.22Z", 0.8), ("71.12B", 1.0), ("73.11Z", 0.4), ("74.10Z", 0.2),
    ("75.00Z", 0.2), ("71.20B", 0.3), ("78.20Z", 1.2), ("81.21Z", 1.5), ("80.10Z", 0.8), ("82.11Z", 0.2),
    ("77.11A", 0.3), ("78.10Z", 0.2), ("81.30Z", 0.5), ("85.59A", 0.6), ("85.53Z", 0.3), ("85.31Z", 0.2),
    ("86.10Z", 0.5), ("87.10A", 1.0), ("88.10A", 0.8), ("86.23Z", 0.3), ("86.90A", 0.3), ("87.30A", 0.5),
    ("88.91A", 0.5), ("93.12Z", 0.3), ("90.01Z", 0.2), ("93.29Z", 0.2), ("91.02Z", 0.1),
    ("96.02A", 0.6), ("95.11Z", 0.1), ("94.99Z", 0.8), ("94.11Z", 0.15), ("96.01B", 0.2), ("99.00Z", 0.01),
]
TEMP_WORK_NAF = "78.20Z"

# Legal categories of private firms and their weights (1000: sole trader, 9220: association).
PRIVATE_CATEGORIES = [
    ("5499", 0.34), ("5710", 0.33), ("5720", 0.06), ("5599", 0.05), ("5498", 0.03), ("1000", 0.04),
    ("9220", 0.08), ("5202", 0.01), ("5485", 0.01), ("6540", 0.005),
]
# Public or otherwise excluded units (SOURCES.md 13.1): legal category, NAF, weight, name stem.
PUBLIC_UNITS = [
    ("7210", "84.11Z", 0.8, "COMMUNE DE"), ("7220", "84.11Z", 0.04, "DÉPARTEMENT"),
    ("4110", "38.11Z", 0.08, "RÉGIE DES EAUX DE"), ("4120", "84.12Z", 0.03, "OFFICE PUBLIC DE"),
    ("4140", "84.13Z", 0.02, "ÉTABLISSEMENT PUBLIC DE"), ("4160", "91.02Z", 0.03, "MUSÉE DE"),
    ("7346", "84.11Z", 0.02, "ASSOCIATION SYNDICALE DE"), ("7348", "84.11Z", 0.02, "ASSOCIATION FONCIÈRE DE"),
    ("7366", "84.11Z", 0.05, "SYNDICAT MIXTE DE"), ("7383", "84.11Z", 0.04, "COMMUNAUTÉ DE COMMUNES DE"),
    ("7389", "84.11Z", 0.02, "SIVOM DE"), ("7373", "81.30Z", 0.01, "GROUPEMENT D'INTÉRÊT PUBLIC DE"),
    ("7379", "84.11Z", 0.01, "GROUPEMENT DE"), ("7410", "85.31Z", 0.08, "LYCÉE DE"),
    ("7430", "85.42Z", 0.01, "INSTITUT NATIONAL DE"), ("7490", "85.59A", 0.01, "CENTRE DE FORMATION DE"),
    ("7470", "86.10Z", 0.03, "CENTRE HOSPITALIER DE"),
]
PUBLIC_SHARE = 0.025

# Old nomenclature codes (NAF rev. 1) written for a few units (SOURCES.md 14 #28).
NAF_REV1_CODES = ["52.1A", "45.2B", "74.1G", "55.3A", "28.5D", "60.2M", "51.4C", "70.3C"]

ACTIVITY_WORDS = {
    "A": ["VIGNOBLES", "GAEC", "PÉPINIÈRES", "ÉLEVAGE", "DOMAINE"],
    "B": ["CARRIÈRES", "SABLIÈRES"],
    "C": ["ATELIERS", "MÉCANIQUE", "MENUISERIE", "IMPRIMERIE", "FONDERIE", "USINAGE", "PLASTURGIE",
          "CHAUDRONNERIE", "BOULANGERIE", "CONSERVERIE"],
    "D": ["ÉNERGIES", "HYDROÉLECTRICITÉ"],
    "E": ["ENVIRONNEMENT", "RECYCLAGE", "ASSAINISSEMENT"],
    "F": ["BÂTIMENT", "CONSTRUCTIONS", "ÉLECTRICITÉ", "PLOMBERIE", "MAÇONNERIE", "CHARPENTE", "PEINTURE",
          "TERRASSEMENTS", "COUVERTURE"],
    "G": ["GARAGE", "DISTRIBUTION", "COMMERCE", "NÉGOCE", "MAGASINS", "PHARMACIE", "AUTOMOBILES", "BOUTIQUE"],
    "H": ["TRANSPORTS", "LOGISTIQUE", "TAXIS", "MESSAGERIE", "AMBULANCES"],
    "I": ["HÔTEL", "RESTAURANT", "BRASSERIE", "CAFÉ", "AUBERGE", "TRAITEUR"],
    "J": ["INFORMATIQUE", "DIGITAL", "LOGICIELS", "MÉDIAS", "ÉDITIONS"],
    "K": ["FINANCE", "HOLDING", "CRÉDIT", "ASSURANCES", "PATRIMOINE"],
    "L": ["IMMOBILIER", "AGENCE IMMOBILIÈRE", "FONCIÈRE", "GESTION"],
    "M": ["CABINET", "CONSEIL", "EXPERTISE", "INGÉNIERIE", "ARCHITECTES", "ÉTUDES"],
    "N": ["NETTOYAGE", "SÉCURITÉ", "INTÉRIM", "SERVICES", "LOCATION", "PROPRETÉ"],
    "O": ["SERVICES PUBLICS"],
    "P": ["ÉCOLE", "FORMATION", "AUTO-ÉCOLE", "INSTITUT"],
    "Q": ["CLINIQUE", "RÉSIDENCE", "SOINS", "SANTÉ", "LABORATOIRE"],
    "R": ["LOISIRS", "SPECTACLES", "SPORTS", "CLUB"],
    "S": ["COIFFURE", "PRESSING", "RÉPARATIONS", "BEAUTÉ"],
    "U": ["REPRÉSENTATION"],
}
PLACES = ["DU LAC", "DES ALPES", "DE L'OUEST", "DU CENTRE", "DU CHÂTEAU", "DE LA FORÊT", "DES PRÉS", "DU MIDI",
          "DE L'ATLANTIQUE", "MÉDITERRANÉE", "DU NORD", "DE PROVENCE", "DE BRETAGNE", "DES VOSGES", "DU RHÔNE",
          "DE LA VALLÉE", "DU PORT", "DE LA GARE", "DES COTEAUX", "DU PLATEAU", "DE L'ESTUAIRE", "DES ÎLES"]
SURNAMES = ["MARTIN", "BERNARD", "DUBOIS", "THOMAS", "ROBERT", "RICHARD", "PETIT", "DURAND", "LEROY", "MOREAU",
            "SIMON", "LAURENT", "LEFÈVRE", "MICHEL", "GARCIA", "DAVID", "BERTRAND", "ROUX", "VINCENT", "FOURNIER",
            "MOREL", "GIRARD", "ANDRÉ", "MERCIER", "DUPONT", "LAMBERT", "BONNET", "FRANÇOIS", "MARTINEZ",
            "LEGRAND", "GARNIER", "FAURE", "ROUSSEAU", "BLANC", "GUÉRIN", "MULLER", "HENRY", "ROUSSEL", "PERRIN",
            "MORIN", "MATHIEU", "CLÉMENT", "GAUTHIER", "DUMONT", "LOPEZ", "FONTAINE", "CHEVALIER", "ROBIN",
            "MASSON", "VERNAY", "LE GALL", "KERGUELEN", "ETCHEVERRY", "CASANOVA", "N'DIAYE", "NGUYEN",
            "DA SILVA", "BENOÎT", "PÉRON", "HÉBERT", "LEBŒUF", "D'ALMEIDA"]
FIRST_NAMES = ["JEAN", "MARIE", "PIERRE", "NATHALIE", "PHILIPPE", "ISABELLE", "MICHEL", "SYLVIE", "ALAIN",
               "CATHERINE", "NICOLAS", "SANDRINE", "CHRISTOPHE", "VÉRONIQUE", "STÉPHANE", "CÉLINE", "FRÉDÉRIC",
               "HÉLÈNE", "JÉRÔME", "AURÉLIE", "FRANÇOIS", "ANAÏS", "THIBAULT", "MÉLANIE", "KARIM", "FATIMA",
               "YANN", "LÉA"]
SUFFIXES = ["ET FILS", "SERVICES", "ET ASSOCIÉS", "GROUPE", "FRANCE", "INDUSTRIE", "ET CIE"]
STREETS = ["RUE DES ACACIAS", "AVENUE DE GENÈVE", "RUE DE LA RÉPUBLIQUE", "BOULEVARD GAMBETTA",
           "RUE VICTOR HUGO", "CHEMIN DES VIGNES", "RUE DU GÉNÉRAL DE GAULLE", "AVENUE JEAN JAURÈS",
           "RUE PASTEUR", "PLACE DE L'ÉGLISE", "ROUTE DE LYON", "RUE DES ÉCOLES", "ALLÉE DES TILLEULS",
           "RUE DU MOULIN", "IMPASSE DES LILAS", "ZONE ARTISANALE DES GLAISINS", "QUAI DE LA LOIRE"]
COMMUNE_STEMS = ["SAINT-MARTIN", "SAINT-JEAN", "SAINTE-MARIE", "VILLENEUVE", "BEAUMONT", "MONTFORT",
                 "CHÂTEAUNEUF", "NEUVILLE", "FONTAINE", "BELLEVUE", "LA CHAPELLE", "LE PLESSIS", "MONTIGNY",
                 "SAINT-ÉTIENNE", "BOIS-COLOMBE", "LES ESSARTS", "VALENCE-D'ALBIGEOIS", "ÉCULLY", "BRIVE"]
COMMUNE_TAILS = ["", "", "-SUR-MER", "-SUR-LOIRE", "-LÈS-BAINS", "-EN-VALLÉE", "-LE-CHÂTEAU", "-DU-LAC"]
FOREIGN_COUNTRIES = ["99109", "99131", "99127", "99134", "99139", "99140", "99404"]  # DE, BE, IT, ES, PT, CH, US


def naf_section(code: str) -> str:
    """Section letter of a NAF rev. 2 code (SOURCES.md 12.2)."""
    division = int(code[:2])
    bounds = [(3, "A"), (9, "B"), (33, "C"), (35, "D"), (39, "E"), (43, "F"), (47, "G"), (53, "H"), (56, "I"),
              (63, "J"), (66, "K"), (68, "L"), (75, "M"), (82, "N"), (84, "O"), (85, "P"), (88, "Q"), (93, "R"),
              (96, "S"), (98, "T"), (99, "U")]
    for last, section in bounds:
        if division <= last:
            return section
    raise ValueError(code)


# NAF codes excluded from the perimeter (SOURCES.md 13.1 rule 3) and excluded legal categories (rule 2).
EXCLUDED_NAF = {
    "84.11Z", "84.12Z", "84.13Z", "84.21Z", "84.22Z", "84.23Z", "84.24Z", "84.25Z", "84.30A", "84.30B", "84.30C",
    "85.10Z", "85.20Z", "85.31Z", "85.32Z", "85.41Z", "85.42Z", "94.11Z", "94.12Z", "94.20Z", "94.91Z", "94.92Z",
    "64.11Z", "64.19Z", "64.30Z", "64.91Z", "64.92Z", "64.99Z", "65.11Z", "65.12Z", "65.20Z", "65.30Z", "66.11Z",
    "66.12Z", "66.19A", "66.19B", "66.21Z", "66.22Z", "66.29Z", "66.30Z", "99.00Z",
}
EXCLUDED_CATEGORIES = {"4110", "4120", "4140", "4160", "7210", "7220", "7346", "7348", "7366", "7383", "7389",
                       "7373", "7379", "7410", "7430", "7490", "7470"}

# All NAF codes the generator may write, with their attributes as arrays indexed by NAF number.
NAF_CODES = [code for code, _ in PRIVATE_NAF] + sorted({naf for _, naf, _, _ in PUBLIC_UNITS} - {c for c, _ in PRIVATE_NAF})
NAF_INDEX = {code: i for i, code in enumerate(NAF_CODES)}
NAF_SECTION = np.array([SECTION_NAMES.index(naf_section(c)) for c in NAF_CODES])
NAF_EXCLUDED = np.array([c in EXCLUDED_NAF for c in NAF_CODES])
PRIVATE_NAF_INDEX = np.array([NAF_INDEX[c] for c, _ in PRIVATE_NAF])
PRIVATE_NAF_WEIGHT = np.array([w for _, w in PRIVATE_NAF])

CATEGORY_CODES = [c for c, _ in PRIVATE_CATEGORIES] + [c for c, _, _, _ in PUBLIC_UNITS]
CATEGORY_EXCLUDED = np.array([c in EXCLUDED_CATEGORIES for c in CATEGORY_CODES])


def section_array(position: int) -> np.ndarray:
    """One attribute of SECTIONS as an array indexed by section number."""
    return np.array([float(SECTIONS[s][position]) for s in SECTION_NAMES])


DEPT_CODES = [d[0] for d in DEPARTMENTS]
DEPT_REGION = [d[1] for d in DEPARTMENTS]
DEPT_WEIGHT = np.array([float(d[2]) for d in DEPARTMENTS])

# URSSAF managing each region's accounts (3-digit code written in URSSAF files, not used downstream).
URSSAF_CODE = {"11": "117", "24": "247", "27": "217", "28": "287", "32": "317", "44": "447", "52": "527",
               "53": "537", "75": "757", "76": "767", "84": "827", "93": "937", "94": "942", "01": "971",
               "02": "972", "03": "973", "04": "974", "06": "976", "00": "975"}
