"""Demo data for a Russian digital agency: a seed tool that writes with bulk_create.

It bypasses the services for speed but keeps every invariant they keep (valid custom field
values, one primary contact, amounts equal to product rows, closed_at on closed stages,
a history entry for every created card and stage change).
"""
