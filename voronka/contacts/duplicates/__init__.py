"""Duplicate control of leads, contacts and companies on every path that writes them.

``find_duplicates`` looks up existing cards by normalised identifiers through indexes;
``check_duplicates`` applies the entity's policy (block, warn, allow) to a write;
``record_duplicates`` notes a card written despite a warning; ``policy_for`` reads a policy.
"""

from voronka.contacts.duplicates.checks import (
    ON_DUPLICATE_VALUES,
    DuplicateBlocked,
    DuplicateNotice,
    DuplicatesFound,
    OnDuplicate,
    check_duplicates,
    duplicate_notices,
    record_duplicates,
)
from voronka.contacts.duplicates.finder import (
    COMPANY_NAME_THRESHOLD,
    Identifiers,
    Match,
    company_name_score,
    find_duplicates,
    identifiers_of,
)
from voronka.contacts.duplicates.policy import connect, policies_cached, policy_for

__all__ = [
    "COMPANY_NAME_THRESHOLD",
    "ON_DUPLICATE_VALUES",
    "DuplicateBlocked",
    "DuplicateNotice",
    "DuplicatesFound",
    "Identifiers",
    "Match",
    "OnDuplicate",
    "check_duplicates",
    "company_name_score",
    "connect",
    "duplicate_notices",
    "find_duplicates",
    "identifiers_of",
    "policies_cached",
    "policy_for",
    "record_duplicates",
]
