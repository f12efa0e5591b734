"""The reader side of a month's publication: links into .publications are followed, anything else
is refused (not a month, a link leading elsewhere, a half-made month)."""

import os

from signaux_spark.export.published import PUBLICATIONS, month_folder, published_months
from signaux_spark.months import is_month


def _publication(root, month, token):
    folder = root / PUBLICATIONS / month / token
    (folder / "84").mkdir(parents=True)
    return folder


def test_link_to_a_publication_is_followed(tmp_path):
    folder = _publication(tmp_path, "2024-12", "a1")
    os.symlink(os.path.join(PUBLICATIONS, "2024-12", "a1"), tmp_path / "2024-12")
    assert month_folder(tmp_path, "2024-12") == folder.resolve()
    assert published_months(tmp_path) == ["2024-12"]


def test_plain_folder_of_an_older_export_is_read(tmp_path):
    (tmp_path / "2024-11" / "84").mkdir(parents=True)
    assert month_folder(tmp_path, "2024-11") == tmp_path / "2024-11"


def test_links_outside_the_publications_and_bad_months_are_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    os.symlink(outside, tmp_path / "2024-10")
    os.symlink(os.path.join(PUBLICATIONS, "2024-09", "missing"), tmp_path / "2024-09")
    for month in ("2024-10", "2024-09", "2024-13", "../2024-10", "2024-1", ".publications", ""):
        assert month_folder(tmp_path, month) is None, month
    assert published_months(tmp_path) == []
    assert published_months(tmp_path / "absent") == []
    assert is_month("2024-12") and not is_month("2024-12/..")
