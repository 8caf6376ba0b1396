"""Helpers for wiring views: a visible card or 404, forms that obey field rules."""

import pytest
from django import forms
from django.http import Http404

from voronka.access.forms import apply_field_rules
from voronka.access.models import Action, Entity, FieldAccess, FieldRule, Scope
from voronka.access.predicates import visible_object_or_404
from voronka.access.tests.factories import role_with
from voronka.sales.models import Deal
from voronka.sales.tests.factories import DealFactory, PipelineFactory


class DealForm(forms.ModelForm):
    class Meta:
        model = Deal
        fields = ["title", "amount", "comment"]


def test_hidden_card_answers_404_like_a_missing_one(manager, other_manager):
    role_with((Entity.DEAL, Action.READ, Scope.OWN), members=[manager])
    pipeline = PipelineFactory.with_stages()
    mine = DealFactory(pipeline=pipeline, stage=pipeline.stages.first(), responsible=manager)
    theirs = DealFactory(
        pipeline=pipeline, stage=pipeline.stages.first(), responsible=other_manager
    )
    assert visible_object_or_404(manager, Deal.objects.all(), pk=mine.pk) == mine
    with pytest.raises(Http404):
        visible_object_or_404(manager, Deal.objects.all(), pk=theirs.pk)
    with pytest.raises(Http404):
        visible_object_or_404(manager, Deal.objects.all(), pk=theirs.pk + 1000)
    with pytest.raises(Http404):
        visible_object_or_404(manager, Deal.objects.all(), action=Action.DELETE, pk=mine.pk)


def test_form_drops_hidden_fields_and_locks_read_only_ones(manager, admin_user):
    role = role_with((Entity.DEAL, Action.UPDATE, Scope.OWN), members=[manager])
    FieldRule.objects.create(
        role=role, entity=Entity.DEAL, field="amount", access=FieldAccess.HIDDEN
    )
    FieldRule.objects.create(
        role=role, entity=Entity.DEAL, field="comment", access=FieldAccess.READ_ONLY
    )
    form = apply_field_rules(
        DealForm(
            data={"title": "X", "amount": "999", "comment": "changed"}, initial={"comment": "kept"}
        ),
        user=manager,
        entity=Entity.DEAL,
    )
    assert "amount" not in form.fields
    assert form.fields["comment"].disabled
    assert form.is_valid(), form.errors
    assert form.cleaned_data["comment"] == "kept"
    assert "amount" not in form.cleaned_data
    admin_form = apply_field_rules(DealForm(), user=admin_user, entity=Entity.DEAL)
    assert set(admin_form.fields) == {"title", "amount", "comment"}
