"""Card sections edited in place: a titled panel of label/value rows that swaps for its form.

A card page lists its sections; each section is served by one ``SectionView`` subclass:

* ``GET <url>`` renders the read-only section, ``GET <url>?edit=1`` renders its form;
* ``POST <url>`` validates the form and calls ``save()`` (a service); success renders the
  read-only section again (200 plus the ``voronka:card-changed`` event so the head and the
  timeline refresh), problems re-render the form with status 422, a stale version with 409.

The page builds the read-only sections with ``SectionView.build(request, card)`` and includes
``{% include section.template_name %}`` for each; the shared template is
``cards/_section.html`` (blocks ``section_body`` and ``section_form``).
"""

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.views import View
from django_htmx.http import trigger_client_event

from voronka.core.exceptions import ConflictError

CARD_CHANGED_EVENT = "voronka:card-changed"


@dataclass
class Row:
    """One line of a read-only section; ``value`` is text (escaped) or safe HTML."""

    label: Any
    value: Any = None
    wide: bool = False


@dataclass
class Section:
    slug: str
    title: Any
    url: str
    template_name: str
    card: Any = None
    rows: list[Row] = field(default_factory=list)
    form: forms.BaseForm | None = None
    editable: bool = True
    version: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dom_id(self) -> str:
        return f"section-{self.slug}"


def add_service_errors(form: forms.BaseForm, error: ValidationError, prefix: str = "") -> None:
    """Put a service's ``{field: [messages]}`` on the form: known fields get their messages,
    the rest become form-wide errors naming the field."""
    if not hasattr(error, "error_dict"):
        for message in error.messages:
            form.add_error(None, message)
        return
    for key, messages in error.message_dict.items():
        name = key.removeprefix(prefix) if prefix else key
        name = name.removeprefix("custom_fields.")
        if name in form.fields and name != NON_FIELD_ERRORS:
            for message in messages:
                form.add_error(name, message)
        else:
            for message in messages:
                form.add_error(None, message)


def parse_version(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class SectionView(View):
    """Serve one section of a card: read-only, its form, and saving it through a service.

    Subclasses set ``slug``, ``title``, ``url_name`` (kwargs from ``url_kwargs``),
    ``form_class`` and implement ``get_card()`` (404 when missing), ``get_rows()`` (or a
    ``template_name`` with its own ``section_body``), ``get_initial()`` and ``save()``.
    """

    slug = ""
    title: Any = ""
    url_name = ""
    template_name = "cards/_section.html"
    form_class: type[forms.BaseForm] | None = None
    http_method_names = ["get", "post"]

    # --- to override -------------------------------------------------------------------
    def get_card(self):
        raise NotImplementedError

    def url_kwargs(self, card) -> dict[str, Any]:
        return {"pk": card.pk}

    def is_editable(self, card) -> bool:
        return self.form_class is not None

    def may_change(self, card) -> bool:
        """Whether the user may change the card (access rights): without it the section has
        no "Edit" and a POST is refused with 403."""
        return True

    def get_rows(self, card) -> list[Row]:
        return []

    def get_extra(self, card) -> dict[str, Any]:
        return {}

    def get_initial(self, card) -> dict[str, Any]:
        return {}

    def get_form_kwargs(self, card) -> dict[str, Any]:
        return {}

    def save(self, form, card, expected_version: int | None):
        """Write through a service; raise ValidationError / ConflictError as services do."""
        raise NotImplementedError

    # --- machinery -------------------------------------------------------------------------
    @classmethod
    def build(cls, request, card, **kwargs) -> Section:
        """The read-only section for a card page."""
        view = cls()
        view.setup(request, **kwargs)
        return view.section(card)

    def get_form(self, card, data=None):
        assert self.form_class is not None
        return self.form_class(
            data=data, initial=self.get_initial(card), **self.get_form_kwargs(card)
        )

    def section(self, card, form=None) -> Section:
        return Section(
            slug=self.slug,
            title=self.title,
            url=reverse(self.url_name, kwargs=self.url_kwargs(card)),
            template_name=self.template_name,
            card=card,
            rows=[] if form is not None else self.get_rows(card),
            form=form,
            editable=self.is_editable(card) and self.may_change(card),
            version=getattr(card, "version", None),
            extra=self.get_extra(card),
        )

    def render(self, card, form=None, status: int = 200) -> HttpResponse:
        section = self.section(card, form)
        html = render_to_string(
            section.template_name, {"section": section, "card": card}, request=self.request
        )
        return HttpResponse(html, status=status)

    def get(self, request, *args, **kwargs):
        card = self.get_card()
        if request.GET.get("edit") and self.is_editable(card) and self.may_change(card):
            return self.render(card, self.get_form(card))
        return self.render(card)

    def post(self, request, *args, **kwargs):
        card = self.get_card()
        if not self.is_editable(card):
            raise Http404
        if not self.may_change(card):
            raise PermissionDenied
        form = self.get_form(card, data=request.POST)
        if not form.is_valid():
            return self.render(card, form, status=422)
        try:
            card = self.save(form, card, parse_version(request.POST.get("version")))
        except ValidationError as error:
            add_service_errors(form, error)
            return self.render(card, form, status=422)
        except ConflictError as error:
            form.add_error(None, str(error.message))
            return self.render(card, form, status=409)
        response = self.render(card)
        trigger_client_event(response, CARD_CHANGED_EVENT, {"section": self.slug})
        return response


@dataclass
class LookupItem:
    value: Any
    label: str
    hint: str = ""
    data: dict[str, Any] = field(default_factory=dict)


class LookupWidget(forms.Widget):
    """A typeahead picker: a hidden input with the chosen id and a search box that asks
    ``url_name`` (a view answering ``?q=`` with ``cards/widgets/_lookup_results.html``).

    The form sets ``widget.label`` to the current value's text; ``label_of(value)`` is the
    fallback when a posted form is shown again."""

    template_name = "cards/widgets/lookup.html"

    def __init__(self, url_name: str, label_of=None, attrs=None):
        super().__init__(attrs)
        self.url_name = url_name
        self.label_of = label_of
        self.label = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        label = self.label
        if value not in (None, "") and not label and self.label_of is not None:
            label = self.label_of(value) or ""
        context["widget"].update(
            url=reverse(self.url_name), label=label, aria_label=self.attrs.get("aria-label", "")
        )
        return context


def lookup_response(request, items: list[LookupItem]) -> HttpResponse:
    return HttpResponse(
        render_to_string("cards/widgets/_lookup_results.html", {"items": items}, request=request)
    )
