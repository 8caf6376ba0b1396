"""Actions that make new cards: a linked deal in another pipeline (a lost deal starts a deal in
"Re-warming" at the stage named after its loss reason) and the conversion of a lead into deals.
Both go through the sales services with the system as the actor and are keyed by the run id:
a retried run finds what it made and makes nothing twice."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from voronka.automation.actions.base import Action, ActionSkipped, Outcome, effect_once, register
from voronka.automation.actions.builtin import template_context
from voronka.automation.models import RunEffect
from voronka.automation.templating import render
from voronka.sales.models import Lead, Pipeline, PipelineEntity, Stage, StageKind
from voronka.timeline.models import EntryKind
from voronka.timeline.services import entry_add


def _made_before(run, key: str) -> dict | None:
    """The details of the effect ``key`` when the run has already made it (a retry)."""
    effect = RunEffect.objects.filter(run=run, key=key).first()
    return None if effect is None else effect.details


def _record(run, key: str, details: dict) -> None:
    if not effect_once(run, key, details):
        # Only a second execution of the same run gets here, and it found the effect above.
        raise RuntimeError(f"Robot run {run.pk}: the effect {key} exists already")


def _deal_pipeline(pk) -> Pipeline | None:
    return Pipeline.objects.filter(pk=pk, entity=PipelineEntity.DEAL).first()


def stage_for_loss_reason(pipeline: Pipeline, card) -> Stage | None:
    """The stage of ``pipeline`` named like the card's loss reason (any letter case)."""
    if not card.loss_reason_id:
        return None
    name = card.loss_reason.name.strip().casefold()
    for stage in pipeline.stages.order_by("sort", "pk"):
        if stage.name.strip().casefold() == name:
            return stage
    return None


class CreateLinkedDeal(Action):
    code = "create_linked_deal"
    label = _lazy("Create a linked deal in another pipeline")
    params_schema = {
        "pipeline": {"type": "pipeline", "label": _lazy("Pipeline"), "required": True},
        "by_loss_reason": {
            "type": "boolean",
            "label": _lazy("At the stage named after the loss reason"),
        },
        "stage": {"type": "stage", "label": _lazy("Stage (or when no stage has that name)")},
        "title": {"type": "template", "label": _lazy("Title (the deal's own if empty)")},
    }

    def validate(self, robot, params):
        if robot.pipeline.entity != PipelineEntity.DEAL:
            raise ValidationError({"pipeline": _("Only a deal's robot creates a linked deal.")})
        pipeline = _deal_pipeline(params["pipeline"])
        if pipeline is None:
            raise ValidationError({"pipeline": _("Choose a deal pipeline.")})
        if params.get("stage") and not pipeline.stages.filter(pk=params["stage"]).exists():
            raise ValidationError({"stage": _("Choose a stage of the chosen pipeline.")})

    def perform(self, run, card, params):
        done = _made_before(run, "linked_deal")
        if done is not None:
            return Outcome(_("The linked deal was already created."), done)
        pipeline = _deal_pipeline(params["pipeline"])
        if pipeline is None:
            raise ActionSkipped(_("The chosen pipeline no longer exists."))
        stage, why = None, ""
        if params.get("by_loss_reason"):
            stage = stage_for_loss_reason(pipeline, card)
            if stage is not None:
                why = _("the stage of the loss reason “%(reason)s”") % {"reason": card.loss_reason}
            elif card.loss_reason_id:
                why = _("no stage is named “%(reason)s”") % {"reason": card.loss_reason}
            else:
                why = _("the deal has no loss reason")
        if stage is None and params.get("stage"):
            stage = pipeline.stages.filter(pk=params["stage"]).first()
        from voronka.sales.services import deal_create

        title = render(params.get("title") or "", template_context(card)) or card.title
        data = {
            "title": title[:255],
            "pipeline": pipeline,
            "amount": card.amount,
            "currency": card.currency,
            "company": card.company,
            "responsible": card.responsible,
            "source": card.source,
            "lead": card.lead,
        }
        if stage is not None:
            data["stage"] = stage
            if stage.kind == StageKind.LOST:
                data["loss_reason"] = card.loss_reason
        contacts = [
            {"contact": link.contact, "is_primary": link.is_primary}
            for link in card.contact_links.select_related("contact").order_by(
                "-is_primary", "sort", "pk"
            )
            if not link.contact.is_deleted
        ]
        deal = deal_create(actor=None, data=data, contacts=contacts or None)
        details = {"deal_id": deal.pk, "pipeline_id": pipeline.pk, "stage_id": deal.stage_id}
        _record(run, "linked_deal", details)
        entry_add(
            actor=None,
            card=card,
            kind=EntryKind.LINKED,
            text=_("Linked deal created: “%(title)s” in “%(pipeline)s”, stage “%(stage)s”.")
            % {"title": deal.title, "pipeline": pipeline.name, "stage": deal.stage.name},
            payload={
                "links": [{"entity": "deal", "id": deal.pk, "title": deal.title}],
                "robot_run_id": run.pk,
            },
        )
        entry_add(
            actor=None,
            card=deal,
            kind=EntryKind.LINKED,
            text=_("Created from the deal “%(title)s” (“%(pipeline)s”).")
            % {"title": card.title, "pipeline": card.pipeline.name},
            payload={
                "links": [{"entity": "deal", "id": card.pk, "title": card.title}],
                "robot_run_id": run.pk,
            },
        )
        text = _("Deal “%(title)s” created in “%(pipeline)s”, stage “%(stage)s”.") % {
            "title": deal.title,
            "pipeline": pipeline.name,
            "stage": deal.stage.name,
        }
        if why:
            text = f"{text} " + _("Stage: %(why)s.") % {"why": why}
        return Outcome(text, details)


def conversion_choice(lead: Lead):
    """The contact and company a conversion of ``lead`` reuses, matched as the conversion
    dialog matches them for the lead's responsible: the lead's own, else a contact with one of
    its phones or e-mails and a company with exactly its company name (or, without a name, one
    of its phones or e-mails). None where nothing matches: the conversion creates one."""
    from voronka.sales.selectors.cards import conversion_matches

    contacts, companies = conversion_matches(user=lead.responsible, lead=lead)
    contact = lead.contact if lead.contact_id else (contacts[0] if contacts else None)
    company = lead.company if lead.company_id else None
    if company is None and companies:
        title = lead.company_title.strip().casefold()
        if title:
            company = next((c for c in companies if c.title.strip().casefold() == title), None)
        else:
            company = companies[0]
    return contact, company


class ConvertLead(Action):
    code = "convert_lead"
    label = _lazy("Convert the lead into deals")
    params_schema = {
        "pipelines": {
            "type": "pipelines",
            "label": _lazy("Deal pipelines (the default one if none)"),
        },
        "title": {"type": "template", "label": _lazy("Deal title (the lead's if empty)")},
        "always_new": {
            "type": "boolean",
            "label": _lazy("Always create a new contact and company"),
        },
    }

    def validate(self, robot, params):
        if robot.pipeline.entity != PipelineEntity.LEAD:
            raise ValidationError({"pipelines": _("Only a lead's robot converts a lead.")})
        wanted = params.get("pipelines") or []
        found = Pipeline.objects.filter(pk__in=wanted, entity=PipelineEntity.DEAL).count()
        if found != len(set(wanted)):
            raise ValidationError({"pipelines": _("Choose deal pipelines.")})

    def perform(self, run, card, params):
        done = _made_before(run, "convert")
        if done is not None:
            return Outcome(_("The lead was already converted by this robot."), done)
        if card.converted_at is not None:
            raise ActionSkipped(_("The lead is already converted."))
        from voronka.sales.services import lead_convert
        from voronka.sales.services.pipelines import default_pipeline

        pipelines = list(
            Pipeline.objects.filter(
                pk__in=params.get("pipelines") or [], entity=PipelineEntity.DEAL
            ).order_by("sort", "pk")
        ) or [default_pipeline(PipelineEntity.DEAL)]
        contact = company = None
        if not params.get("always_new"):
            contact, company = conversion_choice(card)
        deal_data = {}
        title = render(params.get("title") or "", template_context(card))
        if title:
            deal_data["title"] = title[:255]
        has_person = bool(card.full_name) or card.communications.exists()
        result = lead_convert(
            actor=None,
            lead=card,
            pipelines=pipelines,
            contact=contact,
            company=company,
            create_contact=has_person,
            deal_data=deal_data,
        )
        details = {
            "deal_ids": [deal.pk for deal in result.deals],
            "contact_id": result.contact.pk if result.contact else None,
            "company_id": result.company.pk if result.company else None,
            "matched_contact": contact is not None,
            "matched_company": company is not None,
        }
        _record(run, "convert", details)
        parts = [
            _("Deals: %(titles)s.")
            % {
                "titles": ", ".join(
                    f"“{deal.title}” ({deal.pipeline.name})" for deal in result.deals
                )
            }
        ]
        if result.contact:
            parts.append(
                (_("Contact found: %(name)s.") if contact else _("Contact created: %(name)s."))
                % {"name": result.contact}
            )
        if result.company:
            parts.append(
                (_("Company found: %(name)s.") if company else _("Company created: %(name)s."))
                % {"name": result.company}
            )
        return Outcome(_("Lead converted.") + " " + " ".join(parts), details)


def register_deal_actions() -> None:
    register(CreateLinkedDeal())
    register(ConvertLead())
