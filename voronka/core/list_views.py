"""The views every card list shares: the page (and its results partial), the column chooser,
bulk actions and export. An entity describes itself with a ``CardList`` subclass; its views
are these classes with ``card_list`` set.
"""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django_htmx.http import HttpResponseClientRefresh, trigger_client_event

from voronka.access.models import Action
from voronka.access.predicates import can, entity_of, hidden_fields, visible_to
from voronka.access.services import audit_record
from voronka.core.export import csv_response, xlsx_response
from voronka.core.lists import (
    BulkReport,
    ListSpec,
    capped_count,
    chunks,
    order_by,
    paginate,
    parse_ids,
    parse_sort,
    prepare_columns,
    query_string,
    sort_links,
    table_rows,
)
from voronka.core.preferences import preference_delete, preference_set

# A sane upper bound for one export; a bigger one needs a narrower filter.
EXPORT_LIMIT = 100_000
EXPORT_CHUNK = 1_000
RESULTS_TARGET = "list-results"
LIST_CHANGED = "voronka:list-changed"
# The right each bulk action needs on the list's entity (and, through the service, per card).
BULK_RIGHTS = {"assign": Action.UPDATE, "move": Action.UPDATE, "delete": Action.DELETE}
DENIED_REASONS = {
    Action.UPDATE: gettext_lazy("no rights to change it."),
    Action.DELETE: gettext_lazy("no rights to delete it."),
}


class CardList:
    """How one entity's list behaves. Subclasses set the names and provide the reads (through
    selectors) and the writes (through services)."""

    key = ""  # "contact": URL names <namespace>:<key>_list, _columns, _bulk, _export
    namespace = ""
    title: Any = ""
    file_name = ""  # "contacts" → contacts-2026-11-23.csv
    filterset_class: Any = None
    board_url_name: str | None = None
    new_url_name: str | None = None
    new_url: str | None = None  # used while ``new_url_name`` does not exist yet
    new_label: Any = ""
    actions: tuple[str, ...] = ("assign", "delete")
    search_placeholder: Any = ""

    def __init__(self, request):
        self.request = request
        self.user = request.user
        self._definitions = None
        self._spec: ListSpec | None = None

    # Access rights: what the user may do with this list's cards and which columns they see.
    @property
    def model(self):
        """The card model listed (from the selector's queryset; nothing is read)."""
        return self.queryset().model

    def may(self, action: str) -> bool:
        """Whether the user may ``action`` at least some cards of this list."""
        return can(self.user, action, self.model)

    def bulk_actions(self) -> tuple[str, ...]:
        """The bulk actions offered: those of ``actions`` the user's rights allow."""
        return tuple(
            action for action in self.actions if self.may(BULK_RIGHTS.get(action, Action.UPDATE))
        )

    def bulk_right(self) -> str:
        """The right the asked bulk action needs on each card (its targets are read with it)."""
        data = self.request.POST if self.request.method == "POST" else self.request.GET
        return BULK_RIGHTS.get(data.get("action", ""), Action.UPDATE)

    def hidden_fields(self) -> frozenset[str]:
        return hidden_fields(self.user, entity_of(self.model))

    def allowed_spec(self) -> ListSpec:
        """``spec()`` without the columns of fields hidden from the user — the one place the
        page, the column chooser and the export take their columns from."""
        if self._spec is None:
            self._spec = self.spec().without_fields(self.hidden_fields())
        return self._spec

    # Reads
    def custom_fields(self) -> list:
        raise NotImplementedError

    @property
    def definitions(self) -> list:
        """The custom fields of the list (columns and filters) the user may see."""
        if self._definitions is None:
            hidden = self.hidden_fields()
            self._definitions = [
                definition
                for definition in self.custom_fields()
                if getattr(definition, "code", None) not in hidden
            ]
        return self._definitions

    def spec(self) -> ListSpec:
        raise NotImplementedError

    def queryset(self):
        raise NotImplementedError

    def filterset_kwargs(self) -> dict[str, Any]:
        return {"definitions": self.definitions}

    def filterset(self):
        filterset = self.filterset_class(
            self.request.GET or None,
            queryset=self.queryset(),
            request=self.request,
            **self.filterset_kwargs(),
        )
        # A filter on a hidden field would tell its values one question at a time.
        for name in self.hidden_fields():
            filterset.filters.pop(name, None)
        return filterset

    def cards(self, ids: list[int]) -> list:
        raise NotImplementedError

    def extra_context(self, filterset) -> dict[str, Any]:
        return {}

    # Writes (each through the entity's service)
    def assign(self, card, responsible) -> None:
        raise NotImplementedError

    def delete(self, card) -> None:
        raise NotImplementedError

    def move(self, card, stage, loss_reason) -> None:
        raise NotImplementedError

    def employee(self, pk):
        raise NotImplementedError

    def move_choices(self) -> dict[str, Any]:
        return {}

    def move_target(self, data) -> tuple[Any, Any, dict[str, list[str]]]:
        raise NotImplementedError

    # Addresses
    def url(self, name: str) -> str:
        return reverse(f"{self.namespace}:{self.key}_{name}")

    def urls(self) -> dict[str, str]:
        urls = {name: self.url(name) for name in ("list", "columns", "bulk")}
        urls["export_csv"] = reverse(f"{self.namespace}:{self.key}_export", args=["csv"])
        urls["export_xlsx"] = reverse(f"{self.namespace}:{self.key}_export", args=["xlsx"])
        urls["board"] = reverse(self.board_url_name) if self.board_url_name else None
        urls["new"] = self._new_url() if self.may(Action.ADD) else None
        if not self.may(Action.EXPORT):
            urls["export_csv"] = urls["export_xlsx"] = None
        # Every card list (contacts, companies, leads, deals) is also a kind of import.
        urls["import"] = (
            reverse("imports:upload", args=[self.key]) if self.may(Action.IMPORT) else None
        )
        urls["responsible_options"] = reverse("contacts:responsible_options")
        return urls

    def _new_url(self) -> str | None:
        if self.new_url_name:
            try:
                return reverse(self.new_url_name)
            except NoReverseMatch:
                pass
        return self.new_url


class CardListMixin:
    card_list: type[CardList]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.list = self.card_list(request)


def headers(columns, sorting, params) -> list[dict[str, Any]]:
    """Each visible column's head: its label and, when sortable, the query string a click
    asks for and the current direction."""
    links = sort_links(columns, sorting, params)
    return [
        {
            "column": column,
            "query": links.get(column.key),
            "direction": (
                ("desc" if sorting.descending else "asc") if column.key == sorting.key else ""
            ),
        }
        for column in columns
    ]


class CardListView(CardListMixin, View):
    """The list page; an htmx request aimed at the results returns only them."""

    template_name = "core/list.html"
    results_template_name = "core/partials/_list_results.html"

    def get(self, request, *args, **kwargs):
        card_list = self.list
        filterset = card_list.filterset()
        spec = card_list.allowed_spec()
        sorting = parse_sort(spec, request.GET.get("sort"))
        columns = spec.visible_for(request.user)
        page = paginate(filterset.qs, spec, sorting, after=request.GET.get("after"))
        params = request.GET
        selected = []
        if filterset.is_bound and hasattr(filterset.form, "cleaned_data"):
            selected = list(filterset.form.cleaned_data.get("responsible") or [])
        context = {
            "selected_responsible": selected,
            "list": card_list,
            "urls": card_list.urls(),
            "filterset": filterset,
            "columns": columns,
            "sorting": sorting,
            "headers": headers(columns, sorting, params),
            "page": page,
            "rows": table_rows(columns, page.rows),
            # Filters and sort without the page: export, the first page.
            "query": query_string(params, after=None, page=None),
            "current_query": query_string(params, page=None),
            "bulk_actions": card_list.bulk_actions(),
            "next_query": query_string(params, after=page.next_cursor, page=None),
            **card_list.extra_context(filterset),
        }
        if request.htmx and request.htmx.target == RESULTS_TARGET:
            return render(request, self.results_template_name, context)
        return render(request, self.template_name, context)


class ListColumnsView(CardListMixin, View):
    """The column chooser: a dialog with every column; the choice is kept per employee."""

    template_name = "core/list_columns.html"

    def get(self, request, *args, **kwargs):
        spec = self.list.allowed_spec()
        visible = {column.key for column in spec.visible_for(request.user)}
        return render(
            request,
            self.template_name,
            {"list": self.list, "urls": self.list.urls(), "spec": spec, "visible": visible},
        )

    def post(self, request, *args, **kwargs):
        spec = self.list.allowed_spec()
        if "reset" in request.POST:
            preference_delete(user=request.user, key=spec.preference_key)
        else:
            keys = spec.clean_keys([*request.POST.getlist("columns"), *spec.fixed])
            preference_set(user=request.user, key=spec.preference_key, value=keys)
        back = self.list.url("list")
        next_query = request.POST.get("query", "")
        if next_query:
            back = f"{back}?{next_query}"
        if request.htmx:
            return HttpResponseClientRefresh()
        return HttpResponseRedirect(back)


ACTION_TITLES = {
    "assign": gettext_lazy("Assign responsible"),
    "move": gettext_lazy("Move to stage"),
    "delete": gettext_lazy("Delete"),
}


class ListBulkView(CardListMixin, View):
    """Bulk actions on the chosen cards: GET asks (a dialog), POST does it card by card,
    each card through its service in its own transaction, and reports what failed and why."""

    template_name = "core/list_bulk.html"

    def _context(self, action: str, ids: list[int], **extra) -> dict[str, Any]:
        context = {
            "list": self.list,
            "urls": self.list.urls(),
            "action": action,
            "action_title": ACTION_TITLES.get(action, ""),
            "ids": ids,
            "errors": {},
        }
        if action == "move":
            context.update(self.list.move_choices())
        context.update(extra)
        return context

    def _action(self, data) -> str | None:
        """The asked action; an action the user's rights don't allow at all is a 403."""
        action = data.get("action", "")
        if action not in self.list.actions:
            return None
        if action not in self.list.bulk_actions():
            raise PermissionDenied
        return action

    def get(self, request, *args, **kwargs):
        action = self._action(request.GET)
        if action is None:
            raise Http404
        ids = parse_ids(request.GET.getlist("ids"))
        context = self._context(action, ids)
        if not ids:
            context["errors"] = {"ids": [_("Select at least one card in the list.")]}
            return render(request, self.template_name, context, status=422)
        return render(request, self.template_name, context)

    def post(self, request, *args, **kwargs):
        action = self._action(request.POST)
        if action is None:
            raise Http404
        ids = parse_ids(request.POST.getlist("ids"))
        errors: dict[str, list[str]] = {}
        if not ids:
            errors["ids"] = [_("Select at least one card in the list.")]
        report = BulkReport()
        if action == "assign":
            responsible = self.list.employee(request.POST.get("responsible"))
            if responsible is None:
                errors["responsible"] = [_("Choose an active employee.")]
            if not errors:
                report.run(
                    self.list.cards(ids),
                    lambda card: self.list.assign(card, responsible),
                    DENIED_REASONS[Action.UPDATE],
                )
            verb = _("Assigned")
        elif action == "move":
            stage, loss_reason, move_errors = self.list.move_target(request.POST)
            errors.update(move_errors)
            if not errors:
                report.run(
                    self.list.cards(ids),
                    lambda card: self.list.move(card, stage, loss_reason),
                    DENIED_REASONS[Action.UPDATE],
                )
            verb = _("Moved")
        else:
            if request.POST.get("confirmed") != "1":
                errors["confirmed"] = [_("Confirm moving the cards to the recycle bin.")]
            if not errors:
                report.run(self.list.cards(ids), self.list.delete, DENIED_REASONS[Action.DELETE])
            verb = _("Moved to the recycle bin")
        if errors:
            context = self._context(action, ids, errors=errors, data=request.POST)
            return render(request, self.template_name, context, status=422)
        missing = len(ids) - len(report.done) - len(report.failed)
        if missing > 0:
            report.failed.append(
                (
                    _("%(count)d more") % {"count": missing},
                    _("not found: deleted, or you have no rights to it."),
                )
            )
        summary = report.summary(verb)
        if report.failed:
            response = render(
                request,
                "core/list_bulk_report.html",
                {"summary": summary, "report": report, "action_title": ACTION_TITLES[action]},
            )
        else:
            response = HttpResponse("")
            trigger_client_event(response, "voronka:modal-close", {})
        trigger_client_event(
            response,
            "voronka:toast",
            {"message": summary, "level": "error" if report.failed else "success"},
        )
        trigger_client_event(response, LIST_CHANGED, {})
        return response


class ListExportView(CardListMixin, View):
    """The current filter and sort, all pages, the visible columns, as CSV or XLSX.

    Needs the export right: the rows are the listed ones (read scope) the user may also
    export (export scope), the columns those they may see; each export is written to the
    audit log."""

    def get(self, request, file_format: str, *args, **kwargs):
        if file_format not in ("csv", "xlsx"):
            raise Http404
        card_list = self.list
        if not card_list.may(Action.EXPORT):
            raise PermissionDenied
        filterset = card_list.filterset()
        spec = card_list.allowed_spec()
        sorting = parse_sort(spec, request.GET.get("sort"))
        columns = spec.export_columns(spec.visible_for(request.user))
        exported = visible_to(request.user, filterset.qs, action=Action.EXPORT)
        count, _capped = capped_count(exported, EXPORT_LIMIT)
        audit_record(
            action="export",
            actor=request.user,
            request=request,
            object_type=card_list.model._meta.label_lower,
            details={
                "format": file_format,
                "rows": count,
                "filters": request.META.get("QUERY_STRING", ""),
            },
        )
        queryset = order_by(exported, spec, sorting)[:EXPORT_LIMIT]
        header = [str(column.label) for column in columns]

        def rows():
            for chunk in chunks(queryset.iterator(chunk_size=EXPORT_CHUNK), EXPORT_CHUNK):
                prepare_columns(columns, chunk)
                for row in chunk:
                    yield [column.value(row) for column in columns]

        filename = f"{card_list.file_name}-{timezone.localdate().isoformat()}.{file_format}"
        if file_format == "csv":
            return csv_response(filename, header, rows())
        return xlsx_response(filename, header, rows(), title=str(card_list.title))
