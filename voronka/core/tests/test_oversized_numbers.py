import pytest
from django.urls import reverse

from voronka.sales.models import Deal
from voronka.sales.tests.factories import DealFactory

HUGE = "99999999999999999999"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        f"/deals/list/?responsible={HUGE}",
        f"/leads/list/?source={HUGE}",
        f"/deals/list/?stage={HUGE}",
        f"/contacts/?responsible={HUGE}",
        f"/companies/?responsible={HUGE}",
    ],
)
def test_a_filter_with_an_id_beyond_64_bits_answers_400_not_500(client, admin_user, url):
    client.force_login(admin_user)

    response = client.get(url)

    assert response.status_code in (200, 400)  # PostgreSQL finds nothing; SQLite refuses


@pytest.mark.django_db
def test_a_form_with_an_oversized_id_changes_nothing(client, admin_user):
    deal = DealFactory(title="Before")
    client.force_login(admin_user)

    response = client.post(
        reverse("sales:deal_section", args=[deal.pk, "main"]),
        {"title": "After", "responsible": HUGE, "version": deal.version},
        headers={"HX-Request": "true"},
    )

    assert response.status_code in (400, 422)
    assert Deal.objects.get(pk=deal.pk).title == "Before"
