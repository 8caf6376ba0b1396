import factory

from voronka.integrations.models import WebhookSubscription


class WebhookSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WebhookSubscription

    name = factory.Sequence(lambda n: f"Hook {n}")
    target_url = "https://hooks.example.com/voronka"
    event_types = factory.LazyFunction(lambda: ["deal.created", "deal.stage_changed"])
