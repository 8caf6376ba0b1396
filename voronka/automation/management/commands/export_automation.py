from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from voronka.automation.transfer import export_json
from voronka.sales.models import Pipeline


def pipeline_named(name: str, entity: str | None = None) -> Pipeline:
    """The one pipeline called ``name`` (of ``entity`` when given); CommandError otherwise."""
    pipelines = Pipeline.objects.filter(name=name)
    if entity:
        pipelines = pipelines.filter(entity=entity)
    found = list(pipelines[:2])
    if not found:
        raise CommandError(f"No pipeline named “{name}”.")
    if len(found) > 1:
        raise CommandError(f"Several pipelines are named “{name}”: add --entity lead or deal.")
    return found[0]


class Command(BaseCommand):
    help = "Write a pipeline's automation (robots, triggers, monitoring rules) as JSON."

    def add_arguments(self, parser):
        parser.add_argument("pipeline", help="Name of the pipeline.")
        parser.add_argument("-o", "--output", help="File to write (default: standard output).")
        parser.add_argument("--entity", choices=("lead", "deal"), help="Lead or deal pipeline.")

    def handle(self, *args, pipeline, output=None, entity=None, **options):
        text = export_json(pipeline_named(pipeline, entity))
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(f"Written to {output}.")
        else:
            self.stdout.write(text, ending="")
