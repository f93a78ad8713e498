"""The finance pages: each calculator's form with a worked example, its results and a chart.

A form is read into the API's request model and run exactly as the API runs it, so a page and
the API agree to the digit and refuse the same input with the same reasons.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from evergreen.errors import InputError
from evergreen.finance.interfaces import schemas as s
from evergreen.finance.interfaces.calculators import GROUPS, Calculator, Group, find
from evergreen.finance.interfaces.forms import FormErrors, read_form
from evergreen.web.csrf import CsrfProtected
from evergreen.web.deps import DashboardUser
from evergreen.web.forms import FormPageDep
from evergreen.web.templates import render

__all__ = ["router"]

router = APIRouter(prefix="/finance", include_in_schema=False)


async def _form_fields(request: Request) -> dict[str, str]:
    """The posted form's text fields (files are not part of any calculator)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


FormFields = Annotated[dict[str, str], Depends(_form_fields)]


def _run(calculator: Calculator, values: dict[str, str]) -> dict[str, Any]:
    """Read the form and run the model as the API does: the same request model, the same JSON."""
    request = read_form(calculator.request, calculator.fields, values)
    result: dict[str, Any] = s.run_model(lambda: s.to_json(request.run()))  # type: ignore[attr-defined]
    return {"shown": calculator.present(result, request)}


def _page(
    request: Request,
    group: Group,
    calculator: Calculator,
    values: dict[str, str],
    outcome: dict[str, Any],
    status_code: int = 200,
) -> Response:
    context = {
        "title": f"{calculator.title} · Finance",
        "group": group,
        "calculator": calculator,
        "groups": GROUPS,
        "values": values,
        **outcome,
    }
    return render(request, "finance/calculator.html", context, status_code=status_code)


def _refused(error: InputError, calculator: Calculator) -> dict[str, Any]:
    """Field errors beside their fields; a model's refusal of the whole input at the top."""
    problems = error.problems if isinstance(error, FormErrors) else {error.field: error.message}
    names = {field.name for field in calculator.fields}
    general = [f"{field}: {message}" for field, message in problems.items() if field not in names]
    return {"errors": problems, "problem": "; ".join(general)}


@router.get("")
def home(request: Request, user: DashboardUser) -> Response:
    """The finance models, one page per question."""
    return render(request, "finance/index.html", {"title": "Finance", "groups": GROUPS})


@router.get("/{group}")
@router.get("/{group}/{model}")
def calculator_page(
    request: Request, user: DashboardUser, group: str, model: str | None = None
) -> Response:
    """A calculator with its worked example filled in and answered."""
    page, calculator = find(group, model)
    values = calculator.examples()
    return _page(request, page, calculator, values, _run(calculator, values))


@router.post("/{group}/{model}")
def run_calculator(
    request: Request,
    user: DashboardUser,
    _csrf: CsrfProtected,
    form: FormPageDep,
    posted: FormFields,
    group: str,
    model: str,
) -> Response:
    """Run the calculator on the posted values; refused values are shown beside their fields."""
    page, calculator = find(group, model)
    values = {field.name: posted.get(field.name, "") for field in calculator.fields}
    form.on_error(
        lambda error: _page(
            request, page, calculator, values, _refused(error, calculator), status_code=400
        )
    )
    return _page(request, page, calculator, values, _run(calculator, values))
