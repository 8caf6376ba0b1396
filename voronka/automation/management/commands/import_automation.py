from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from voronka.automation.management.commands.export_automation import pipeline_named
from voronka.automation.transfer import import_pipeline, parse_document


class Command(BaseCommand):
    help = (
        "Read a pipeline's automation from a JSON file written by export_automation: replace "
        "what the pipeline has (default) or merge into it. Nothing is written when anything in "
        "the file is wrong."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The JSON file.")
        parser.add_argument("--pipeline", required=True, help="Name of the pipeline to fill.")
        parser.add_argument("--entity", choices=("lead", "deal"), help="Lead or deal pipeline.")
        parser.add_argument(
            "--merge", action="store_true", help="Add and update only; delete nothing."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and say what would change."
        )

    def handle(self, *args, file, pipeline, entity=None, merge=False, dry_run=False, **options):
        target = pipeline_named(pipeline, entity)
        try:
            raw = Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from None
        data, errors = parse_document(raw)
        if not errors:
            report = import_pipeline(
                actor=None,
                pipeline=target,
                data=data,
                mode="merge" if merge else "replace",
                dry_run=dry_run,
            )
            errors = report.errors
        if errors:
            raise CommandError(
                "Nothing was imported:\n" + "\n".join(f"  {error}" for error in errors)
            )
        verb = "would be" if dry_run else "were"
        for title, changes in (
            ("created", report.created),
            ("updated", report.updated),
            ("deleted", report.deleted),
        ):
            for change in changes:
                where = f" on “{change.stage}”" if change.stage else ""
                self.stdout.write(f"{title}: {change.section} “{change.name}”{where}")
        self.stdout.write(
            f"{len(report.created)} {verb} created, {len(report.updated)} updated, "
            f"{len(report.deleted)} deleted."
        )
