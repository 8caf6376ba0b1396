"""The kanban boards of leads and deals: columns per open stage, won/lost drop zones, the
filter bar, columns continued on scroll, and the move endpoint shared with the card page."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.access.models import Action, Entity
from voronka.access.predicates import can, hidden_fields, readonly_fields
from voronka.core.exceptions import ConflictError
from voronka.customization.filters import DateInput
from voronka.customization.models import CustomField, FieldType, Source
from voronka.customization.validation import definitions_for
from voronka.sales.filtersets import DealFilterSet, LeadFilterSet
from voronka.sales.models import Deal, Lead, Pipeline, PipelineEntity, Stage, StageKind
from voronka.sales.selectors.boards import (
    BoardColumn,
    active_employees,
    active_sources,
    amount_hidden,
    board_cards,
    board_cursor,
    board_deal,
    board_lead,
    board_pipelines,
    board_stage,
    deal_board,
    deal_column_page,
    lead_board,
    lead_column_page,
    loss_reasons,
    pipeline_is_open,
    pipeline_stages,
    pipelines_exist,
    stage_totals,
)
from voronka.sales.services import deal_move_to_stage, lead_move_to_stage
from voronka.sales.services.deals import DEAL_FIELDS
from voronka.sales.services.leads import LEAD_FIELDS

# Query-string keys that are not filters.
NOT_FILTERS = ("after", "pipeline", "page")
CUSTOM_INPUT_PREFIX = "cf__"


@dataclass(frozen=True)
class Board:
    """What differs between the lead and the deal board."""

    entity: str
    model: type[models.Model]
    filterset: type
    board: object
    column_page: object
    card: object
    move: object
    editable: frozenset

    @property
    def card_url_prefix(self) -> str:
        return "/leads/" if self.entity == PipelineEntity.LEAD else "/deals/"

    def move_url(self, pk: int) -> str:
        return reverse(f"sales:{self.entity}_move", args=[pk])

    def column_url(self, stage: Stage) -> str:
        return reverse(f"sales:{self.entity}_board_column", args=[stage.pk])

    def board_url(self, pipeline: Pipeline) -> str:
        if self.entity == PipelineEntity.LEAD:
            return reverse("sales:lead_board")
        return reverse("sales:deal_board", args=[pipeline.pk])


LEADS = Board(
    entity=PipelineEntity.LEAD,
    model=Lead,
    filterset=LeadFilterSet,
    board=lead_board,
    column_page=lead_column_page,
    card=board_lead,
    move=lead_move_to_stage,
    editable=LEAD_FIELDS,
)
DEALS = Board(
    entity=PipelineEntity.DEAL,
    model=Deal,
    filterset=DealFilterSet,
    board=deal_board,
    column_page=deal_column_page,
    card=board_deal,
    move=deal_move_to_stage,
    editable=DEAL_FIELDS,
)


def _field_rules(kind: Board, user) -> dict:
    """What board cards and column heads leave out: fields hidden from the user (a hidden
    amount takes the column sums with it)."""
    return {
        "hide_amount": amount_hidden(user, kind.model),
        "hidden_fields": hidden_fields(user, kind.entity),
    }


def _filter_query(data: QueryDict) -> QueryDict:
    query = data.copy()
    for key in NOT_FILTERS:
        query.pop(key, None)
    return query


def _filterset(kind: Board, request, data: QueryDict, pipeline: Pipeline | None):
    query = _filter_query(data)
    return kind.filterset(
        query or None,
        queryset=board_cards(user=request.user, entity=kind.entity),
        request=request,
        pipeline=pipeline,
    )


def _cards(filterset):
    """The filtered cards, or None when no filter holds a value (the board then reads its
    columns straight from the stage index)."""
    return filterset.qs if filterset.has_values else None


def _board_context(kind: Board, request, pipeline: Pipeline) -> dict:
    filterset = _filterset(kind, request, request.GET, pipeline)
    cards = _cards(filterset)
    columns: list[BoardColumn] = kind.board(
        user=request.user,
        pipeline=pipeline,
        cards=cards,
        # A text search is costly per row: evaluated once rather than once per column.
        one_pass=cards is not None and bool(filterset.form.cleaned_data.get("q")),
    )
    query = _filter_query(request.GET).urlencode()
    for column in columns:
        column.more_url = None
        if column.count > len(column.cards) and column.cards:
            column.more_url = _more_url(kind, column.stage, query, board_cursor(column.cards[-1]))
    return {
        "kind": kind,
        "entity": kind.entity,
        "pipeline": pipeline,
        "filterset": filterset,
        "open_columns": [c for c in columns if c.stage.kind == StageKind.OPEN],
        "closing_columns": [c for c in columns if c.stage.kind != StageKind.OPEN],
        "board_url": kind.board_url(pipeline),
        "filter_query": query,
        **_field_rules(kind, request.user),
    }


def _more_url(kind: Board, stage: Stage, query: str, after: str) -> str:
    return f"{kind.column_url(stage)}?{query + '&' if query else ''}after={after}"


def _render_board(kind: Board, request, pipeline: Pipeline, pipelines: list[Pipeline]):
    context = _board_context(kind, request, pipeline)
    if request.htmx and request.htmx.target == "board-body":
        return HttpResponse(
            render_to_string("sales/partials/_board_body.html", context, request=request)
        )
    context |= {
        "pipelines": pipelines,
        "create_url": ("/leads/new/" if kind is LEADS else f"/deals/new/?pipeline={pipeline.pk}"),
        # The "+ Deal" button only where the user may add a deal (in this pipeline).
        "can_add": pipeline_is_open(user=request.user, pipeline=pipeline, action=Action.ADD),
        "switch_urls": [(p, _switch_url(kind, p)) for p in pipelines],
    }
    return HttpResponse(render_to_string("sales/board.html", context, request=request))


def _switch_url(kind: Board, pipeline: Pipeline) -> str:
    if kind is LEADS:
        return f"{reverse('sales:lead_board')}?pipeline={pipeline.pk}"
    return reverse("sales:deal_board", args=[pipeline.pk])


def _empty_board(request, kind: Board):
    """No pipeline to show: none exists yet, or the user may see cards of none of them."""
    entity = Entity.LEAD if kind is LEADS else Entity.DEAL
    no_access = not can(request.user, Action.READ, entity) or pipelines_exist(
        user=request.user, entity=kind.entity
    )
    context = {"entity": kind.entity, "no_access": no_access}
    return HttpResponse(render_to_string("sales/board_empty.html", context, request=request))


class LeadBoardView(View):
    """The lead pipeline as a kanban; ``?pipeline=<id>`` picks another lead pipeline."""

    def get(self, request):
        pipelines = board_pipelines(user=request.user, entity=PipelineEntity.LEAD)
        if not pipelines:
            return _empty_board(request, LEADS)
        pipeline = pipelines[0]
        wanted = request.GET.get("pipeline")
        if wanted:
            pipeline = next((p for p in pipelines if str(p.pk) == wanted), None)
            if pipeline is None:
                raise Http404(_("There is no such lead pipeline."))
        return _render_board(LEADS, request, pipeline, pipelines)


class DealBoardDefaultView(View):
    """``/deals/`` opens the board of the first deal pipeline, keeping the filters."""

    def get(self, request):
        pipelines = board_pipelines(user=request.user, entity=PipelineEntity.DEAL)
        if not pipelines:
            return _empty_board(request, DEALS)
        url = reverse("sales:deal_board", args=[pipelines[0].pk])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}" if query else url)


class DealBoardView(View):
    """One deal pipeline as a kanban, with tabs for the other pipelines."""

    def get(self, request, pk: int):
        pipelines = board_pipelines(user=request.user, entity=PipelineEntity.DEAL)
        pipeline = next((p for p in pipelines if p.pk == pk), None)
        if pipeline is None:
            raise Http404(_("There is no such deal pipeline."))
        return _render_board(DEALS, request, pipeline, pipelines)


class _ColumnView(View):
    """The next cards of one column (after ``?after=``), with the filters of the board, as a
    partial: the cards and, when more remain, a new sentinel that loads the next ones."""

    kind: Board

    def get(self, request, stage_pk: int):
        stage = board_stage(user=request.user, pk=stage_pk)
        if (
            stage is None
            or stage.pipeline.entity != self.kind.entity
            or not pipeline_is_open(user=request.user, pipeline=stage.pipeline)
        ):
            raise Http404(_("There is no such stage."))
        filterset = _filterset(self.kind, request, request.GET, stage.pipeline)
        page = self.kind.column_page(
            user=request.user,
            stage=stage,
            cards=_cards(filterset),
            after=request.GET.get("after"),
        )
        query = _filter_query(request.GET).urlencode()
        context = {
            "kind": self.kind,
            "entity": self.kind.entity,
            "cards": page.cards,
            **_field_rules(self.kind, request.user),
            "more_url": (
                _more_url(self.kind, stage, query, page.next_after) if page.next_after else None
            ),
        }
        return HttpResponse(
            render_to_string("sales/partials/_board_more.html", context, request=request)
        )


class LeadColumnView(_ColumnView):
    kind = LEADS


class DealColumnView(_ColumnView):
    kind = DEALS


# --- Moving a card -------------------------------------------------------------------------

# Required-field codes that cannot be typed into the dialog; the card page fills them.
ON_THE_CARD = {"contacts", "product_rows", "company", "contact", "lead", "pipeline"}


def _error_response(message: str, status: int) -> HttpResponse:
    response = HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")
    return trigger_client_event(response, "voronka:toast", {"message": message, "level": "error"})


def _custom_form_field(definition: CustomField, user) -> forms.Field | None:
    label, kind = definition.label, definition.field_type
    if kind == FieldType.STRING:
        return forms.CharField(label=label, max_length=255)
    if kind == FieldType.TEXT:
        return forms.CharField(label=label, widget=forms.Textarea(attrs={"rows": 3}))
    if kind == FieldType.URL:
        return forms.URLField(label=label)
    if kind == FieldType.INTEGER:
        return forms.IntegerField(label=label)
    if kind in (FieldType.DECIMAL, FieldType.MONEY):
        return forms.DecimalField(
            label=label, widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
        )
    if kind == FieldType.DATE:
        return forms.DateField(label=label, widget=DateInput)
    if kind == FieldType.DATETIME:
        return forms.DateTimeField(
            label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
        )
    if kind == FieldType.BOOLEAN:
        return forms.ChoiceField(
            label=label, choices=[("", "—"), ("true", _("Yes")), ("false", _("No"))]
        )
    if kind == FieldType.LIST:
        choices = [(str(option["id"]), option["label"]) for option in definition.options]
        if definition.multiple:
            return forms.MultipleChoiceField(label=label, choices=choices)
        return forms.ChoiceField(label=label, choices=[("", "—"), *choices])
    if kind == FieldType.EMPLOYEE:
        return forms.ModelChoiceField(label=label, queryset=active_employees(user=user))
    return None


def _standard_form_field(model, code: str, user) -> forms.Field | None:
    try:
        field = model._meta.get_field(code)
    except FieldDoesNotExist:
        return None
    label = str(field.verbose_name).capitalize()
    if field.many_to_one:
        related = field.related_model
        if related is get_user_model():
            queryset = active_employees(user=user)
        elif related is Source:
            queryset = active_sources(user=user)
        else:
            return None
        return forms.ModelChoiceField(label=label, queryset=queryset)
    if isinstance(field, models.DateField) and not isinstance(field, models.DateTimeField):
        return forms.DateField(label=label, widget=DateInput)
    if isinstance(field, models.DecimalField):
        return forms.DecimalField(
            label=label, widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"})
        )
    form_field = field.formfield()
    if form_field is not None:
        form_field.label = label
    return form_field


class MoveFieldsForm(forms.Form):
    """Inputs for exactly the fields a move is missing, showing the service's messages.

    The form does not validate: the service does, and its messages are shown as they are.
    """

    def __init__(
        self,
        *args,
        kind: Board,
        errors: dict[str, list[str]],
        user,
        submitted: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.service_errors = errors
        # The first showing is a clean form; only a submit with a field still empty marks it.
        self.submitted = submitted
        self.on_card: list[str] = []
        definitions = definitions_for(kind.entity)
        locked = readonly_fields(user, kind.entity)
        for code, messages in errors.items():
            if code == "loss_reason":
                self.fields["loss_reason"] = forms.ModelChoiceField(
                    label=_("Loss reason"), queryset=loss_reasons(user=user)
                )
                self.fields["loss_comment"] = forms.CharField(
                    label=_("Comment"),
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 2}),
                )
                continue
            if code == "communications":
                self.fields["communications_phone"] = forms.CharField(
                    label=_("Phone"), widget=forms.TextInput(attrs={"type": "tel"})
                )
                self.fields["communications_email"] = forms.EmailField(label=_("E-mail"))
                self._service_error("communications_phone", [_("Enter a phone or an e-mail.")])
                continue
            if code in locked:
                # Hidden from or read-only for the user: named, never typed here.
                field, name = None, code
            elif code in definitions:
                field = _custom_form_field(definitions[code], user)
                name = f"{CUSTOM_INPUT_PREFIX}{code}"
            elif code in ON_THE_CARD:
                field, name = None, code
            else:
                field = _standard_form_field(kind.model, code, user)
                name = code
            if field is None:
                self.on_card.extend(messages)
                continue
            field.required = True
            self.fields[name] = field
            # An empty input is simply required; a typed value keeps the service's reason.
            typed = any(value.strip() for value in self.data.getlist(name)) if self.data else False
            self._service_error(name, messages if typed else [field.error_messages["required"]])
        if "loss_reason" in errors:
            self._service_error(
                "loss_reason", [self.fields["loss_reason"].error_messages["required"]]
            )

    def _service_error(self, name: str, messages: list[str]) -> None:
        if not self.submitted:
            return
        self._errors = self._errors if self._errors is not None else ErrorDict()
        self._errors[name] = self.error_class(messages)

    def full_clean(self):
        if self._errors is None:
            self._errors = ErrorDict()
        self.cleaned_data = {}


def _move_data(kind: Board, stage: Stage, post: QueryDict) -> dict:
    """Values the dialog posted for the target stage's required fields, as the service takes
    them; empty inputs are left out so they are reported as still missing."""
    data: dict = {}
    custom: dict = {}
    definitions = None
    for code in stage.required_fields or []:
        if code == "communications":
            items = [
                {"kind": communication_kind, "value": post.get(f"communications_{key}", "")}
                for key, communication_kind in (("phone", "phone"), ("email", "email"))
                if post.get(f"communications_{key}", "").strip()
            ]
            if items:
                data["communications"] = items
            continue
        custom_key = f"{CUSTOM_INPUT_PREFIX}{code}"
        if custom_key in post:
            if definitions is None:
                definitions = definitions_for(kind.entity)
            definition = definitions.get(code)
            if definition is not None and definition.multiple:
                values = [value for value in post.getlist(custom_key) if value.strip()]
                if values:
                    custom[code] = values
            elif post.get(custom_key, "").strip():
                custom[code] = post[custom_key]
            continue
        if code in kind.editable and post.get(code, "").strip():
            data[code] = post[code]
    if custom:
        data["custom_fields"] = custom
    return data


def _dialog_response(request, kind: Board, card, stage: Stage, errors) -> HttpResponse:
    form = MoveFieldsForm(
        request.POST,
        kind=kind,
        errors=errors,
        user=request.user,
        submitted=request.POST.get("dialog") == "1",
    )
    from_board = request.POST.get("board") == "1"
    context = {
        "card": card,
        "stage": stage,
        "form": form,
        "kind": kind,
        "move_url": kind.move_url(card.pk),
        "version": request.POST.get("version", ""),
        "from_board": from_board,
        "target": f"#{request.htmx.target}" if from_board and request.htmx.target else "",
        "is_lost": stage.kind == StageKind.LOST,
    }
    response = HttpResponse(
        render_to_string("sales/partials/_move_dialog.html", context, request=request),
        status=422,
    )
    response["HX-Retarget"] = "#modal"
    response["HX-Reswap"] = "innerHTML"
    return response


def _totals_html(kind: Board, request, pipeline: Pipeline) -> str:
    """The column heads and zone heads of the board, recounted on the filters the board shows
    (read from the page address htmx sends), as out-of-band swaps."""
    query = QueryDict(urlsplit(request.htmx.current_url or "").query if request.htmx else "")
    filterset = _filterset(kind, request, query, pipeline)
    stages = pipeline_stages(user=request.user, pipeline=pipeline)
    totals = stage_totals(
        kind.model,
        [stage.pk for stage in stages],
        filterset.qs if filterset.is_bound else None,
        user=request.user,
    )
    columns = [
        BoardColumn(stage=stage, count=totals[stage.pk].count, sums=totals[stage.pk].sums, cards=[])
        for stage in stages
    ]
    context = {"columns": columns, **_field_rules(kind, request.user)}
    return render_to_string("sales/partials/_board_totals.html", context, request=request)


def _move(request, kind: Board, pk: int) -> HttpResponse:
    card = kind.card(user=request.user, pk=pk)
    if card is None:
        raise Http404(_("There is no such card."))
    stage = board_stage(user=request.user, pk=request.POST.get("stage"))
    if stage is None or stage.pipeline.entity != kind.entity:
        return _error_response(_("Choose a stage of this pipeline."), 400)
    version_text = request.POST.get("version", "").strip()
    version = None
    if version_text:
        try:
            version = int(version_text)
        except ValueError:
            return _error_response(_("The card version must be a number."), 400)
    loss_reason = request.POST.get("loss_reason") or None
    try:
        kind.move(
            actor=request.user,
            **{kind.entity: card},
            stage=stage,
            data=_move_data(kind, stage, request.POST),
            loss_reason=loss_reason,
            loss_comment=request.POST.get("loss_comment", ""),
            expected_version=version,
        )
    except PermissionDenied:
        return _error_response(_("You may not change this card."), 403)
    except ConflictError as conflict:
        return _error_response(str(conflict.message), 409)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {}
        blocking = [
            message
            for key in ("stage", NON_FIELD_ERRORS, "data")
            for message in errors.get(key, [])
        ]
        if not errors or blocking:
            return _error_response(" ".join(blocking or error.messages), 400)
        return _dialog_response(request, kind, card, stage, errors)

    moved = kind.card(user=request.user, pk=pk)
    if moved is None:
        # Moved out of what the user sees (no longer theirs): the card leaves the board.
        response = HttpResponse("")
        trigger_client_event(response, "voronka:modal-close", {})
        return response
    context = {
        "card": moved,
        "kind": kind,
        "entity": kind.entity,
        **_field_rules(kind, request.user),
    }
    html = render_to_string("sales/partials/_board_card.html", context, request=request)
    if request.POST.get("board") == "1":
        html += _totals_html(kind, request, stage.pipeline)
    response = HttpResponse(html)
    trigger_client_event(
        response,
        "voronka:card-moved",
        {
            "id": moved.pk,
            "stage": moved.stage_id,
            "entity": kind.entity,
            "kind": moved.stage.kind,
            "version": moved.version,
        },
    )
    trigger_client_event(response, "voronka:modal-close", {})
    if moved.stage.kind != StageKind.OPEN:
        trigger_client_event(
            response,
            "voronka:toast",
            {
                "message": _("“%(card)s” moved to “%(stage)s”.")
                % {"card": moved.title, "stage": moved.stage.name},
                "level": "success",
            },
        )
    return response


class LeadMoveView(View):
    """Move a lead to a stage: POST ``stage``, optional ``version``, values of the target
    stage's required fields, ``loss_reason``/``loss_comment`` for a lost stage."""

    def post(self, request, pk: int):
        return _move(request, LEADS, pk)


class DealMoveView(View):
    """Move a deal to a stage; the same contract as ``LeadMoveView``."""

    def post(self, request, pk: int):
        return _move(request, DEALS, pk)
