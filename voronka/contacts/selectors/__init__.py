"""Reads of contacts and companies; one module per area."""

from voronka.contacts.selectors.lists import cards_by_communication, company_list, contact_list

__all__ = ["cards_by_communication", "company_list", "contact_list"]
