"""Cursor pages: the next page starts after the last row seen, so no page ever counts the
table (a COUNT over millions of deals costs seconds) and rows added meanwhile never shift it."""

from rest_framework.pagination import CursorPagination


class ApiCursorPagination(CursorPagination):
    page_size = 25
    page_size_query_param = "limit"
    max_page_size = 100
    ordering = "-id"


class FeedCursorPagination(ApiCursorPagination):
    """Newest first, whatever ordering the card list of the same view accepts."""

    ordering = ("-created_at", "-id")

    def get_ordering(self, request, queryset, view):
        return self.ordering
