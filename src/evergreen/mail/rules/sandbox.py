"""A Jinja2 sandbox with a budget: template code cannot reach internals, loop for long or grow
output without bound, and every refusal is a MailInputError naming the line.

Jinja's own sandbox stops attribute access to internals (`__class__`, `mro`, `func_globals`);
on top of it each render has a step budget (every loop iteration and every call counts), a
deadline, and an output limit, and the operators and filters that can make huge values in one
step (`*`, `**`, `%`, widths in `format`, `center`, `indent`, …) check their operands first.
Loops and `~` are bounded by rewriting the parsed template: each `{% for %}` iterates through
a counting wrapper and each `~` is a checked join (`ImportedName`s, which template code cannot
shadow).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import wraps
from types import TracebackType
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import SandboxedEnvironment
from jinja2.utils import Cycler, Joiner, Namespace
from markupsafe import Markup, escape

from evergreen.mail.errors import MailInputError

__all__ = ["Budget", "BudgetExceeded", "Limits", "MailTemplate", "Slot", "compile_template"]

TEMPLATE_NAME = "<template>"  # the file name Jinja gives code compiled from a string


@dataclass(frozen=True)
class Limits:
    """What one render may spend: steps (loop iterations and calls), seconds and characters."""

    steps: int = 200_000
    seconds: float = 2.0
    output: int = 2_000_000
    range_items: int = 10_000
    number: int = 100_000  # the largest width, count or repeat a template may ask for


class BudgetExceeded(Exception):
    """A render ran past its limits."""


@dataclass
class Budget:
    """The running count of one render, checked at every step and every value made."""

    limits: Limits
    deadline: float = field(default=0.0)
    steps: int = 0
    made: int = 0

    def step(self) -> None:
        """Count one step; refuse when the steps or the time are spent."""
        self.steps += 1
        if self.steps > self.limits.steps:
            raise BudgetExceeded(f"it takes more than {self.limits.steps:,} steps")
        if self.steps % 512 == 0 and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"it runs longer than {self.limits.seconds:g} s")

    def make(self, size: int) -> None:
        """Count a value about to be made; refuse when the render has made too much."""
        self.made += size
        if size > self.limits.output or self.made > 10 * self.limits.output:
            raise BudgetExceeded(f"it makes more than {self.limits.output:,} characters")


_budget: ContextVar[Budget | None] = ContextVar("evergreen_mail_budget", default=None)


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Iterate a template loop, counting each item against the current render's budget."""
    budget = _budget.get()
    for item in iterable:
        if budget is not None:
            budget.step()
        yield item


_FORMAT_WIDTH = re.compile(r"\d{4,}|\*")  # a width or precision of 1,000 or more, or `*`


def _check_number(limits: Limits, value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > limits.number:
        raise BudgetExceeded(f"the number {value} is larger than {limits.number:,}")


def _check_format(spec: Any) -> None:
    if isinstance(spec, str) and _FORMAT_WIDTH.search(spec):
        raise BudgetExceeded("format widths of 1,000 or more are not allowed")


def _size(value: Any) -> int:
    return len(value) if isinstance(value, (str, list, tuple, dict)) else 1


def _make(size: int) -> None:
    """Charge a value's size to the current render (checked before the value is made)."""
    budget = _budget.get()
    if budget is not None:
        budget.make(size)


def _joined_size(items: Any, separator: Any) -> int:
    if not isinstance(items, (list, tuple, str, dict, range)):
        return 0
    return sum(_size(item) for item in items) + len(items) * _size(separator)


def _replaced_size(text: Any, old: Any, new: Any) -> int:
    if not (isinstance(text, str) and isinstance(old, str) and isinstance(new, str)):
        return 0
    hits = text.count(old) if old else len(text) + 1
    return len(text) + hits * len(new)


def _predict(name: str, owner: Any, args: tuple[Any, ...]) -> int:
    """The size a str method or filter is about to make, for the few that multiply."""
    if name in ("join", "do_join"):
        items, separator = (args[0], owner) if name == "join" else (args[0], args[1:2] or "")
        return _joined_size(items, separator[0] if isinstance(separator, tuple) else separator)
    if name in ("replace", "do_replace") and len(args) >= 2:
        text, old, new = (owner, *args[:2]) if name == "replace" else args[:3]
        return _replaced_size(text, old, new)
    return 0


def _concat(*values: Any) -> Any:
    """Jinja's `~`, charged to the render before the string is made."""
    _make(sum(len(str(value)) for value in values))
    first = next((value for value in values if hasattr(value, "__html__")), None)
    if first is not None:
        return Markup("").join(values)
    return "".join(str(value) for value in values)


class _Sandbox(SandboxedEnvironment):
    """The environment: Jinja's sandbox plus budgeted operators and calls."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(
        self,
        limits: Limits,
        strict: bool,
        autoescape: bool,
        finalize: Callable[[Any], Any] | None,
    ) -> None:
        super().__init__(
            autoescape=autoescape,
            undefined=StrictUndefined if strict else Undefined,
            finalize=finalize,
            auto_reload=False,
            cache_size=0,
        )
        self.limits = limits
        self.globals = {
            "range": self._range, "dict": dict, "namespace": Namespace, "cycler": Cycler,
            "joiner": Joiner,
        }  # fmt: skip
        self.filters = {name: self._bounded(f) for name, f in self.filters.items()}

    def _range(self, *args: int) -> range:
        for arg in args:
            _check_number(self.limits, arg)
        result = range(*args)
        if len(result) > self.limits.range_items:
            raise BudgetExceeded(f"range() is limited to {self.limits.range_items:,} items")
        return result

    def _bounded(self, function: Callable[..., Any]) -> Callable[..., Any]:
        limits = self.limits

        @wraps(function)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            for value in (*args, *kwargs.values()):
                if not isinstance(value, (Context, Undefined)):
                    _check_number(limits, value)
            plain = tuple(a for a in args if not isinstance(a, (Context, EvalContext)))
            if function.__name__ == "do_format" and plain:
                _check_format(plain[0])
            _make(_predict(function.__name__, None, plain))
            result = function(*args, **kwargs)
            _make(_size(result))
            return result

        return bounded

    def wrap_str_format(self, value: Any) -> None:
        """Refuse `str.format` (its widths are unbounded); the checked `format` filter stays."""
        return

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        """Refuse `str.format` and `str.format_map` besides Jinja's own refusals."""
        if isinstance(obj, str) and attr in ("format", "format_map"):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        """Count every call and bound its numbers and its result."""
        budget = _budget.get()
        if budget is not None:
            budget.step()
        for value in (*args, *kwargs.values()):
            _check_number(__self.limits, value)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            _make(_predict(getattr(__obj, "__name__", ""), owner, args))
        result = super().call(__context, __obj, *args, **kwargs)
        _make(_size(result))
        return result

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse the products, powers and formats that would be huge before making them."""
        output = self.limits.output
        if operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                if left.bit_length() + right.bit_length() > 4096:
                    raise BudgetExceeded("the product is too large")
            else:
                count = right if isinstance(right, int) else left if isinstance(left, int) else 1
                if max(_size(left), _size(right)) * max(count, 0) > output:
                    raise BudgetExceeded(f"the repeat makes more than {output:,} items")
        elif operator == "**":
            base = abs(left) if isinstance(left, (int, float)) else 0
            exponent = right if isinstance(right, (int, float)) else 0
            if base > 1 and exponent * math.log2(base) > 4096:
                raise BudgetExceeded("the power is too large")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
        elif operator == "+":
            _make(_size(left) + _size(right))
        result = super().call_binop(context, operator, left, right)
        _make(_size(result))
        return result


def _bound_loops(tree: nodes.Template) -> nodes.Template:
    """Make every `{% for %}` iterate through the counting wrapper."""
    for loop in tree.find_all(nodes.For):
        wrapper = nodes.ImportedName(f"{__name__}._counted", lineno=loop.lineno)
        loop.iter = nodes.Call(wrapper, [loop.iter], [], None, None, lineno=loop.lineno)
    for parent in tree.find_all(nodes.Node):
        for name in parent.fields:
            child = getattr(parent, name)
            if isinstance(child, nodes.Concat):
                setattr(parent, name, _counted_concat(child))
            elif isinstance(child, list):
                setattr(parent, name, [
                    _counted_concat(c) if isinstance(c, nodes.Concat) else c for c in child
                ])  # fmt: skip
    return tree


def _counted_concat(node: nodes.Concat) -> nodes.Call:
    wrapper = nodes.ImportedName(f"{__name__}._concat", lineno=node.lineno)
    return nodes.Call(wrapper, node.nodes, [], None, None, lineno=node.lineno)


def _template_line(tb: TracebackType | None) -> int | None:
    """The template line an error happened on (Jinja maps its frames to template lines)."""
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == TEMPLATE_NAME:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _refusal(field_name: str, exc: BaseException) -> MailInputError:
    line = getattr(exc, "lineno", None) or _template_line(exc.__traceback__)
    where = f"line {line}: " if line else ""
    if isinstance(exc, BudgetExceeded):
        reason = f"the template was stopped: {exc}"
    elif isinstance(exc, SecurityError):
        reason = f"the template is not allowed to do that ({exc})"
    elif isinstance(exc, RecursionError):
        reason = "the template calls itself too deeply"
    elif isinstance(exc, TemplateSyntaxError):
        reason = f"template syntax: {exc.message}"
    else:
        reason = str(exc) or type(exc).__name__
    return MailInputError(field_name, f"{where}{reason}")


Slot = tuple[str, ...]  # a person's value, e.g. ("subscriber", "fields", "city")
# A person's values; `webinar` is their latest webinar registration's (their session, links).
_PERSONAL = frozenset({"subscriber", "unsubscribe_url", "preferences_url", "list_name", "webinar"})
_STRUCTURE = (nodes.Template, nodes.If, nodes.For)


def _slot_of(node: nodes.Node) -> Slot | None:
    """The person's value an expression names as it is (no filter, call or operator)."""
    keys: list[str] = []
    while isinstance(node, (nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr):
            keys.append(node.attr)
        elif isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            keys.append(node.arg.value)
        else:
            return None
        node = node.node
    if not isinstance(node, nodes.Name) or node.ctx != "load":
        return None
    slot = (node.name, *reversed(keys))
    if slot in (("unsubscribe_url",), ("preferences_url",), ("list_name",)):
        return slot
    if slot in (("subscriber", "email"), ("subscriber", "name")):
        return slot
    # A field named like a dict method (items, keys, …) would be that method, not the field.
    if len(slot) == 3 and slot[:2] == ("subscriber", "fields") and not hasattr({}, slot[2]):
        return slot
    return None


def _slots(tree: nodes.Template) -> tuple[Slot, ...] | None:
    """The person's values a template only prints as they are, or None when it does more.

    Printed as they are means: directly in `{{ … }}` at the top level or in the body of an
    `if` or `for`, never tested, looped over, filtered, assigned, passed to a macro or
    captured. Then the text is the same for everyone but those values, which is what lets a
    broadcast render once and fill in each person (rules.prepared).
    """
    if tree.find(nodes.EvalContextModifier) is not None:
        return None  # {% autoescape %} changes how a value is escaped
    printed: set[int] = set()
    found: dict[Slot, None] = {}
    pending: list[nodes.Node] = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, nodes.Output):
            for child in node.nodes:
                slot = _slot_of(child)
                if slot is not None:
                    found[slot] = None
                    printed.add(id(next(iter(child.find_all(nodes.Name)), child)))
        elif isinstance(node, _STRUCTURE):
            for part in ("body", "elif_", "else_"):
                pending.extend(getattr(node, part, None) or [])
    for name in tree.find_all(nodes.Name):
        if name.name in _PERSONAL and id(name) not in printed:
            return None
    return tuple(found)


@dataclass(frozen=True)
class MailTemplate:
    """A compiled, sandboxed template that renders one person's text within its limits."""

    field: str
    _environment: _Sandbox
    _render: Callable[[Mapping[str, Any]], Iterator[str]]
    slots: tuple[Slot, ...] | None = None  # see _slots
    names: frozenset[str] = frozenset()  # every name the template reads

    @property
    def limits(self) -> Limits:
        """What one render may spend."""
        return self._environment.limits

    @property
    def strict(self) -> bool:
        """Whether an undefined name is an error (previews) rather than blank (sends)."""
        return self._environment.undefined is StrictUndefined

    def printed(self, value: Any) -> str:
        """What `{{ value }}` writes: finalized and escaped as this template's output is."""
        environment = self._environment
        if environment.finalize is not None:
            value = environment.finalize(value)
        return str(escape(value)) if environment.autoescape else str(value)

    def missing(self, name: str) -> Any:
        """The value of a name the context lacks (blank when lenient)."""
        return self._environment.undefined(name=name)

    def render(self, context: Mapping[str, Any]) -> str:
        """The text for one context; any failure is a MailInputError naming the line."""
        limits = self._environment.limits
        budget = Budget(limits, deadline=time.monotonic() + limits.seconds)
        token = _budget.set(budget)
        try:
            parts: list[str] = []
            total = 0
            for chunk in self._render(context):
                total += len(chunk)
                if total > limits.output:
                    raise BudgetExceeded(f"it writes more than {limits.output:,} characters")
                parts.append(chunk)
            return "".join(parts)
        except MailInputError:
            raise
        except Exception as exc:  # template code can raise anything; the person gets a line
            raise _refusal(self.field, exc) from None
        finally:
            _budget.reset(token)


def compile_template(
    source: str,
    *,
    field: str = "body",
    strict: bool = True,
    limits: Limits | None = None,
    autoescape: bool = True,
    finalize: Callable[[Any], Any] | None = None,
) -> MailTemplate:
    """Compile template text once; `strict` makes an undefined name an error, not blank."""
    environment = _Sandbox(limits or Limits(), strict, autoescape, finalize)
    try:
        tree = environment.parse(source, name=TEMPLATE_NAME, filename=TEMPLATE_NAME)
        slots = _slots(tree)
        template = environment.from_string(_bound_loops(tree))
    except Exception as exc:  # a syntax error, or a literal the sandbox refuses
        raise _refusal(field, exc) from None
    names = frozenset(node.name for node in tree.find_all(nodes.Name) if node.ctx == "load")
    return MailTemplate(field, environment, template.generate, slots, names)
