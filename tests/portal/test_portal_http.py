"""The portal served by a real uvicorn on 127.0.0.1: sign-in, refusals, throttling, CSRF, region
isolation against every URL trick, downloads identical to the published files, the audit log."""

from __future__ import annotations

import hashlib
import http.client
import json
import re
import subprocess
import sys
from urllib.parse import urlparse

import pytest

from signaux_spark.config import PROJECT_ROOT
from signaux_spark.export.published import PUBLICATIONS
from signaux_spark.portal.store import (
    DOWNLOAD,
    FEEDBACK,
    SIGN_IN,
    SIGN_IN_FAILED,
    SIGN_IN_THROTTLED,
    Store,
    default_url,
)
from tests.portal.portal_kit import OTHER_REGION_SIREN, PASSWORD, csrf_of, served, sign_in, write_month

USERS = {
    "a84@region.fr": "84",
    "b84@region.fr": "84",
    "a11@region.fr": "11",
    "nat@national.fr": "national",
    "gone@region.fr": "84",
    "throttled@region.fr": "84",
}


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    root = tmp_path_factory.mktemp("portal")
    exports = root / "exports"
    plain = write_month(exports, "2020-02", linked=False)
    linked = write_month(exports, "2020-03", linked=True)
    write_month(exports / "elsewhere", "2020-03", linked=False)  # a folder that is no month
    (exports / PUBLICATIONS / "2020-04" / "halfwritten" / "84").mkdir(parents=True)  # never linked: not published
    store = Store(default_url(str(root)))
    for email, region in USERS.items():
        store.add_user(email, region, PASSWORD)
    store.set_active("gone@region.fr", False)
    with served(root, "portal.max_failures=3") as url:
        yield {"url": url, "root": root, "store": store, "plain": plain, "linked": linked}
    store.close()


@pytest.fixture(scope="module")
def region84(portal):
    client, response = sign_in(portal["url"], "a84@region.fr")
    assert response.status_code == 303 and response.headers["location"] == "/mois"
    yield client
    client.close()


def raw_get(url: str, path: str, cookies: dict[str, str]) -> tuple[int, str]:
    """GET `path` sent byte for byte (no client-side normalisation of `..` or `%2F`)."""
    parsed = urlparse(url)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    connection.putrequest("GET", path, skip_accept_encoding=True)
    connection.putheader("Cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()))
    connection.endheaders()
    response = connection.getresponse()
    body = response.read().decode("utf-8", "replace")
    connection.close()
    return response.status, body


def test_a_region_signs_in_and_sees_its_months_and_list(portal, region84):
    months = region84.get("/mois")
    assert months.status_code == 200
    assert "/mois/2020-03/84" in months.text and "/mois/2020-02/84" in months.text and "2020-04" not in months.text
    page = region84.get("/mois/2020-03/84")
    assert page.status_code == 200 and 'lang="fr"' in page.text
    assert "000000101" in page.text and "000000102" in page.text and OTHER_REGION_SIREN not in page.text
    assert "Alertes par secteur" in page.text  # the HTML summary's content
    for suffix in ("xlsx", "csv", "json"):
        assert f"/mois/2020-03/84/fichiers/signaux_faibles_84_2020-03.{suffix}" in page.text
    headers = page.headers
    policy = headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy and "script-src" not in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
    assert "server" not in headers  # no software banner
    assert "<script" not in page.text


def test_the_session_cookie_is_signed_httponly_samesite_and_expires(portal):
    _, response = sign_in(portal["url"], "b84@region.fr")
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith("portal_session="))
    attributes = cookie.lower()
    assert "httponly" in attributes and "samesite=strict" in attributes and "max-age=28800" in attributes
    forged = cookie.split(";")[0].split("=", 1)[1][:-2] + "xx"
    status, _ = raw_get(portal["url"], "/mois/2020-03/84", {"portal_session": forged})
    assert status == 303  # a forged cookie is no session: back to the sign-in page


def test_a_wrong_password_an_unknown_address_and_a_disabled_account_are_refused(portal):
    for email, password in [
        ("a84@region.fr", "wrong password here"),
        ("nobody@region.fr", PASSWORD),
        ("gone@region.fr", PASSWORD),
    ]:
        client, response = sign_in(portal["url"], email, password)
        assert response.status_code == 401 and "Adresse ou mot de passe incorrect" in response.text
        assert "portal_session" not in client.cookies
        assert client.get("/mois/2020-03/84").status_code == 303
    failed = [r["email"] for r in portal["store"].audit_rows(SIGN_IN_FAILED)]
    assert {"a84@region.fr", "nobody@region.fr", "gone@region.fr"} <= set(failed)


def test_sign_ins_are_throttled_after_repeated_failures(portal):
    for _ in range(3):
        assert sign_in(portal["url"], "throttled@region.fr", "not the password")[1].status_code == 401
    client, response = sign_in(portal["url"], "throttled@region.fr")  # the right password, too late
    assert response.status_code == 429 and "Trop de tentatives" in response.text
    assert "portal_session" not in client.cookies
    assert [r["email"] for r in portal["store"].audit_rows(SIGN_IN_THROTTLED)] == ["throttled@region.fr"]


def test_forms_without_the_csrf_token_are_refused(portal, region84):
    bare = __import__("httpx").Client(base_url=portal["url"])
    assert bare.post("/connexion", data={"email": "a84@region.fr", "password": PASSWORD}).status_code == 403
    bare.get("/connexion")
    assert (
        bare.post("/connexion", data={"email": "a84@region.fr", "password": PASSWORD, "csrf": "forged"}).status_code
        == 403
    )
    before = len(portal["store"].feedback())
    refused = region84.post("/entreprise/84/000000101", data={"action": "contacted", "csrf": "forged"})
    assert refused.status_code == 403 and len(portal["store"].feedback()) == before


ATTACKS = [
    "/mois/2020-03/11",
    "/mois/2020-03/national",
    "/mois/2020-03/99",
    "/mois/2020-03/11/fichiers/signaux_faibles_11_2020-03.xlsx",
    "/mois/2020-03/national/fichiers/synthese_nationale_2020-03.csv",
    "/mois/2020-03/84/fichiers/../11/signaux_faibles_11_2020-03.xlsx",
    "/mois/2020-03/84/fichiers/..%2F11%2Fsignaux_faibles_11_2020-03.xlsx",
    "/mois/2020-03/84/fichiers/%2e%2e%2f11%2fsignaux_faibles_11_2020-03.xlsx",
    "/mois/2020-03/84/fichiers/..%5C11%5Csignaux_faibles_11_2020-03.xlsx",
    "/mois/2020-03/84/fichiers/manifest.json",
    "/mois/2020-03/84/../11",
    "/mois/2020-03/..%2F11",
    "/mois/2020-03/84%2F..%2F11",
    "/mois/2020-03/%2e%2e",
    "/mois/..%2F2020-03%2F11",
    "/mois/2020-04/84",
    "/mois/2020-04",
    "/mois/.publications/84",
    "/mois/elsewhere/84",
    "/mois/2020-3/84",
    "/mois/2020-13/84",
    "/entreprise/11/000000201",
    "/entreprise/84/000000201",
    "/entreprise/national/000000201",
    "/entreprise/84/..%2F11%2F000000201",
    "/entreprise/84/00000020",
    "/static/..%2Fstore.py",
    "/static/../store.py",
]


@pytest.mark.parametrize("path", ATTACKS)
def test_a_regional_user_gets_404_for_anything_outside_its_region(portal, region84, path):
    status, body = raw_get(portal["url"], path, dict(region84.cookies))
    assert status == 404, path
    assert OTHER_REGION_SIREN not in body and "Île-de-France" not in body and "import" not in body
    _, missing = raw_get(portal["url"], "/mois/2020-03/99", dict(region84.cookies))
    assert body == missing  # existing or not, another region's page is the same answer


def test_feedback_on_another_region_s_firm_is_404_and_stored_nowhere(portal, region84):
    token = csrf_of(region84.get("/mois").text)
    before = len(portal["store"].feedback())
    for path in ("/entreprise/11/000000201", "/entreprise/84/000000201"):
        assert region84.post(path, data={"action": "contacted", "csrf": token}).status_code == 404
    assert len(portal["store"].feedback()) == before


@pytest.mark.parametrize("month,folder", [("2020-03", "linked"), ("2020-02", "plain")])
def test_downloads_are_the_published_bytes_and_are_audited(portal, month, folder):
    client, _ = sign_in(portal["url"], "a84@region.fr")
    manifest = json.loads((portal[folder] / "84" / "manifest.json").read_text(encoding="utf-8"))
    assert {f["name"].rsplit(".", 1)[1] for f in manifest["files"]} == {"xlsx", "csv", "json", "html"}
    for entry in manifest["files"]:
        response = client.get(f"/mois/{month}/84/fichiers/{entry['name']}")
        assert response.status_code == 200, entry["name"]
        assert response.content == (portal[folder] / "84" / entry["name"]).read_bytes()
        assert hashlib.sha256(response.content).hexdigest() == entry["sha256"] == response.headers["x-content-sha256"]
        assert response.headers["content-disposition"] == f'attachment; filename="{entry["name"]}"'
    audited = {
        (r["file"], r["sha256"])
        for r in portal["store"].audit_rows(DOWNLOAD)
        if r["email"] == "a84@region.fr" and r["month"] == month
    }
    assert audited == {(e["name"], e["sha256"]) for e in manifest["files"]}


def test_a_file_that_no_longer_matches_its_manifest_is_not_sent(portal):
    client, _ = sign_in(portal["url"], "nat@national.fr")
    target = portal["plain"] / "94" / "signaux_faibles_94_2020-02.csv"
    target.write_bytes(target.read_bytes() + b"tampered;row\r\n")
    response = client.get("/mois/2020-02/94/fichiers/signaux_faibles_94_2020-02.csv")
    assert response.status_code == 500 and b"tampered" not in response.content
    assert not [r for r in portal["store"].audit_rows(DOWNLOAD) if r["file"] == target.name]


def test_the_national_team_sees_every_region_and_the_national_summary(portal):
    client, response = sign_in(portal["url"], "nat@national.fr")
    assert response.status_code == 303
    page = client.get("/mois/2020-03")
    assert page.status_code == 200 and "Synthèse nationale" in page.text
    assert all(f"/mois/2020-03/{code}" in page.text for code in ("84", "11", "94"))
    national = client.get("/mois/2020-03/national/fichiers/synthese_nationale_2020-03.csv")
    assert national.status_code == 200
    assert national.content == (portal["linked"] / "national" / "synthese_nationale_2020-03.csv").read_bytes()
    assert OTHER_REGION_SIREN in client.get("/mois/2020-03/11").text
    assert client.get(f"/entreprise/11/{OTHER_REGION_SIREN}").status_code == 200
    assert "enregistrer" not in client.get(f"/entreprise/11/{OTHER_REGION_SIREN}").text  # feedback is the regions'


def test_the_month_page_filters_and_sorts_without_javascript(portal, region84):
    def listed(**params) -> list[str]:
        page = region84.get("/mois/2020-03/84", params=params).text
        table = page[page.index('<table class="list">') :]
        return re.findall(r">(\d{9})</a>", table[: table.index("</table>")])

    assert listed() == ["000000101", "000000103", "000000102"]  # the list's order: rank
    assert listed(niveau="risque fort") == ["000000101", "000000103"]
    assert listed(nouvelles="1") == ["000000102"]
    assert listed(departement="01") == ["000000102"]
    assert listed(secteur="C - Industrie manufacturière") == ["000000101"]
    assert listed(tri="probabilite", sens="asc") == ["000000102", "000000103", "000000101"]
    assert listed(tri="rang", sens="desc") == ["000000102", "000000103", "000000101"]
    assert listed(niveau="risque fort", departement="01") == []
    assert listed(tri="'; drop", sens="sideways") == ["000000101", "000000103", "000000102"]
    assert 'aria-sort="descending"' in region84.get("/mois/2020-03/84", params={"tri": "probabilite"}).text


def test_the_firm_page_shows_history_level_changes_factors_and_records_feedback(portal, region84):
    page = region84.get("/entreprise/84/000000103")
    assert page.status_code == 200
    assert "2020-02" in page.text and "2020-03" in page.text and "55,0" in page.text and "18,0" in page.text
    assert "risque modéré → risque fort" in page.text and "aggravation" in page.text
    assert "dette sociale" in page.text.lower() and "+1,20" in page.text
    saved = region84.post(
        "/entreprise/84/000000103",
        data={"action": "contacted", "comment": "appel au dirigeant <b>", "csrf": csrf_of(page.text)},
        follow_redirects=True,
    )
    assert saved.status_code == 200 and "Votre retour est enregistré" in saved.text
    assert "appel au dirigeant &lt;b&gt;" in saved.text
    stored = portal["store"].feedback(siren="000000103")
    assert [(f["email"], f["region"], f["month"], f["action"], f["comment"]) for f in stored] == [
        ("a84@region.fr", "84", "2020-03", "contacted", "appel au dirigeant <b>")
    ]
    assert [r["region"] for r in portal["store"].audit_rows(FEEDBACK)] == ["84"]
    unknown = region84.post("/entreprise/84/000000103", data={"action": "bribe", "csrf": csrf_of(page.text)})
    assert unknown.status_code == 400 and len(portal["store"].feedback(siren="000000103")) == 1


def test_signing_out_ends_the_session_even_for_a_kept_copy_of_the_cookie(portal):
    client, _ = sign_in(portal["url"], "b84@region.fr")
    kept = dict(client.cookies)
    assert raw_get(portal["url"], "/mois/2020-03/84", kept)[0] == 200
    token = csrf_of(client.get("/mois").text)
    assert client.post("/deconnexion", data={"csrf": token}).status_code == 303
    assert raw_get(portal["url"], "/mois/2020-03/84", kept)[0] == 303


def test_disabling_an_account_ends_its_session(portal):
    portal["store"].add_user("leaving@region.fr", "84", PASSWORD)
    client, _ = sign_in(portal["url"], "leaving@region.fr")
    assert client.get("/mois/2020-03/84").status_code == 200
    portal["store"].set_active("leaving@region.fr", False)
    assert client.get("/mois/2020-03/84").status_code == 303
    successes = [r["email"] for r in portal["store"].audit_rows(SIGN_IN)]
    assert "leaving@region.fr" in successes and "gone@region.fr" not in successes


def test_the_web_application_imports_no_spark():
    code = (
        "import sys; import signaux_spark.portal.app, signaux_spark.portal.__main__; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pyspark', 'py4j', 'delta')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env={"PYTHONPATH": str(PROJECT_ROOT), "PATH": "/usr/bin:/bin"},
        check=True,
    )
    assert out.stdout.strip() == "[]"
