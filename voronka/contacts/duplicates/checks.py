"""The duplicate policy applied to a write: block, ask, or let it through and record it."""

from dataclasses import dataclass
from typing import Any, Literal

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from voronka.access.predicates import visible_to
from voronka.access.services import audit_record
from voronka.contacts.duplicates.finder import Match, find_duplicates, model_of
from voronka.contacts.duplicates.policy import policy_for
from voronka.contacts.models import DuplicateEntity, DuplicateMode, DuplicateRule
from voronka.timeline.services import entry_add

OnDuplicate = Literal["ask", "record"]
ON_DUPLICATE_VALUES = ("ask", "record")
# The timeline entry kind of a card written despite possible duplicates.
ENTRY_KIND = "duplicates"
AUDIT_ACTION = "duplicates.accepted"

# Sentences per entity of the existing card and rule: "A contact with this phone already
# exists: Иванов Пётр (#12)".
_ALREADY_EXISTS = {
    (DuplicateEntity.LEAD, DuplicateRule.PHONE): gettext_lazy(
        "A lead with this phone already exists: %(card)s"
    ),
    (DuplicateEntity.CONTACT, DuplicateRule.PHONE): gettext_lazy(
        "A contact with this phone already exists: %(card)s"
    ),
    (DuplicateEntity.COMPANY, DuplicateRule.PHONE): gettext_lazy(
        "A company with this phone already exists: %(card)s"
    ),
    (DuplicateEntity.LEAD, DuplicateRule.EMAIL): gettext_lazy(
        "A lead with this e-mail already exists: %(card)s"
    ),
    (DuplicateEntity.CONTACT, DuplicateRule.EMAIL): gettext_lazy(
        "A contact with this e-mail already exists: %(card)s"
    ),
    (DuplicateEntity.COMPANY, DuplicateRule.EMAIL): gettext_lazy(
        "A company with this e-mail already exists: %(card)s"
    ),
    (DuplicateEntity.COMPANY, DuplicateRule.INN): gettext_lazy(
        "A company with this INN already exists: %(card)s"
    ),
    (DuplicateEntity.COMPANY, DuplicateRule.INN_KPP): gettext_lazy(
        "A company with this INN and KPP already exists: %(card)s"
    ),
    (DuplicateEntity.COMPANY, DuplicateRule.COMPANY_NAME): gettext_lazy(
        "A company with a similar name already exists: %(card)s"
    ),
    (DuplicateEntity.CONTACT, DuplicateRule.PERSON): gettext_lazy(
        "A contact with this name and phone already exists: %(card)s"
    ),
}
_DETAIL_URLS = {
    DuplicateEntity.LEAD: "sales:lead_detail",
    DuplicateEntity.CONTACT: "contacts:contact_detail",
    DuplicateEntity.COMPANY: "contacts:company_detail",
}


def field_of(entity: str, rule: str) -> str:
    """The field of the card being written a rule's error belongs to (service keys)."""
    if rule in (DuplicateRule.PHONE, DuplicateRule.EMAIL):
        return "communications"
    if rule in (DuplicateRule.INN, DuplicateRule.INN_KPP):
        return "inn"
    if rule == DuplicateRule.COMPANY_NAME:
        return "company_title" if entity == DuplicateEntity.LEAD else "title"
    return "last_name"


def card_title(card: models.Model) -> str:
    if hasattr(card, "full_name") and not hasattr(card, "title"):
        return card.full_name or f"#{card.pk}"
    return str(getattr(card, "title", "") or card)


@dataclass(frozen=True)
class DuplicateNotice:
    """A match as the acting user may be shown it: with its title and link when they see the
    card, otherwise only that it exists and whose it is."""

    match: Match
    visible: bool
    title: str
    url: str
    responsible: str

    @property
    def rule_label(self) -> str:
        return str(DuplicateRule(self.match.rule).label)

    @property
    def entity_label(self) -> str:
        return str(DuplicateEntity(self.match.entity).label)

    @property
    def text(self) -> str:
        if self.visible:
            return _("%(title)s (#%(id)s)") % {"title": self.title, "id": self.match.card_id}
        return _("a card you have no access to, responsible: %(name)s") % {"name": self.responsible}

    @property
    def sentence(self) -> str:
        template = _ALREADY_EXISTS.get((self.match.entity, self.match.rule))
        if template is None:
            return _("A possible duplicate already exists: %(card)s") % {"card": self.text}
        return str(template) % {"card": self.text}

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "entity": self.match.entity,
            "rule": self.match.rule,
            "score": self.match.score,
            "visible": self.visible,
            "responsible": self.responsible,
            "message": self.sentence,
        }
        if self.visible:
            data.update(id=self.match.card_id, title=self.title, value=self.match.value)
        return data


def _visible_ids(actor, matches: list[Match]) -> set[tuple[str, int]]:
    """Which matched cards the actor sees: one query per entity among the matches."""
    by_entity: dict[str, list[int]] = {}
    for match in matches:
        by_entity.setdefault(match.entity, []).append(match.card_id)
    if actor is None:
        return {(m.entity, m.card_id) for m in matches}
    seen: set[tuple[str, int]] = set()
    for entity, ids in by_entity.items():
        query = visible_to(actor, model_of(entity).objects.filter(pk__in=ids))
        seen.update((entity, pk) for pk in query.values_list("pk", flat=True))
    return seen


def _responsible_name(card: models.Model) -> str:
    user = getattr(card, "responsible", None)
    if user is None:
        return "—"
    return user.get_full_name() or user.get_username()


def duplicate_notices(actor, matches: list[Match]) -> list[DuplicateNotice]:
    """``matches`` described for ``actor`` (a card they may not see keeps its data hidden)."""
    seen = _visible_ids(actor, matches)
    notices = []
    for match in matches:
        visible = (match.entity, match.card_id) in seen
        notices.append(
            DuplicateNotice(
                match=match,
                visible=visible,
                title=card_title(match.card) if visible else "",
                url=reverse(_DETAIL_URLS[match.entity], args=[match.card_id]) if visible else "",
                responsible=_responsible_name(match.card),
            )
        )
    return notices


class DuplicatesFound(ValidationError):
    """The policy warns and the caller asked to be asked: ``matches`` (and ``notices``, as
    the actor may see them) are what the card looks like. Submitting again with
    ``on_duplicate="record"`` writes the card and records the decision."""

    def __init__(self, entity: str, matches: list[Match], notices: list[DuplicateNotice]):
        self.entity = entity
        self.matches = matches
        self.notices = notices
        super().__init__(
            {NON_FIELD_ERRORS: [_("This may be a duplicate of an existing card.")]},
            code="duplicates",
        )


class DuplicateBlocked(ValidationError):
    """The policy blocks: ``{field: [sentence naming the matching card]}``, with the
    ``notices`` behind it for forms that place them at their own fields."""

    def __init__(self, entity: str, notices: list[DuplicateNotice]):
        self.entity = entity
        self.notices = notices
        errors: dict[str, list[str]] = {}
        for notice in notices:
            field = field_of(entity, notice.match.rule)
            # One card per field is enough to say why; the rest would only repeat it.
            if field not in errors:
                errors[field] = [notice.sentence]
        super().__init__(errors, code="duplicate")


def _blocks(entity: str, matched: str) -> bool:
    """Whether a match of ``matched`` cards stops a ``entity`` card under "block": a contact or
    company is a duplicate of its own kind; a lead of anything (the client exists already). A
    contact whose phone only an open lead has is warned about, not refused — converting one of
    two leads of a person must stay possible."""
    return entity == DuplicateEntity.LEAD or matched == entity


def check_duplicates(
    entity: str,
    data: dict[str, Any],
    *,
    actor,
    exclude: Any = None,
    on_duplicate: OnDuplicate = "record",
) -> list[Match]:
    """Apply the policy of ``entity`` to a card about to hold ``data`` (see
    ``find_duplicates`` for the keys). Call before writing, once the card is otherwise valid.

    * allow: nothing is looked up; returns [].
    * block: ValidationError naming the field and the matching card, on every path (only
      warned about when the matches are all leads and the card is not one).
    * warn: with ``on_duplicate="ask"`` raises ``DuplicatesFound``; with ``"record"`` returns
      the matches, which the service passes to ``record_duplicates`` after writing.

    A card the actor may not see still counts; it is described without its data.
    """
    if on_duplicate not in ON_DUPLICATE_VALUES:
        raise ValueError(f"on_duplicate must be one of {ON_DUPLICATE_VALUES}")
    policy = policy_for(entity)
    if policy.mode == DuplicateMode.ALLOW:
        return []
    matches = find_duplicates(entity, data, exclude=exclude, rules=policy.rules or None)
    if not matches:
        return []
    if policy.mode == DuplicateMode.BLOCK:
        blocking = [match for match in matches if _blocks(entity, match.entity)]
        if blocking:
            raise DuplicateBlocked(entity, duplicate_notices(actor, blocking))
    if on_duplicate == "ask":
        raise DuplicatesFound(entity, matches, duplicate_notices(actor, matches))
    return matches


def record_duplicates(*, actor, card: models.Model, matches: list[Match], created: bool) -> None:
    """A card was written despite ``matches``: a timeline entry on it (links to the matches by
    id, no data of theirs) and an audit event. Call in the writing transaction."""
    if not matches:
        return
    items = [
        {"entity": m.entity, "id": m.card_id, "rule": m.rule, "score": m.score} for m in matches
    ]
    text = (
        _("Created despite possible duplicates")
        if created
        else _("Changed despite possible duplicates")
    )
    entry_add(
        actor=actor,
        card=card,
        kind=ENTRY_KIND,
        text=text,
        payload={"created": created, "matches": items},
    )
    audit_record(
        action=AUDIT_ACTION,
        actor=actor,
        obj=card,
        details={"created": created, "matches": items},
    )
