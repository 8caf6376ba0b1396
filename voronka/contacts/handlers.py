"""Derived columns of contacts kept in the transaction that changes the contact."""

from voronka.contacts import events
from voronka.contacts.services.families import contact_address_keys_sync
from voronka.core.events import subscribe


def on_contact_created(event: events.ContactCreated) -> None:
    contact_address_keys_sync(contact_ids=[event.contact_id])


def on_contact_updated(event: events.ContactUpdated) -> None:
    if "address" in event.fields:
        contact_address_keys_sync(contact_ids=[event.contact_id])


def connect() -> None:
    subscribe(events.ContactCreated, on_contact_created, in_transaction=True)
    subscribe(events.ContactUpdated, on_contact_updated, in_transaction=True)
