"""Feedback recorded in the portal reaches the Delta table gold/feedback (the command replaces it
with everything recorded so far) and the review of notebook 03."""

from __future__ import annotations

from signaux_spark.analysis.review import region_feedback
from signaux_spark.io import Lake
from signaux_spark.portal.app import portal_paths
from signaux_spark.portal.feedback import export_feedback
from signaux_spark.portal.store import Store
from tests.portal.portal_kit import PASSWORD


def test_feedback_is_exported_to_delta_and_reviewed_per_region(spark, settings):
    store = Store(portal_paths(settings)[1])
    a84, a11 = store.add_user("a84@region.fr", "84", PASSWORD), store.add_user("a11@region.fr", "11", PASSWORD)
    store.add_feedback(a84, "84", "000000101", "2020-03", "contacted", "appel")
    store.add_feedback(a11, "11", "000000201", "2020-03", "already_known", "")
    assert export_feedback(spark, settings, store) == 2
    store.add_feedback(a84, "84", "000000103", "2020-03", "support", "prêt proposé")
    assert export_feedback(spark, settings, store) == 3  # replaced, not appended
    table = Lake(settings).read(spark, settings.portal.feedback_table)
    assert table.count() == 3
    assert {f.name: f.nullable for f in table.schema.fields}["comment"] is True
    reviewed = region_feedback(table, "84")
    assert list(reviewed["siren"]) == ["000000103", "000000101"]  # latest first
    assert list(reviewed["action_label"]) == ["accompagnement proposé", "entreprise contactée"]
    assert list(reviewed["comment"]) == ["prêt proposé", "appel"] and set(reviewed["list_month"]) == {"2020-03"}
    assert region_feedback(table, "94").empty
    store.close()
