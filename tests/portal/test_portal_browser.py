"""A real browser (Debian's headless Chromium driven by Selenium) uses the portal as a regional
team does: signs in, opens the month, filters, downloads the workbook, opens a firm page and
records what was done. Screenshots of each step go to test-artifacts/portal/ (PORTAL_SCREENSHOTS
to change it)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import pytest

from signaux_spark.config import PROJECT_ROOT
from signaux_spark.portal.store import DOWNLOAD, Store, default_url
from tests.portal.portal_kit import PASSWORD, served, write_month

CHROMIUM, DRIVER = Path("/usr/bin/chromium"), Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS", PROJECT_ROOT / "test-artifacts" / "portal"))


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM.is_file() and DRIVER.is_file()):
        pytest.skip("Debian's chromium and chromium-driver are not installed (scripts/setup-system.sh installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    downloads = tmp_path_factory.mktemp("downloads")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1600"):
        options.add_argument(argument)
    options.add_experimental_option(
        "prefs", {"download.default_directory": str(downloads), "download.prompt_for_download": False}
    )
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    driver.execute_cdp_cmd("Page.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)})
    yield driver, downloads
    driver.quit()


def follow(driver, element) -> None:
    """Click what loads a new page and wait until the old one is gone: a click returns before the
    browser has the answer, and the old page would otherwise be read in its place."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    page = driver.find_element(By.TAG_NAME, "html")
    element.click()
    WebDriverWait(driver, 30).until(expected_conditions.staleness_of(page))
    WebDriverWait(driver, 30).until(lambda d: d.execute_script("return document.readyState") == "complete")


def shot(driver, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    driver.save_screenshot(str(SCREENSHOTS / f"{name}.png"))


def test_a_regional_team_uses_the_portal_in_a_browser(browser, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver, downloads = browser
    linked = write_month(tmp_path / "exports", "2020-03", linked=True)
    store = Store(default_url(str(tmp_path)))
    store.add_user("a84@region.fr", "84", PASSWORD)
    with served(tmp_path) as url:
        driver.get(url + "/")
        assert driver.title.startswith("Connexion")
        driver.find_element(By.ID, "email").send_keys("a84@region.fr")
        driver.find_element(By.ID, "password").send_keys(PASSWORD)
        shot(driver, "1-connexion")
        follow(driver, driver.find_element(By.CSS_SELECTOR, "form.login button"))
        assert "Listes disponibles" in driver.find_element(By.TAG_NAME, "h1").text
        follow(driver, driver.find_element(By.LINK_TEXT, "Liste de 2020-03"))
        assert driver.find_element(By.TAG_NAME, "h1").text.startswith("Auvergne-Rhône-Alpes (84)")
        shot(driver, "2-liste-du-mois")

        Select(driver.find_element(By.ID, "niveau")).select_by_visible_text("risque modéré")
        follow(driver, driver.find_element(By.ID, "filtrer"))
        rows = driver.find_elements(By.CSS_SELECTOR, "table.list tbody tr")
        assert [r.find_elements(By.TAG_NAME, "td")[2].text for r in rows] == ["000000102"]
        shot(driver, "3-liste-filtree")

        driver.find_element(By.PARTIAL_LINK_TEXT, "signaux_faibles_84_2020-03.xlsx").click()
        target = downloads / "signaux_faibles_84_2020-03.xlsx"
        deadline = time.monotonic() + 30
        while not target.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert target.read_bytes() == (linked / "84" / target.name).read_bytes()
        shutil.copy(target, SCREENSHOTS / target.name)

        follow(driver, driver.find_element(By.LINK_TEXT, "000000102"))
        assert "SIREN 000000102" in driver.find_element(By.TAG_NAME, "h1").text
        driver.find_element(By.ID, "action-support").click()
        driver.find_element(By.ID, "comment").send_keys("rendez-vous fixé avec le dirigeant")
        shot(driver, "4-fiche-entreprise")
        follow(driver, driver.find_element(By.ID, "enregistrer"))
        assert "Votre retour est enregistré" in driver.find_element(By.CSS_SELECTOR, "p.ok").text
        assert "rendez-vous fixé avec le dirigeant" in driver.find_element(By.CSS_SELECTOR, "ul.feedback").text
        shot(driver, "5-retour-enregistre")
    assert [(f["siren"], f["action"]) for f in store.feedback()] == [("000000102", "support")]
    assert [r["file"] for r in store.audit_rows(DOWNLOAD)] == [target.name]
    store.close()
