"""Questions that apply only on some answers: conditions, their checks, their
evaluation and their plain words.

A field or a section may carry ``"when": {"field": NAME, OPERATOR: VALUE}``, where
``NAME`` is an earlier field and the operator suits its type: ``equals`` and
``one_of`` for a choice, ``ticked`` for a checkbox, ``greater_than``, ``at_least``,
``less_than`` and ``at_most`` for a number or an amount. There is no expression
language: one condition, on one earlier answer.

The server decides: :func:`applicable` says which questions apply to a set of
answers, and the others are neither required, checked nor stored.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from babel.numbers import format_currency, format_decimal

from ..i18n import current_language, gettext, text
from .definitions import Condition, Field, FormDefinition, Section

#: The operators each type of earlier field accepts.
OPERATORS: dict[str, tuple[str, ...]] = {
    "choice": ("equals", "one_of"),
    "checkbox": ("ticked",),
    "number": ("greater_than", "at_least", "less_than", "at_most"),
    "money": ("greater_than", "at_least", "less_than", "at_most"),
}
_COMPARE: dict[str, Callable[[Decimal, Decimal], bool]] = {
    "greater_than": lambda a, b: a > b,
    "at_least": lambda a, b: a >= b,
    "less_than": lambda a, b: a < b,
    "at_most": lambda a, b: a <= b,
}
_ALL = ("equals", "one_of", "ticked", *_COMPARE)
LIMIT = 10**12  # the largest number or amount a field may have


def holds(
    condition: Condition, answers: Mapping[str, Any], shown: Collection[str]
) -> bool:
    """Whether ``condition`` holds; a question not shown has no answer."""
    if condition.field not in shown:
        return False
    answer = answers.get(condition.field)
    if condition.operator == "ticked":
        return bool(answer) is condition.value
    if condition.operator == "one_of":
        return answer in condition.value
    if answer is None or answer == "" or isinstance(answer, bool):
        return False
    try:
        number = Decimal(str(answer))
    except InvalidOperation:
        return False
    return _COMPARE[condition.operator](number, condition.value)


def applicable(definition: FormDefinition, answers: Mapping[str, Any]) -> set[str]:
    """The names of the questions of ``definition`` that apply to ``answers``.

    ``answers`` holds checked values (as stored, or as parsed on submit); a question
    applies when its section's condition and its own hold. Conditions only look at
    earlier questions, so one pass in order settles every chain.
    """
    shown: set[str] = set()
    for section in definition.sections:
        if section.when is not None and not holds(section.when, answers, shown):
            continue
        for field in section.fields:
            if field.when is None or holds(field.when, answers, shown):
                shown.add(field.name)
    return shown


def conditional(sections: Iterable[Section]) -> set[str]:
    """The names of the questions that carry a condition, or whose section does."""
    return {
        field.name
        for section in sections
        for field in section.fields
        if section.when is not None or field.when is not None
    }


def read_condition(
    fail: Callable[[str, str], Exception],
    where: str,
    raw: Any,
    earlier: Mapping[str, Field],
    every_name: Collection[str] = (),
) -> Condition:
    """Check the ``when`` of a field or section.

    ``earlier`` holds the fields that come before it, ``every_name`` the names of
    all the form's fields (to tell a later field from an unknown one), ``fail``
    builds the error that names the file and the place.
    """
    if not isinstance(raw, dict):
        raise fail(where, "'when' must be an object such as "
                          "{'field': 'has_employees', 'equals': 'yes'}")  # fmt: skip
    operators = sorted(raw.keys() - {"field"})
    unknown = [key for key in operators if key not in _ALL]
    if unknown:
        raise fail(
            where,
            f"'when': unknown key {unknown[0]!r} (allowed: field, {', '.join(_ALL)})",
        )
    if "field" not in raw or len(operators) != 1:
        raise fail(where, "'when' needs 'field' and exactly one operator "
                          f"({', '.join(_ALL)})")  # fmt: skip
    name, operator = raw["field"], operators[0]
    if isinstance(name, str) and name not in earlier and name in every_name:
        raise fail(where, f"'when' names {name!r}, which is not asked before it: "
                          "a condition can only look at an earlier "
                          "answer")  # fmt: skip
    if not isinstance(name, str) or name not in earlier:
        raise fail(where, f"'when' names no field of this form: {name!r}")
    target = earlier[name]
    allowed = OPERATORS.get(target.type, ())
    if operator not in allowed:
        if not allowed:
            raise fail(where, f"'when': field {name!r} is of type {target.type}; "
                              "a condition looks at a choice, checkbox, number or "
                              "money field")  # fmt: skip
        raise fail(where, f"'when': {operator!r} does not apply to the {target.type} "
                          f"field {name!r} (use {', '.join(allowed)})")  # fmt: skip
    value = raw[operator]
    if target.type == "choice":
        values = [value] if operator == "equals" else value
        if operator == "one_of" and (not isinstance(value, list) or not value):
            raise fail(where, "'when': 'one_of' must be a non-empty list of values")
        options = [o.value for o in target.options or ()]
        for item in values:
            if item not in options:
                raise fail(where, f"'when': {item!r} is not an option of {name!r} "
                                  f"(options: {', '.join(options)})")  # fmt: skip
        return Condition(name, "one_of", tuple(dict.fromkeys(values)))
    if target.type == "checkbox":
        if not isinstance(value, bool):
            raise fail(where, f"'when': 'ticked' must be true or false, got {value!r}")
        return Condition(name, "ticked", value)
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise fail(where, f"'when': {operator!r} must be a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:  # not a number, or beyond what Decimal holds
        number = Decimal("NaN")
    # Bounded first (without arithmetic): int() of 1e999999999 would not end.
    usable = number.is_finite() and number.copy_abs() <= LIMIT
    if not usable or (target.type == "number" and number != int(number)):
        kind = "a whole number" if target.type == "number" else "an amount"
        raise fail(
            where, f"'when': {operator!r} must be {kind} between -{LIMIT:,} and "
            f"{LIMIT:,}, got {value!r}",
        )  # fmt: skip
    return Condition(name, operator, number)


def condition_words(
    definition: FormDefinition, condition: Condition, lang: str | None = None
) -> str:
    """The condition in plain words, shown with the question so that the page
    reads right without JavaScript."""
    lang = lang or current_language()
    target = definition.field(condition.field)
    question = text(target.label, lang)
    if condition.operator == "ticked":
        if condition.value:
            return gettext("Answer only if you ticked “%(question)s”.",
                           lang=lang, question=question)  # fmt: skip
        return gettext("Answer only if you did not tick “%(question)s”.",
                       lang=lang, question=question)  # fmt: skip
    if condition.operator == "one_of":
        labels = {o.value: text(o.label, lang) for o in target.options or ()}
        chosen = [
            gettext("“%(answer)s”", lang=lang, answer=labels[value])
            for value in condition.value
        ]
        if len(chosen) == 1:
            return gettext("Answer only if you answered %(answer)s to “%(question)s”.",
                           lang=lang, answer=chosen[0], question=question)  # fmt: skip
        return gettext(
            "Answer only if your answer to “%(question)s” is one of: %(answers)s.",
            lang=lang, question=question, answers=", ".join(chosen),
        )  # fmt: skip
    if target.type == "money":
        value = format_currency(condition.value, "EUR", locale=lang)
    else:
        value = format_decimal(condition.value, locale=lang)
    variables = {"question": question, "value": value}
    if condition.operator == "greater_than":
        return gettext("Answer only if your answer to “%(question)s” is more than "
                       "%(value)s.", lang=lang, **variables)  # fmt: skip
    if condition.operator == "at_least":
        return gettext("Answer only if your answer to “%(question)s” is %(value)s or "
                       "more.", lang=lang, **variables)  # fmt: skip
    if condition.operator == "less_than":
        return gettext("Answer only if your answer to “%(question)s” is less than "
                       "%(value)s.", lang=lang, **variables)  # fmt: skip
    return gettext("Answer only if your answer to “%(question)s” is %(value)s or "
                   "less.", lang=lang, **variables)  # fmt: skip
