"""Forms shown again with the error when their input is refused; the confirming second step."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.routing import APIRoute
from starlette.responses import Response

from evergreen.errors import InputError
from evergreen.web.deps import SessionDep
from evergreen.web.errors import PageAnswer
from evergreen.web.templates import render

__all__ = ["CONFIRMED", "Confirmation", "FormPage", "FormPageDep", "ask_first"]

# What the confirmation page's button sends in its `confirm` field.
CONFIRMED = "yes"


class FormPage:
    """Where a page says how to show itself again when its input is refused.

    A route calls `form.on_error(lambda error: page(..., error=error))` before its service
    call; a refusal then rolls the unit of work back and answers that page (status 400 unless
    the page sets another). Without `on_error`, the refusal becomes the plain error page.
    """

    def __init__(self, refused: InputError | None = None) -> None:
        self._show: Callable[[InputError], Response] | None = None
        self.refused = refused  # a field refused before the route ran (a NUL), not yet shown

    def on_error(self, show: Callable[[InputError], Response]) -> None:
        """Remember how to show the form with an error; a field already refused (a NUL, by
        `web.formbody`) is shown now, with the rest of the form as it was typed."""
        self._show = show
        if self.refused is not None:
            refused, self.refused = self.refused, None
            raise refused

    def answer(self, error: InputError) -> Response | None:
        """The page for this refusal, or None when the route gave none."""
        return None if self._show is None else self._show(error)


# Where web.formbody leaves a field it refused for the route's FormPage to show.
REFUSED_FIELD = "evergreen_refused_field"


def has_form_page(route: object) -> bool:
    """Whether a route shows its own form again on a refusal (it depends on FormPageDep)."""
    if not isinstance(route, APIRoute):
        return False
    dependants = [route.dependant]
    while dependants:
        dependant = dependants.pop()
        if dependant.call is _form_page:
            return True
        dependants.extend(dependant.dependencies)
    return False


def _form_page(request: Request, session: SessionDep) -> Iterator[FormPage]:
    page = FormPage(getattr(request.state, REFUSED_FIELD, None))
    try:
        yield page
    except InputError as exc:
        session.rollback()
        response = page.answer(exc)
        if response is None:
            raise
        raise PageAnswer(response) from None
    except Exception:
        refused = page.refused
        if refused is None:
            raise
        session.rollback()  # the route failed on the refused value
        raise HTTPException(400, f"{refused.field}: {refused.message}") from None
    refused = page.refused
    if refused is not None:  # the route never said how to show itself: nothing is kept
        session.rollback()
        raise HTTPException(400, f"{refused.field}: {refused.message}")


FormPageDep = Annotated[FormPage, Depends(_form_page, scope="function")]


@dataclass(frozen=True)
class Confirmation:
    """What a confirmation page says before an action that cannot be undone, and the way back."""

    title: str  # the question: "Reject commission 12?"
    consequence: str  # what will happen, and that it cannot be undone
    button: str  # the confirming button: "Reject commission"
    cancel: str  # a same-site path that changes nothing
    fields: Mapping[str, str] = field(default_factory=dict)  # the form's values, posted again


def ask_first(request: Request, confirm: str, step: Confirmation) -> Response | None:
    """The confirmation page for a post without `confirm=yes`; None once it is confirmed.

    The page posts the same form to the same path again, with `confirm=yes`: no JavaScript.
    """
    if confirm == CONFIRMED:
        return None
    context = {"title": step.title, "step": step, "action": request.url.path}
    return render(request, "confirm.html", context)
