"""Forms that show themselves again with the error when a service refuses their input."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends
from starlette.responses import Response

from evergreen.errors import InputError
from evergreen.web.deps import SessionDep
from evergreen.web.errors import PageAnswer

__all__ = ["FormPage", "FormPageDep"]


class FormPage:
    """Where a page says how to show itself again when its input is refused.

    A route calls `form.on_error(lambda error: page(..., error=error))` before its service
    call; a refusal then rolls the unit of work back and answers that page (status 400 unless
    the page sets another). Without `on_error`, the refusal becomes the plain error page.
    """

    def __init__(self) -> None:
        self._show: Callable[[InputError], Response] | None = None

    def on_error(self, show: Callable[[InputError], Response]) -> None:
        """Remember how to show the form with an error."""
        self._show = show

    def answer(self, error: InputError) -> Response | None:
        """The page for this refusal, or None when the route gave none."""
        return None if self._show is None else self._show(error)


def _form_page(session: SessionDep) -> Iterator[FormPage]:
    page = FormPage()
    try:
        yield page
    except InputError as exc:
        session.rollback()
        response = page.answer(exc)
        if response is None:
            raise
        raise PageAnswer(response) from None


FormPageDep = Annotated[FormPage, Depends(_form_page, scope="function")]
