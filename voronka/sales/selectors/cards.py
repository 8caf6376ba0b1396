"""One lead or deal with everything its card shows, in a fixed number of queries."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Exists, OuterRef, Q, QuerySet

from voronka.access.models import Action
from voronka.access.predicates import visible_to
from voronka.contacts.duplicates import find_duplicates
from voronka.contacts.duplicates.cards import card_data
from voronka.contacts.models import Communication, Company, Contact
from voronka.contacts.selectors.lists import company_list, contact_list
from voronka.customization.models import CustomField, Source
from voronka.customization.validation import definitions_for
from voronka.sales.models import (
    Deal,
    DealContact,
    Lead,
    LossReason,
    Pipeline,
    PipelineEntity,
    Product,
    ProductRow,
    Stage,
)
from voronka.sales.selectors.boards import open_pipelines

LOOKUP_LIMIT = 10
CARD_RELATIONS = ("stage", "responsible", "source", "loss_reason", "created_by")

# A card shows the cards linked to it (its company, contacts, lead, deals) by name; those the
# user may not see keep their name but lose the link to their card and their phones and
# e-mails. Whether each is visible is an EXISTS annotation on the query that reads it, so it
# costs no query of its own.


def _visible(user, model, column: str = "pk") -> Exists:
    """EXISTS (the ``model`` record the outer row points to with ``column`` is visible)."""
    return Exists(visible_to(user, model.objects.filter(pk=OuterRef(column))))


def deal_card(*, user, pk: int) -> Deal | None:
    """A live deal the user sees, with its stage, pipeline, people, source, company and lead;
    one query (plus the user's rights). None when missing or hidden: the page answers 404
    either way."""
    return (
        visible_to(user, Deal.objects.all())
        .select_related(
            *CARD_RELATIONS,
            "pipeline",
            "company",
            "lead",
            "sales_manager",
            "delivery_manager",
            "head_of_sales",
        )
        .annotate(
            company_visible=_visible(user, Company, "company_id"),
            lead_visible=_visible(user, Lead, "lead_id"),
        )
        .filter(pk=pk)
        .first()
    )


def lead_card(*, user, pk: int) -> Lead | None:
    """A live lead the user sees, with its stage (and pipeline), people, source, contact and
    company; None when missing or hidden."""
    return (
        visible_to(user, Lead.objects.all())
        .select_related(*CARD_RELATIONS, "stage__pipeline", "contact", "company")
        .annotate(
            contact_visible=_visible(user, Contact, "contact_id"),
            company_visible=_visible(user, Company, "company_id"),
        )
        .filter(pk=pk)
        .first()
    )


@dataclass
class CardDetails:
    """What a card shows besides its own columns."""

    stages: list[Stage]
    product_rows: list[ProductRow]
    definitions: list[CustomField]
    contact_links: list[DealContact] = field(default_factory=list)
    communications: dict[tuple[str, int], list[Communication]] = field(default_factory=dict)
    deals: list[Deal] = field(default_factory=list)

    def communications_of(self, card) -> list[Communication]:
        return self.communications.get((card._meta.model_name, card.pk), [])


def _stages(pipeline_id: int) -> list[Stage]:
    return list(Stage.objects.filter(pipeline_id=pipeline_id).order_by("sort", "pk"))


def _product_rows(**owner: Any) -> list[ProductRow]:
    return list(ProductRow.objects.filter(**owner).select_related("product").order_by("sort", "pk"))


def _definitions(entity: str) -> list[CustomField]:
    return sorted(definitions_for(entity).values(), key=lambda item: (item.sort, item.pk))


def _communications(cards: list) -> dict[tuple[str, int], list[Communication]]:
    """Communications of several contacts, companies or leads in one query."""
    wanted: dict[int, list[int]] = {}
    names: dict[int, str] = {}
    for card in cards:
        if card is None:
            continue
        content_type = ContentType.objects.get_for_model(card)
        wanted.setdefault(content_type.pk, []).append(card.pk)
        names[content_type.pk] = card._meta.model_name
    if not wanted:
        return {}
    condition = None
    for type_id, ids in wanted.items():
        part = Q(card_type_id=type_id, card_id__in=ids)
        condition = part if condition is None else condition | part
    result: dict[tuple[str, int], list[Communication]] = {}
    for item in Communication.objects.filter(condition).order_by("kind", "sort", "pk"):
        result.setdefault((names[item.card_type_id], item.card_id), []).append(item)
    return result


def shown_company(card) -> Company | None:
    """The card's company when it is live and the user sees it (as read by ``deal_card`` /
    ``lead_card``); None otherwise."""
    company = card.company if card.company_id else None
    if company is None or company.is_deleted or not getattr(card, "company_visible", False):
        return None
    return company


def deal_card_details(*, user, deal: Deal) -> CardDetails:
    """Stages, product rows, custom fields, contacts with their phones and e-mails (and the
    company's) — of those the user sees: five queries whatever the numbers of rows and
    contacts."""
    links = deal_contact_links(user=user, deal=deal)
    company = shown_company(deal)
    return CardDetails(
        stages=_stages(deal.pipeline_id),
        product_rows=_product_rows(deal=deal),
        definitions=_definitions("deal"),
        contact_links=links,
        communications=_communications(
            [link.contact for link in links if link.contact_visible]
            + ([company] if company else [])
        ),
    )


def lead_card_details(*, user, lead: Lead) -> CardDetails:
    """Stages, product rows, custom fields, communications and the deals it became (each
    with ``visible``: whether the user sees it)."""
    return CardDetails(
        stages=_stages(lead.stage.pipeline_id),
        product_rows=_product_rows(lead=lead),
        definitions=_definitions("lead"),
        communications=_communications([lead]),
        deals=list(
            Deal.objects.filter(lead=lead)
            .annotate(visible=_visible(user, Deal))
            .select_related("stage")
            .order_by("pk")
        ),
    )


def deal_contact_links(*, user, deal: Deal) -> list[DealContact]:
    """The deal's live contacts, each link with ``contact_visible``: whether the user sees
    the contact."""
    return list(
        DealContact.objects.filter(deal=deal, contact__deleted_at__isnull=True)
        .annotate(contact_visible=_visible(user, Contact, "contact_id"))
        .select_related("contact")
        .order_by("-is_primary", "sort", "pk")
    )


def card_product_rows(*, user, card) -> list[ProductRow]:
    return _product_rows(**{"lead" if isinstance(card, Lead) else "deal": card})


def card_communications(*, user, card) -> list[Communication]:
    return _communications([card]).get((card._meta.model_name, card.pk), [])


def card_definitions(*, user, entity: str) -> list[CustomField]:
    return _definitions(entity)


def sources(*, user) -> list[Source]:
    """The source catalogue for a choice (a short list administrators keep)."""
    return list(Source.objects.filter(is_active=True).order_by("sort", "name"))


def deal_pipelines(*, user, action: str = Action.READ) -> list[Pipeline]:
    """Deal pipelines in which the user may ``action`` deals (``Action.ADD``: create them)."""
    return list(deal_pipeline_queryset(user=user, action=action))


def deal_pipeline(*, user, pk, action: str = Action.READ) -> Pipeline | None:
    try:
        return deal_pipeline_queryset(user=user, action=action).filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def loss_reasons(*, user) -> list[LossReason]:
    return list(LossReason.objects.filter(is_active=True).order_by("sort", "name"))


def product_lookup(*, user, search: str) -> list[Product]:
    """Active products matching ``search`` for the product rows editor; none for a user whose
    role does not open the catalogue."""
    products = visible_to(user, Product.objects.filter(is_active=True))
    term = (search or "").strip()
    if term:
        products = products.filter(name__icontains=term) | products.filter(sku__istartswith=term)
    return list(products.order_by("name", "pk")[:LOOKUP_LIMIT])


def company_lookup(*, user, search: str) -> list[Company]:
    """Companies the user sees matching ``search``, for a picker."""
    companies = visible_to(user, company_list(user=user, search=search))
    return list(companies.order_by("title", "pk")[:LOOKUP_LIMIT])


def contact_lookup(*, user, search: str) -> list[Contact]:
    """Contacts the user sees matching ``search``, for a picker."""
    contacts = visible_to(user, contact_list(user=user, search=search))
    return list(contacts.order_by("last_name", "first_name", "pk")[:LOOKUP_LIMIT])


def company_by_id(*, user, pk) -> Company | None:
    """A company the user sees, by id (a picked value); None for anything else."""
    try:
        return visible_to(user, Company.objects.filter(pk=int(pk))).first()
    except (TypeError, ValueError):
        return None


def contacts_by_id(*, user, ids) -> dict[int, Contact]:
    """The contacts among ``ids`` the user sees (picked values), by id."""
    clean = [int(value) for value in ids if str(value).isdigit()]
    contacts = visible_to(user, Contact.objects.filter(pk__in=clean))
    return {contact.pk: contact for contact in contacts}


def product_by_id(*, user, pk) -> Product | None:
    try:
        return visible_to(user, Product.objects.filter(pk=int(pk))).first()
    except (TypeError, ValueError):
        return None


def deal_pipeline_queryset(*, user=None, action: str = Action.READ) -> QuerySet[Pipeline]:
    """Deal pipelines for a form's choice (evaluated when the form renders): those in which
    ``user`` may ``action`` deals; every one without a user (a form's class-level default,
    narrowed in its ``__init__``)."""
    if user is None:
        pipelines = Pipeline.objects.filter(entity=PipelineEntity.DEAL)
    else:
        pipelines = open_pipelines(user=user, entity=PipelineEntity.DEAL, action=action)
    return pipelines.order_by("sort", "pk")


def conversion_matches(*, user, lead: Lead) -> tuple[list[Contact], list[Company]]:
    """Existing contacts and companies the lead may belong to, of those the user sees: the
    lead's own links, then what duplicate control finds for it (``find_duplicates``: its
    phones and e-mails, its person name plus a phone, its company name), best first."""
    contacts: dict[int, Contact] = {}
    companies: dict[int, Company] = {}
    if lead.contact_id and not lead.contact.is_deleted:
        contacts[lead.contact_id] = lead.contact
    if lead.company_id and not lead.company.is_deleted:
        companies[lead.company_id] = lead.company
    for match in find_duplicates("lead", card_data(lead), exclude=lead, limit=2 * LOOKUP_LIMIT):
        if isinstance(match.card, Contact):
            contacts.setdefault(match.card_id, match.card)
        elif isinstance(match.card, Company):
            companies.setdefault(match.card_id, match.card)
    seen_contacts = _visible_ids(user, Contact, contacts)
    seen_companies = _visible_ids(user, Company, companies)
    return (
        [card for pk, card in contacts.items() if pk in seen_contacts][:LOOKUP_LIMIT],
        [card for pk, card in companies.items() if pk in seen_companies][:LOOKUP_LIMIT],
    )


def _visible_ids(user, model, ids) -> set[int]:
    """Which of ``ids`` the user sees; one query (none for no ids)."""
    if not ids:
        return set()
    visible = visible_to(user, model.objects.filter(pk__in=list(ids)))
    return set(visible.values_list("pk", flat=True))


def lead_has_product_rows(*, user, lead: Lead) -> bool:
    return ProductRow.objects.filter(lead=lead).exists()
