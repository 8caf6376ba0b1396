"""The task pages: every page and action, 422 with the fields' messages, 404 for tasks the
user may not see (on every URL with an id), 403 for writes the user may not make, sign-in
for anonymous visitors, and fixed query counts."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from voronka.access.models import Role
from voronka.sales.tests.factories import DealFactory
from voronka.staff.tests.factories import DepartmentFactory, UserFactory
from voronka.tasks.models import DeadlineChange, Task, TaskEntryKind, TaskStatus
from voronka.tasks.services import task_create
from voronka.tasks.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
SOON = timezone.now() + datetime.timedelta(hours=3)


@pytest.fixture
def stranger(db):
    return UserFactory(username="stranger", department=DepartmentFactory(name="Другой отдел"))


def make(actor, responsible=None, **kwargs):
    return task_create(
        actor=actor,
        title=kwargs.pop("title", "Позвонить клиенту"),
        responsible=responsible or actor,
        **kwargs,
    )


def url(name, task=None, **query):
    address = reverse(f"tasks:{name}", args=[task.pk] if task else [])
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


# --- anonymous, IDOR, rights --------------------------------------------------------------------
ID_URLS = [
    ("task_detail", "get", {}),
    ("task_edit", "get", {}),
    ("task_edit", "post", {"title": "x"}),
    ("task_status", "get", {"action": "complete"}),
    ("task_status", "post", {"action": "start"}),
    ("task_deadline", "get", {}),
    ("task_deadline", "post", {"deadline": ""}),
    ("task_move", "post", {"bucket": "today"}),
    ("task_comment", "post", {"text": "Привет"}),
    ("task_checklist", "post", {"op": "add", "text": "a"}),
    ("task_delete", "post", {}),
]


def test_anonymous_is_sent_to_sign_in(client, manager):
    task = make(manager)
    for name in ("task_list", "task_board", "task_create"):
        response = client.get(url(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.get(url("task_detail", task))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize(("name", "method", "data"), ID_URLS)
def test_a_task_of_another_department_is_404_everywhere(
    client, manager, stranger, name, method, data
):
    task = make(stranger)
    client.force_login(manager)
    if method == "get":
        response = client.get(url(name, task), data, **HX)
    else:
        response = client.post(url(name, task), data, **HX)
    assert response.status_code == 404
    assert Task.objects.get().version == 1 and Task.objects.count() == 1


def test_lists_and_boards_leave_hidden_tasks_out(client, manager, stranger):
    make(manager, title="Моя задача")
    make(stranger, title="Чужая задача")
    client.force_login(manager)
    for name in ("task_list", "task_board"):
        page = client.get(url(name)).content.decode()
        assert "Моя задача" in page and "Чужая задача" not in page


def test_observer_gets_403_for_writes_and_sees_no_edit_controls(client, manager, other_manager):
    task = make(manager, observers=[other_manager], deadline=SOON)
    client.force_login(other_manager)
    page = client.get(url("task_detail", task)).content.decode()
    assert "Позвонить клиенту" in page
    assert url("task_edit", task) not in page and url("task_delete", task) not in page
    assert url("task_deadline", task) not in page
    for name, data in (
        ("task_edit", {"title": "x", "responsible": manager.pk}),
        ("task_status", {"action": "start"}),
        ("task_delete", {}),
        ("task_deadline", {"deadline": "", "comment": "x"}),
    ):
        assert client.post(url(name, task), data, **HX).status_code == 403, name
    assert client.post(url("task_comment", task), {"text": "Вижу"}, **HX).status_code == 200


def test_head_sees_the_department_tasks(client, head, manager):
    Role.objects.get(code="head").members.add(head)
    task = make(manager, title="Задача менеджера")
    client.force_login(head)
    assert client.get(url("task_detail", task)).status_code == 200


# --- list and board ------------------------------------------------------------------------
def test_list_filters_by_role_status_and_overdue(client, manager, other_manager):
    make(manager, title="Мне", deadline=timezone.now() - datetime.timedelta(hours=1))
    make(manager, responsible=other_manager, title="Коллеге")
    make(other_manager, responsible=manager, title="От коллеги", observers=[])
    observed = make(other_manager, title="Наблюдаю", observers=[manager])
    client.force_login(manager)

    def titles(**query):
        page = client.get(url("task_list", **query)).content.decode()
        return {t for t in ("Мне", "Коллеге", "От коллеги", "Наблюдаю") if f">{t}<" in page}

    assert titles() == {"Мне", "Коллеге", "От коллеги", "Наблюдаю"}
    assert titles(role="responsible") == {"Мне", "От коллеги"}
    assert titles(role="created") == {"Мне", "Коллеге"}
    assert titles(role="observer") == {"Наблюдаю"}
    assert titles(overdue=1) == {"Мне"}
    from voronka.tasks.services import task_change_status

    task_change_status(actor=other_manager, task=observed, action="complete")
    assert titles(status="done") == {"Наблюдаю"}
    assert "Наблюдаю" not in titles()


def test_overdue_is_marked(client, manager):
    make(manager, deadline=timezone.now() - datetime.timedelta(hours=1))
    client.force_login(manager)
    for name in ("task_list", "task_board"):
        assert "badge overdue" in client.get(url(name)).content.decode()


def test_list_partial_for_htmx(client, manager):
    make(manager)
    client.force_login(manager)
    response = client.get(url("task_list"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="task-results")
    html = response.content.decode()
    assert html.startswith('<div id="task-results"') and "<html" not in html


def test_list_and_board_cost_a_fixed_number_of_queries(client, manager, django_assert_num_queries):
    deal = DealFactory(responsible=manager)
    for index in range(3):
        make(manager, title=f"Задача {index}", card=deal, deadline=SOON)
    client.force_login(manager)
    # session, user, rights, tasks, the linked deals (one query for all of them)
    with django_assert_num_queries(5):
        assert client.get(url("task_list")).status_code == 200
    with django_assert_num_queries(5):
        assert client.get(url("task_board")).status_code == 200
    for index in range(5):
        make(manager, title=f"Ещё {index}", card=DealFactory(responsible=manager))
    with django_assert_num_queries(5):
        client.get(url("task_list"))
    with django_assert_num_queries(5):
        client.get(url("task_board"))


def test_board_drop_moves_the_deadline_of_the_creators_task(client, manager):
    task = make(manager)
    client.force_login(manager)
    response = client.post(url("task_move", task), {"bucket": "later", "version": 1}, **HX)
    assert response.status_code == 204 and "tasks:changed" in response["HX-Trigger"]
    task.refresh_from_db()
    assert task.deadline is not None and DeadlineChange.objects.count() == 1


def test_board_drop_by_the_responsible_asks_for_a_comment(client, manager, other_manager):
    task = make(manager, responsible=other_manager)
    client.force_login(other_manager)
    response = client.post(url("task_move", task), {"bucket": "today", "version": 1}, **HX)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#modal"
    assert 'name="comment"' in response.content.decode()
    assert Task.objects.get().deadline is None
    deadline = response.context["form"].initial["deadline"].strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        url("task_deadline", task), {"deadline": deadline, "version": 1, "board": "1"}, **HX
    )
    assert response.status_code == 422
    assert "Say why the deadline moves." in response.content.decode()
    response = client.post(
        url("task_deadline", task),
        {"deadline": deadline, "comment": "Жду ответа", "version": 1, "board": "1"},
        **HX,
    )
    assert response.status_code == 204
    assert DeadlineChange.objects.get().comment == "Жду ответа"


def test_board_refuses_the_overdue_column(client, manager):
    task = make(manager)
    client.force_login(manager)
    assert client.post(url("task_move", task), {"bucket": "overdue"}, **HX).status_code == 400


# --- create -------------------------------------------------------------------------------------
def test_create_dialog_from_a_card_preselects_the_link(client, manager):
    deal = DealFactory(responsible=manager, title="Поставка станков")
    client.force_login(manager)
    response = client.get(url("task_create", card=f"deal:{deal.pk}"), **HX)
    html = response.content.decode()
    assert response.status_code == 200 and 'class="modal"' in html
    assert f'value="deal:{deal.pk}"' in html and "Поставка станков" in html


def test_create_from_a_card(client, manager, other_manager):
    deal = DealFactory(responsible=manager)
    client.force_login(manager)
    response = client.post(
        url("task_create"),
        {
            "title": "Отправить договор",
            "responsible": other_manager.pk,
            "deadline": "2030-05-04T15:00",
            "observers": [manager.pk],
            "co_executors": [],
            "checklist": "Реквизиты\nПодпись",
            "card": f"deal:{deal.pk}",
            "requires_control": "on",
        },
        **HX,
    )
    assert response.status_code == 204
    assert "voronka:modal-close" in response["HX-Trigger"]
    task = Task.objects.get()
    assert task.card == deal and task.requires_control and task.responsible == other_manager
    assert timezone.localtime(task.deadline).strftime("%d.%m.%Y %H:%M") == "04.05.2030 15:00"
    assert list(task.observers.all()) == [manager]
    assert task.checklist.count() == 2


def test_create_without_htmx_redirects_to_the_task(client, manager):
    client.force_login(manager)
    assert client.get(url("task_create")).status_code == 200
    response = client.post(url("task_create"), {"title": "Задача", "responsible": manager.pk})
    assert response.status_code == 302
    assert response["Location"] == url("task_detail", Task.objects.get())


def test_create_errors_answer_422_with_the_fields_messages(client, manager, stranger):
    hidden = DealFactory(responsible=stranger)
    client.force_login(manager)
    response = client.post(url("task_create"), {"title": " ", "responsible": ""}, **HX)
    assert response.status_code == 422
    html = response.content.decode()
    assert "Write what is to be done." in html and "Choose the responsible." in html
    response = client.post(
        url("task_create"),
        {"title": "Задача", "responsible": manager.pk, "card": f"deal:{hidden.pk}"},
        **HX,
    )
    assert response.status_code == 422 and "There is no such card." in response.content.decode()
    assert not Task.objects.exists()


def test_create_is_403_without_the_add_right(client, manager):
    Role.objects.update(is_default=False)
    client.force_login(manager)
    response = client.post(url("task_create"), {"title": "Задача", "responsible": manager.pk})
    assert response.status_code == 403
    assert client.get(url("task_create"), **HX).status_code == 403
    assert "New task" not in client.get(url("task_list")).content.decode()


# --- the task card ------------------------------------------------------------------------------
def test_task_page_shows_fields_checklist_and_feed(
    client, manager, other_manager, django_assert_num_queries
):
    deal = DealFactory(responsible=manager, title="Поставка станков")
    task = make(
        manager,
        responsible=other_manager,
        observers=[manager],
        checklist=["Цены", "Сроки"],
        card=deal,
        deadline=SOON,
    )
    client.force_login(manager)
    client.post(url("task_comment", task), {"text": "Не забудь про скидку"}, **HX)
    # session, user, rights, task, co-executors, observers, checklist, feed, deadline history,
    # the linked deal
    with django_assert_num_queries(10):
        response = client.get(url("task_detail", task))
    html = response.content.decode()
    for text in ("Позвонить клиенту", "Цены", "Сроки", "Не забудь про скидку", "Поставка станков"):
        assert text in html
    assert url("task_edit", task) in html


def test_status_buttons_and_control_flow(client, manager, other_manager):
    task = make(manager, responsible=other_manager, requires_control=True)
    client.force_login(other_manager)
    response = client.post(url("task_status", task), {"action": "start", "version": 1}, **HX)
    assert response.status_code == 200 and response["HX-Retarget"] == "#task"
    assert Task.objects.get().status == TaskStatus.IN_PROGRESS
    dialog = client.get(url("task_status", task, action="complete"), **HX)
    assert 'name="result"' in dialog.content.decode()
    response = client.post(
        url("task_status", task), {"action": "complete", "result": "Сделал", "version": 2}, **HX
    )
    assert response.status_code == 200
    assert Task.objects.get().status == TaskStatus.AWAITING_CONTROL
    client.force_login(manager)
    page = client.get(url("task_detail", task)).content.decode()
    assert "Accept" in page and "Return to work" in page
    response = client.post(
        url("task_status", task), {"action": "return", "comment": "Мало", "version": 3}, **HX
    )
    assert Task.objects.get().status == TaskStatus.IN_PROGRESS
    client.post(url("task_status", task), {"action": "defer", "version": 4}, **HX)
    client.post(url("task_status", task), {"action": "resume", "version": 5}, **HX)
    client.force_login(other_manager)
    client.post(url("task_status", task), {"action": "complete", "version": 6}, **HX)
    client.force_login(manager)
    client.post(url("task_status", task), {"action": "accept", "version": 7}, **HX)
    assert Task.objects.get().status == TaskStatus.DONE


def test_wrong_status_action_is_400_and_stale_version_409(client, manager):
    task = make(manager)
    client.force_login(manager)
    assert client.post(url("task_status", task), {"action": "accept"}, **HX).status_code == 400
    client.post(url("task_status", task), {"action": "start", "version": 1}, **HX)
    response = client.post(url("task_status", task), {"action": "defer", "version": 1}, **HX)
    assert response.status_code == 409
    assert Task.objects.get().status == TaskStatus.IN_PROGRESS
    assert client.get(url("task_status", task, action="start"), **HX).status_code == 404


def test_deadline_dialog_as_the_responsible(client, manager, other_manager):
    task = make(manager, responsible=other_manager)
    client.force_login(other_manager)
    assert 'name="comment"' in client.get(url("task_deadline", task), **HX).content.decode()
    response = client.post(
        url("task_deadline", task), {"deadline": "2030-01-01T10:00", "version": 1}, **HX
    )
    assert (
        response.status_code == 422 and "Say why the deadline moves." in response.content.decode()
    )
    response = client.post(
        url("task_deadline", task),
        {"deadline": "2030-01-01T10:00", "comment": "Болею", "version": 1},
        **HX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#task"
    assert DeadlineChange.objects.get().comment == "Болею"
    stale = client.post(
        url("task_deadline", task),
        {"deadline": "2030-01-02T10:00", "comment": "Ещё", "version": 1},
        **HX,
    )
    assert stale.status_code == 409


def test_edit_dialog(client, manager, other_manager):
    task = make(manager)
    client.force_login(manager)
    dialog = client.get(url("task_edit", task), **HX).content.decode()
    assert 'value="Позвонить клиенту"' in dialog
    response = client.post(
        url("task_edit", task),
        {
            "title": "Перезвонить",
            "responsible": other_manager.pk,
            "co_executors": [manager.pk],
            "version": 1,
        },
        **HX,
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#task"
    task.refresh_from_db()
    assert task.title == "Перезвонить" and task.responsible == other_manager
    assert list(task.co_executors.all()) == [manager]
    bad = client.post(url("task_edit", task), {"title": "", "responsible": manager.pk}, **HX)
    assert bad.status_code == 422 and "Write what is to be done." in bad.content.decode()
    stale = client.post(
        url("task_edit", task), {"title": "x", "responsible": manager.pk, "version": 1}, **HX
    )
    assert stale.status_code == 409


def test_comment_and_checklist_actions(client, manager):
    task = make(manager, checklist=["Первый"])
    client.force_login(manager)
    assert client.post(url("task_comment", task), {"text": ""}, **HX).status_code == 422
    assert client.post(url("task_comment", task), {"text": "Готово"}, **HX).status_code == 200
    assert task.entries.filter(kind=TaskEntryKind.COMMENT, text="Готово").exists()
    assert (
        client.post(url("task_checklist", task), {"op": "add", "text": ""}, **HX).status_code == 422
    )
    client.post(url("task_checklist", task), {"op": "add", "text": "Второй"}, **HX)
    first = task.checklist.get(text="Первый")
    client.post(url("task_checklist", task), {"op": "toggle", "item": first.pk}, **HX)
    assert task.checklist.get(pk=first.pk).done
    client.post(url("task_checklist", task), {"op": "remove", "item": first.pk}, **HX)
    assert list(task.checklist.values_list("text", flat=True)) == ["Второй"]
    other = make(manager, checklist=["Чужой пункт"]).checklist.get()
    response = client.post(url("task_checklist", task), {"op": "toggle", "item": other.pk}, **HX)
    assert response.status_code == 404


def test_delete(client, manager):
    task = make(manager)
    client.force_login(manager)
    response = client.post(url("task_delete", task), **HX)
    assert response.status_code == 200 and response["HX-Redirect"] == url("task_list")
    assert not Task.objects.exists()


def test_card_tasks_tag_lists_the_cards_open_tasks(rf, manager, stranger):
    from django.template import Context, Template

    deal = DealFactory(responsible=manager)
    make(manager, title="Открытая", card=deal)
    make(stranger, title="Чужая", card=deal)
    request = rf.get("/")
    request.user = manager
    html = Template("{% load tasks %}{% card_tasks deal %}").render(
        Context({"request": request, "deal": deal})
    )
    assert "Открытая" in html and "Чужая" not in html
    assert f"card=deal:{deal.pk}" in html


def test_factory_task_is_visible_to_its_responsible(client, manager):
    task = TaskFactory(responsible=manager)
    client.force_login(manager)
    assert client.get(url("task_detail", task)).status_code == 200


def test_card_tasks_block_reloads_and_hides_invisible_cards(client, manager, stranger):
    deal = DealFactory(responsible=manager)
    hidden = DealFactory(responsible=stranger)
    make(manager, title="По сделке", card=deal)
    client.force_login(manager)
    response = client.get(reverse("tasks:card_tasks"), {"card": f"deal:{deal.pk}"}, **HX)
    assert response.status_code == 200 and "По сделке" in response.content.decode()
    for card in (f"deal:{hidden.pk}", "deal:999999", "ship:1", ""):
        assert client.get(reverse("tasks:card_tasks"), {"card": card}).status_code == 404


def test_every_task_url_with_an_id_is_covered_by_the_404_test():
    from voronka.tasks import urls

    with_id = {p.name for p in urls.urlpatterns if "<int:pk>" in str(p.pattern)}
    assert with_id == {name for name, _method, _data in ID_URLS}


def test_edit_dialog_leaves_the_deadline_to_its_own_dialog(client, manager):
    task = make(manager, deadline=SOON)
    client.force_login(manager)
    dialog = client.get(url("task_edit", task), **HX).content.decode()
    assert 'name="deadline"' not in dialog and 'name="checklist"' not in dialog


def test_admin_pages_open_read_only(client, admin_user, manager):
    task = make(manager, checklist=["a"])
    client.force_login(admin_user)
    for address in (
        reverse("admin:tasks_task_changelist"),
        reverse("admin:tasks_task_change", args=[task.pk]),
        reverse("admin:tasks_taskentry_changelist"),
        reverse("admin:tasks_deadlinechange_changelist"),
    ):
        assert client.get(address).status_code == 200, address
    assert client.get(reverse("admin:tasks_task_add")).status_code == 403


def test_timeline_entry_of_a_task_links_to_it(manager, django_assert_num_queries):
    from django.template import Context, Template

    from voronka.tasks.services import task_change_status
    from voronka.timeline.models import TimelineEntry

    deal = DealFactory(responsible=manager)
    task = make(manager, title="Отправить <договор>", card=deal, deadline=SOON)
    task_change_status(actor=manager, task=task, action="complete", result="Отправил")
    template = Template(
        "{% load tasks %}{% for e in entries %}{% task_timeline_entry e %}{% endfor %}"
    )
    entries = list(TimelineEntry.objects.filter(kind="task", card_id=deal.pk).order_by("pk"))
    with django_assert_num_queries(0):
        html = template.render(Context({"entries": entries}))
    assert html.count(url("task_detail", task)) == 2
    assert "Task created" in html and "Task completed" in html and "Отправил" in html
    assert "&lt;договор&gt;" in html


def test_a_deal_card_shows_its_open_tasks_and_their_lines_in_its_feed(client, manager):
    deal = DealFactory(responsible=manager)
    task = make(manager, title="Позвонить клиенту", card=deal, deadline=SOON)
    client.force_login(manager)
    html = client.get(reverse("sales:deal_detail", args=[deal.pk])).content.decode()
    # The open tasks block above the feed and the feed's own "Task created" line, both linked.
    assert html.count(url("task_detail", task)) >= 2
    assert "Task created" in html
