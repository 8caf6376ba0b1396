"""Writes for contacts and companies; every other app calls these, never the models."""

from voronka.contacts.services.communications import communications_clean, communications_set
from voronka.contacts.services.companies import (
    company_create,
    company_delete,
    company_restore,
    company_update,
)
from voronka.contacts.services.contacts import (
    contact_create,
    contact_delete,
    contact_link_company,
    contact_restore,
    contact_unlink_company,
    contact_update,
)

__all__ = [
    "communications_clean",
    "communications_set",
    "company_create",
    "company_delete",
    "company_restore",
    "company_update",
    "contact_create",
    "contact_delete",
    "contact_link_company",
    "contact_restore",
    "contact_unlink_company",
    "contact_update",
]
