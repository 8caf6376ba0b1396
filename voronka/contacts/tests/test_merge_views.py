"""The duplicate finder, the merge page, the picker, the list of merges and undo, over HTTP."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from voronka.access.models import Action, Entity, Scope
from voronka.access.predicates import forget_rights
from voronka.access.tests.factories import role_with
from voronka.contacts.duplicate_scan import scan_duplicates
from voronka.contacts.models import (
    Communication,
    Company,
    Contact,
    DuplicateGroup,
    DuplicateRule,
    MergeRecord,
)
from voronka.contacts.services.merge import merge_cards, refresh_keys
from voronka.contacts.tests.factories import CompanyFactory, ContactFactory
from voronka.sales.models import Lead
from voronka.sales.tests.factories import LeadFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory

pytestmark = pytest.mark.django_db

PHONE = "+79123456789"


def contact(responsible, last_name="Иванов", *, phone=PHONE, **fields):
    card = ContactFactory(responsible=responsible, last_name=last_name, **fields)
    refresh_keys(card)
    if phone:
        Communication.objects.create(
            card_type=ContentType.objects.get_for_model(Contact),
            card_id=card.pk,
            kind="phone",
            value=phone,
            value_normalized=phone,
        )
    return card


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Склад"))


@pytest.fixture
def pair(manager):
    return contact(manager, "Иванов"), contact(manager, "Иванофф", position="Закупщик")


def merge_url(left, right, entity="contact"):
    return reverse(f"contacts:{entity}_merge", args=[left.pk, right.pk])


class TestFinder:
    def test_lists_groups_of_visible_cards(self, client, manager, pair):
        scan_duplicates()
        client.force_login(manager)
        response = client.get(reverse("contacts:duplicates"))
        assert response.status_code == 200
        text = response.content.decode()
        assert "Same phone" in text and pair[0].full_name in text and pair[1].full_name in text

    def test_a_group_with_one_visible_card_is_not_shown(self, client, manager, stranger):
        contact(manager, "Иванов")
        hidden = contact(stranger, "Скрытов")
        scan_duplicates()
        client.force_login(manager)
        response = client.get(reverse("contacts:duplicates"))
        assert "Скрытов" not in response.content.decode()
        assert response.context["page"].lines == []
        # Not even through the dismiss URL.
        group = DuplicateGroup.objects.get(rule=DuplicateRule.PHONE)
        assert hidden.pk in group.card_ids
        assert (
            client.post(reverse("contacts:duplicate_dismiss", args=[group.pk])).status_code == 404
        )

    def test_filters_by_entity_and_rule(self, client, admin_user, pair):
        CompanyFactory(title="Ромашка", responsible=admin_user)
        CompanyFactory(title="Ромашка", responsible=admin_user)
        for company in Company.objects.all():
            refresh_keys(company)
        scan_duplicates()
        client.force_login(admin_user)
        companies = client.get(reverse("contacts:duplicates"), {"entity": "company"})
        assert [line.group.rule for line in companies.context["page"].lines] == [
            DuplicateRule.COMPANY_NAME
        ]
        persons = client.get(reverse("contacts:duplicates"), {"rule": "email"})
        assert persons.context["page"].lines == []
        assert client.get(reverse("contacts:duplicates"), {"entity": "deal"}).status_code == 404

    @pytest.mark.parametrize("groups", [1, 4])
    def test_query_count_is_fixed(self, client, manager, groups, django_assert_num_queries):
        for number in range(groups):
            phone = f"+7912345670{number}"
            contact(manager, f"Иванов {number}", phone=phone)
            contact(manager, f"Петров {number}", phone=phone)
        scan_duplicates()
        client.force_login(manager)
        # Session, user; rights, departments; groups, visible cards, their communications.
        with django_assert_num_queries(7):
            response = client.get(reverse("contacts:duplicates"))
        assert len(response.context["page"].lines) == groups

    def test_query_count_for_an_administrator(self, client, admin_user, django_assert_num_queries):
        contact(admin_user, "Иванов")
        contact(admin_user, "Петров")
        scan_duplicates()
        client.force_login(admin_user)
        with django_assert_num_queries(5):
            client.get(reverse("contacts:duplicates"))

    def test_dismiss_hides_the_group(self, client, manager, pair):
        scan_duplicates()
        group = DuplicateGroup.objects.get(rule=DuplicateRule.PHONE)
        client.force_login(manager)
        response = client.post(
            reverse("contacts:duplicate_dismiss", args=[group.pk]), HTTP_HX_REQUEST="true"
        )
        assert response.status_code == 200
        group.refresh_from_db()
        assert group.dismissed_by == manager
        assert client.get(reverse("contacts:duplicates")).context["page"].lines == []


class TestMergePage:
    def test_shows_both_cards_and_differing_fields(self, client, manager, pair):
        client.force_login(manager)
        response = client.get(merge_url(*pair))
        assert response.status_code == 200
        rows = {row.name: row for row in response.context["rows"]}
        assert rows["position"].differs and rows["last_name"].differs
        assert not rows["first_name"].differs or pair[0].first_name != pair[1].first_name

    def test_preview_then_merge(self, client, manager, pair):
        left, right = pair
        client.force_login(manager)
        data = {"survivor": left.pk, "field:position": right.pk}
        preview = client.post(merge_url(left, right), {**data, "preview": "1"})
        assert preview.status_code == 200
        assert ("position", "Закупщик") in preview.context["result"]
        assert MergeRecord.objects.count() == 0

        response = client.post(merge_url(left, right), {**data, "confirm": "1"})

        assert response.status_code == 302
        assert response["Location"] == reverse("contacts:contact_detail", args=[left.pk])
        left.refresh_from_db()
        assert left.position == "Закупщик"
        assert Contact.all_objects.get(pk=right.pk).is_deleted

    def test_the_other_card_can_stay(self, client, manager, pair):
        left, right = pair
        client.force_login(manager)
        client.post(merge_url(left, right), {"survivor": right.pk, "confirm": "1"})
        assert Contact.all_objects.get(pk=left.pk).is_deleted
        assert MergeRecord.objects.get().survivor_id == right.pk

    def test_a_card_of_another_department_is_404_everywhere(self, client, manager, stranger, pair):
        left, _right = pair
        foreign = contact(stranger, "Чужой")
        client.force_login(manager)
        assert client.get(merge_url(left, foreign)).status_code == 404
        assert client.post(merge_url(left, foreign), {"confirm": "1"}).status_code == 404
        assert client.get(merge_url(foreign, left)).status_code == 404
        pick = reverse("contacts:contact_merge_pick", args=[foreign.pk])
        assert client.get(pick).status_code == 404
        assert not Contact.all_objects.get(pk=foreign.pk).is_deleted

    def test_without_delete_right_is_403(self, client, manager, pair):
        role_with(
            (Entity.CONTACT, Action.READ, Scope.OWN),
            (Entity.CONTACT, Action.UPDATE, Scope.OWN),
            members=[manager],
        )
        forget_rights(manager)
        client.force_login(manager)
        page = client.get(merge_url(*pair))
        assert not page.context["may_merge"]
        response = client.post(merge_url(*pair), {"survivor": pair[0].pk, "confirm": "1"})
        assert response.status_code == 403
        assert MergeRecord.objects.count() == 0

    def test_head_merges_cards_of_the_department(self, client, head, pair):
        role_with(
            *(
                (Entity.CONTACT, action, Scope.DEPARTMENT_TREE)
                for action in (Action.READ, Action.UPDATE, Action.DELETE)
            ),
            members=[head],
        )
        client.force_login(head)
        response = client.post(merge_url(*pair), {"survivor": pair[0].pk, "confirm": "1"})
        assert response.status_code == 302

    def test_ids_of_another_kind_are_404(self, client, admin_user, pair):
        client.force_login(admin_user)
        assert not Company.objects.exists()
        assert client.get(merge_url(*pair, entity="company")).status_code == 404

    def test_companies_merge(self, client, admin_user):
        left = CompanyFactory(title="Ромашка", responsible=admin_user)
        right = CompanyFactory(title="Ромашка ООО", responsible=admin_user)
        client.force_login(admin_user)
        response = client.post(
            merge_url(left, right, "company"),
            {"survivor": left.pk, "field:title": right.pk, "confirm": "1"},
        )
        assert response.status_code == 302
        assert Company.objects.get(pk=left.pk).title == "Ромашка ООО"


class TestPicker:
    def test_finds_other_cards_of_the_kind(self, client, manager, pair):
        left, right = pair
        contact(manager, "Посторонний", phone=None)
        client.force_login(manager)
        url = reverse("contacts:contact_merge_pick", args=[left.pk])
        response = client.get(url, {"q": "Иванофф", "partial": "1"}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert list(response.context["found"]) == [right]
        assert merge_url(left, right) in response.content.decode()


class TestMergesAndUndo:
    def test_list_and_undo(self, client, manager, pair):
        left, right = pair
        record = merge_cards(actor=manager, survivor=left, absorbed=right, values={})
        client.force_login(manager)
        page = client.get(reverse("contacts:merges"))
        assert [line.record for line in page.context["lines"]] == [record]
        response = client.post(reverse("contacts:merge_undo", args=[record.pk]))
        assert response.status_code == 302
        assert not Contact.all_objects.get(pk=right.pk).is_deleted

    def test_merges_of_unseen_cards_are_not_listed_and_undo_is_404(self, client, manager, stranger):
        first, second = contact(stranger, "Чужой"), contact(stranger, "Чужой")
        record = merge_cards(actor=stranger, survivor=first, absorbed=second, values={})
        client.force_login(manager)
        assert client.get(reverse("contacts:merges")).context["lines"] == []
        response = client.post(reverse("contacts:merge_undo", args=[record.pk]))
        assert response.status_code == 404
        assert Contact.all_objects.get(pk=second.pk).is_deleted

    def test_undo_refused_is_a_message(self, client, manager, pair):
        left, right = pair
        record = merge_cards(actor=manager, survivor=left, absorbed=right, values={})
        client.force_login(manager)
        client.post(reverse("contacts:merge_undo", args=[record.pk]))
        response = client.post(reverse("contacts:merge_undo", args=[record.pk]), follow=True)
        assert "already undone" in response.content.decode()

    def test_undo_goes_back_only_to_this_site(self, client, manager, pair):
        left, right = pair
        record = merge_cards(actor=manager, survivor=left, absorbed=right, values={})
        client.force_login(manager)
        response = client.post(
            reverse("contacts:merge_undo", args=[record.pk]), {"next": "https://evil.example/"}
        )
        assert response["Location"] == reverse("contacts:merges")


class TestCardControls:
    def render(self, user, card):
        request = RequestFactory().get("/")
        request.user = user
        template = Template("{% load contacts_merge %}{% merge_controls card %}")
        return template.render(Context({"request": request, "card": card}))

    def test_merge_button_and_undo_notice(self, manager, pair):
        left, right = pair
        assert "Merge with…" in self.render(manager, left)
        merge_cards(actor=manager, survivor=left, absorbed=right, values={})
        html = self.render(manager, left)
        assert f"Merged with “{right}”" in html.replace("&ldquo;", "“").replace("&rdquo;", "”")

    def test_nothing_for_who_may_not_change_the_card(self, stranger, pair):
        assert "Merge with" not in self.render(stranger, pair[0])


class TestLeads:
    def test_merge_page_picker_and_merge(self, client, manager, stranger):
        left = LeadFactory(responsible=manager, title="Заявка")
        right = LeadFactory(responsible=manager, title="Заявка с сайта")
        foreign = LeadFactory(responsible=stranger, title="Заявка чужая")
        client.force_login(manager)
        assert client.get(merge_url(left, right, "lead")).status_code == 200
        assert client.get(merge_url(left, foreign, "lead")).status_code == 404
        pick = client.get(
            reverse("contacts:lead_merge_pick", args=[left.pk]),
            {"q": "Заявка", "partial": "1"},
            HTTP_HX_REQUEST="true",
        )
        assert list(pick.context["found"]) == [right]
        response = client.post(
            merge_url(left, right, "lead"),
            {"survivor": left.pk, "field:title": right.pk, "confirm": "1"},
        )
        assert response["Location"] == reverse("sales:lead_detail", args=[left.pk])
        assert Lead.objects.get(pk=left.pk).title == "Заявка с сайта"
        merges = client.get(reverse("contacts:merges"))
        assert merges.context["lines"][0].survivor_url == response["Location"]


def test_both_feeds_tell_of_the_merge(client, manager, pair):
    left, right = pair
    merge_cards(actor=manager, survivor=left, absorbed=right, values={})
    client.force_login(manager)
    page = client.get(reverse("contacts:contact_detail", args=[left.pk])).content.decode()
    assert f"Merged with “{right}”" in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
