"""Paginated AWS calls, bounded: a listing stops with an error when its pagination token comes back (A, B, A, B:
botocore only catches the same token twice in a row) or when it passes `PAGE_CAP` pages.

The error is botocore's `PaginationError`, so each caller records it as it records any failed call (the listing,
and with it the account or part, is marked failed and the run partial), and a faulty endpoint cannot keep
`collect` looping forever.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from botocore.exceptions import PaginationError

# Pages per listing. AWS's own limits stay far below: 10,000 accounts are 500 pages of ListAccounts, 100,000
# Identity Center users 1,000 pages of ListUsers, an account's IAM data a few dozen pages of
# GetAccountAuthorizationDetails at 1,000 entries a page.
PAGE_CAP = 20_000


def _next_token(iterator: Any, page: Any) -> Any:
    """The token that asks for the page after `page`, as botocore will send it (None after the last page)."""
    find = getattr(iterator, "_get_next_token", None)  # botocore's own reading of the paginator's output tokens
    if find is None or not isinstance(page, dict):
        return None
    token = find(page)
    values = tuple(token.values()) if isinstance(token, dict) else (token,)
    if all(v is None for v in values):
        return None
    return repr(values)  # a token may be any JSON value: compared by its text


def bounded_pages(client: Any, operation: str, page_cap: int = PAGE_CAP, **params: Any) -> Iterator[Any]:
    """The pages of `client.get_paginator(operation).paginate(**params)`; `PaginationError` when a token repeats
    or after `page_cap` pages."""
    iterator = client.get_paginator(operation).paginate(**params)
    seen: set[str] = set()
    for number, page in enumerate(iterator, start=1):
        yield page
        token = _next_token(iterator, page)
        if token is None:
            continue
        if token in seen:
            raise PaginationError(message=f"{operation}: the pagination token of page {number} was already "
                                  "received: the listing would loop forever; stopped")
        if number >= page_cap:
            raise PaginationError(message=f"{operation}: more than {page_cap:,} pages: stopped")
        seen.add(token)
