"""One lead or deal with everything its card shows, in a fixed number of queries."""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q

from voronka.contacts.models import Communication, Company, Contact
from voronka.contacts.selectors.lists import cards_by_communication, company_list, contact_list
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

LOOKUP_LIMIT = 10
CARD_RELATIONS = ("stage", "responsible", "source", "loss_reason", "created_by")


def deal_card(*, user, pk: int) -> Deal | None:
    """A live deal with its stage, pipeline, people, source, company and lead; one query."""
    return (
        Deal.objects.select_related(
            *CARD_RELATIONS,
            "pipeline",
            "company",
            "lead",
            "sales_manager",
            "delivery_manager",
            "head_of_sales",
        )
        .filter(pk=pk)
        .first()
    )


def lead_card(*, user, pk: int) -> Lead | None:
    """A live lead with its stage (and pipeline), people, source, contact and company."""
    return (
        Lead.objects.select_related(*CARD_RELATIONS, "stage__pipeline", "contact", "company")
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


def deal_card_details(*, user, deal: Deal) -> CardDetails:
    """Stages, product rows, custom fields, contacts with their phones and e-mails (and the
    company's): five queries whatever the numbers of rows and contacts."""
    links = deal_contact_links(user=user, deal=deal)
    return CardDetails(
        stages=_stages(deal.pipeline_id),
        product_rows=_product_rows(deal=deal),
        definitions=_definitions("deal"),
        contact_links=links,
        communications=_communications(
            [link.contact for link in links]
            + ([deal.company] if deal.company and not deal.company.is_deleted else [])
        ),
    )


def lead_card_details(*, user, lead: Lead) -> CardDetails:
    """Stages, product rows, custom fields, communications and the deals it became."""
    return CardDetails(
        stages=_stages(lead.stage.pipeline_id),
        product_rows=_product_rows(lead=lead),
        definitions=_definitions("lead"),
        communications=_communications([lead]),
        deals=list(Deal.objects.filter(lead=lead).select_related("stage").order_by("pk")),
    )


def deal_contact_links(*, user, deal: Deal) -> list[DealContact]:
    return list(
        DealContact.objects.filter(deal=deal, contact__deleted_at__isnull=True)
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


def deal_pipelines(*, user) -> list[Pipeline]:
    return list(Pipeline.objects.filter(entity=PipelineEntity.DEAL).order_by("sort", "pk"))


def deal_pipeline(*, user, pk) -> Pipeline | None:
    try:
        return Pipeline.objects.filter(entity=PipelineEntity.DEAL, pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def loss_reasons(*, user) -> list[LossReason]:
    return list(LossReason.objects.filter(is_active=True).order_by("sort", "name"))


def product_lookup(*, user, search: str) -> list[Product]:
    products = Product.objects.filter(is_active=True)
    term = (search or "").strip()
    if term:
        products = products.filter(name__icontains=term) | products.filter(sku__istartswith=term)
    return list(products.order_by("name", "pk")[:LOOKUP_LIMIT])


def company_lookup(*, user, search: str) -> list[Company]:
    return list(company_list(user=user, search=search).order_by("title", "pk")[:LOOKUP_LIMIT])


def contact_lookup(*, user, search: str) -> list[Contact]:
    return list(
        contact_list(user=user, search=search).order_by("last_name", "first_name", "pk")[
            :LOOKUP_LIMIT
        ]
    )


def company_by_id(*, user, pk) -> Company | None:
    try:
        return Company.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def contacts_by_id(*, user, ids) -> dict[int, Contact]:
    clean = [int(value) for value in ids if str(value).isdigit()]
    return {contact.pk: contact for contact in Contact.objects.filter(pk__in=clean)}


def product_by_id(*, user, pk) -> Product | None:
    try:
        return Product.objects.filter(pk=int(pk)).first()
    except (TypeError, ValueError):
        return None


def deal_pipeline_queryset():
    """Deal pipelines for a form's choice (evaluated when the form renders)."""
    return Pipeline.objects.filter(entity=PipelineEntity.DEAL).order_by("sort", "pk")


def conversion_matches(*, user, lead: Lead) -> tuple[list[Contact], list[Company]]:
    """Existing contacts and companies the lead may belong to: the lead's own links, cards
    with one of its phones or e-mails, and companies with its company name."""
    contacts: dict[int, Contact] = {}
    companies: dict[int, Company] = {}
    if lead.contact_id and not lead.contact.is_deleted:
        contacts[lead.contact_id] = lead.contact
    if lead.company_id and not lead.company.is_deleted:
        companies[lead.company_id] = lead.company
    for item in card_communications(user=user, card=lead):
        for card in cards_by_communication(item.kind, item.value):
            if isinstance(card, Contact):
                contacts.setdefault(card.pk, card)
            elif isinstance(card, Company):
                companies.setdefault(card.pk, card)
    if lead.company_title.strip():
        for company in company_list(user=user, search=lead.company_title.strip())[:5]:
            companies.setdefault(company.pk, company)
    return list(contacts.values())[:LOOKUP_LIMIT], list(companies.values())[:LOOKUP_LIMIT]


def lead_has_product_rows(*, user, lead: Lead) -> bool:
    return ProductRow.objects.filter(lead=lead).exists()
