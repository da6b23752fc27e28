"""Pages of patients whose count stays cheap over a million rows."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_LIMIT = 1000


class CappedPaginator(Paginator):
    """Counts at most ``limit`` + 1 rows (``SELECT COUNT(*) FROM (... LIMIT n)``): a broad
    search of a large registry costs one bounded query and the page says "more than
    1,000" instead of counting every match. Pages stop at the limit; a narrower search
    or a filter finds the rest."""

    def __init__(
        self,
        object_list,
        per_page,
        *,
        limit: int | None = None,
        capped_ordering: tuple[str, ...] | None = None,
        **kwargs,
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.limit = COUNT_LIMIT if limit is None else limit
        self.capped_ordering = capped_ordering

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.limit + 1].count()

    @property
    def capped(self) -> bool:
        """More rows match than were counted."""
        return self.count > self.limit

    @property
    def reordered(self) -> bool:
        """The pages follow ``capped_ordering``: more rows match than the pages reach."""
        return self.capped_ordering is not None and self.capped

    def page(self, number):
        # The pages reach only the first ``limit`` rows of the order. When more match,
        # an order an index gives directly (``capped_ordering``) finds a page after
        # reading about a page's worth of matches, where any other order must first
        # read and sort every match (tens of thousands in a large registry).
        if self.reordered:
            self.object_list = self.object_list.order_by(*self.capped_ordering)
        return super().page(number)
