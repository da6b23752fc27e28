"""Pagination: cursors for the long lists (patients, referrals, tasks), pages elsewhere."""

from __future__ import annotations

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable under inserts and constant-time at any depth; ``ordering`` comes from the view
    (and its ``ordering`` query parameter)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


class PageNumberPagination(pagination.PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
