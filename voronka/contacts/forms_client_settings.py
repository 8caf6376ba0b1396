"""The form of the client base settings."""

from django import forms
from django.utils.translation import gettext_lazy as _

from voronka.contacts.models import ClientSettings, DuplicateEntity, DuplicateMode, DuplicateRule

# The rules that make sense for each kind of card.
RULES_BY_ENTITY = {
    DuplicateEntity.LEAD: (
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.PERSON,
        DuplicateRule.COMPANY_NAME,
    ),
    DuplicateEntity.CONTACT: (DuplicateRule.PHONE, DuplicateRule.EMAIL, DuplicateRule.PERSON),
    DuplicateEntity.COMPANY: (
        DuplicateRule.PHONE,
        DuplicateRule.EMAIL,
        DuplicateRule.INN,
        DuplicateRule.INN_KPP,
        DuplicateRule.COMPANY_NAME,
    ),
}


class ClientSettingsForm(forms.Form):
    require_company = forms.BooleanField(
        label=ClientSettings._meta.get_field("require_company").verbose_name,
        help_text=ClientSettings._meta.get_field("require_company").help_text,
        required=False,
    )
    merge_undo_days = forms.IntegerField(
        label=ClientSettings._meta.get_field("merge_undo_days").verbose_name,
        min_value=1,
        max_value=3650,
    )
    ltv_a_share = forms.IntegerField(
        label=ClientSettings._meta.get_field("ltv_a_share").verbose_name,
        min_value=1,
        max_value=99,
        help_text=_("The clients that together bring this share of all LTV."),
    )
    ltv_b_share = forms.IntegerField(
        label=ClientSettings._meta.get_field("ltv_b_share").verbose_name,
        min_value=2,
        max_value=100,
        help_text=_("The next clients up to this share; the rest are C."),
    )

    def __init__(self, *args, settings: ClientSettings, policies: dict, **kwargs):
        initial = {
            "require_company": settings.require_company,
            "merge_undo_days": settings.merge_undo_days,
            "ltv_a_share": settings.ltv_a_share,
            "ltv_b_share": settings.ltv_b_share,
        }
        for entity, rules in RULES_BY_ENTITY.items():
            policy = policies.get(entity)
            initial[f"{entity}_mode"] = policy.mode if policy else DuplicateMode.WARN
            stored = list(policy.rules) if policy else []
            initial[f"{entity}_rules"] = [rule for rule in rules if not stored or rule in stored]
        kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        for entity, rules in RULES_BY_ENTITY.items():
            self.fields[f"{entity}_mode"] = forms.ChoiceField(
                label=_("When a card looks like an existing one"),
                choices=DuplicateMode.choices,
            )
            self.fields[f"{entity}_rules"] = forms.MultipleChoiceField(
                label=_("Look for"),
                choices=[(rule.value, rule.label) for rule in rules],
                widget=forms.CheckboxSelectMultiple,
                required=False,
            )

    def clean(self):
        cleaned = super().clean()
        a_share, b_share = cleaned.get("ltv_a_share"), cleaned.get("ltv_b_share")
        if a_share is not None and b_share is not None and not 0 < a_share < b_share <= 100:
            self.add_error(
                "ltv_b_share", _("Segments A and B together must bring more than segment A.")
            )
        for entity in RULES_BY_ENTITY:
            mode = cleaned.get(f"{entity}_mode")
            if mode and mode != DuplicateMode.ALLOW and not cleaned.get(f"{entity}_rules"):
                self.add_error(f"{entity}_rules", _("Choose at least one rule."))
        return cleaned

    def entity_sections(self):
        """(label, mode field, rules field) per kind of card, for the template."""
        return [
            (label, self[f"{entity}_mode"], self[f"{entity}_rules"])
            for entity, label in DuplicateEntity.choices
        ]

    def values(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in ("require_company", "merge_undo_days", "ltv_a_share", "ltv_b_share")
        }

    def policies(self) -> dict[str, tuple[str, list[str]]]:
        result = {}
        for entity, rules in RULES_BY_ENTITY.items():
            chosen = self.cleaned_data[f"{entity}_rules"]
            # Every rule ticked is stored as "all rules", so rules added later apply too.
            stored = [] if set(chosen) == {rule.value for rule in rules} else list(chosen)
            result[entity] = (self.cleaned_data[f"{entity}_mode"], stored)
        return result
