"""From a form definition to a WTForms form, checked answers and HTML controls.

:func:`compile_form` builds the WTForms class once per definition;
:meth:`CompiledForm.validate` turns a submission into an :class:`Outcome` without
needing a Flask request; :func:`html_attributes` gives the browser the same checks the
server runs; :func:`display_value` shows a stored answer in a summary.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import wtforms
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent
from werkzeug.datastructures import MultiDict
from wtforms.fields import (
    BooleanField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from ..i18n import current_language, gettext, ngettext, text
from .conditions import applicable
from .definitions import Computed, Field, FormDefinition, resolve_date
from .files import FileCheck, Upload
from .validators import (
    NAME_AUTOCOMPLETE,
    BicCheck,
    ChoiceCheck,
    DateCheck,
    EmailCheck,
    IbanCheck,
    MoneyCheck,
    NumberCheck,
    PostalCodeCheck,
    Required,
    SirenCheck,
    SiretCheck,
    Skip,
    TelCheck,
    TextCheck,
    ValueCheck,
    tick_message,
)

__all__ = [
    "CompiledForm",
    "Outcome",
    "Upload",
    "compile_form",
    "display_value",
    "html_attributes",
    "value_check",
]

_INPUT_TYPES = {"email": "email", "tel": "tel", "date": "date", "file": "file"}
_INPUT_TYPES |= {"checkbox": "checkbox", "consent": "checkbox"}
# The controls HTML lets carry ``pattern`` and ``maxlength`` (a date input takes
# neither: the browser's date picker and the server check those answers).
_PATTERNED = frozenset({"text", "email", "tel", "url", "search", "password"})
_LIMITED = _PATTERNED | {"textarea"}
_INPUT_MODES = {"number": "numeric", "money": "decimal", "siret": "numeric"}
_INPUT_MODES |= {"siren": "numeric", "postal_code": "numeric", "tel": "tel"}
_INPUT_MODES |= {"email": "email"}
_EXTENSIONS = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg,.jpeg",
    "image/png": ".png",
}
_GROUPS = {"siret": (3, 3, 3, 5), "siren": (3, 3, 3)}  # how the numbers are printed
_MASK = "\u2022"  # •


@dataclass
class Outcome:
    """The result of checking one submission."""

    answers: dict[str, Any]  # JSON-ready values of the valid fields, computed ones too
    uploads: list[Upload]
    errors: dict[str, str]  # field name -> one message in the current language

    @property
    def ok(self) -> bool:
        """Whether the submission can be accepted."""
        return not self.errors


def value_check(field: Field) -> ValueCheck | None:
    """The check that parses answers to ``field`` (``None`` for boxes and files)."""
    kind = field.type
    if kind in ("text", "textarea"):
        return TextCheck(
            field.max_length or 0,
            field.min_length,
            kind == "textarea",
            # The token's last word ("section-x billing name" is a name too).
            name=(field.autocomplete or "").rpartition(" ")[2] in NAME_AUTOCOMPLETE,
        )
    if kind == "number":
        return NumberCheck(int(field.min or 0), int(field.max or 0))
    if kind == "money":
        return MoneyCheck(Decimal(field.min or 0), Decimal(field.max or 0))
    if kind == "date":
        return DateCheck(str(field.min), str(field.max))
    if kind == "choice":
        return ChoiceCheck([option.value for option in field.options or ()])
    simple = {
        "email": EmailCheck, "tel": TelCheck, "postal_code": PostalCodeCheck,
        "siret": SiretCheck, "siren": SirenCheck, "iban": IbanCheck, "bic": BicCheck,
    }  # fmt: skip
    return simple[kind]() if kind in simple else None


def _wtforms_field(field: Field) -> Any:
    # Attributes are prefixed (see CompiledForm) so a field may be called "data".
    options: dict[str, Any] = {"name": field.name}
    if field.type == "file":
        check = FileCheck(
            field.accept or (), field.max_size or 0, field.min_files or 0,
            field.max_files or 1,
        )  # fmt: skip
        return MultipleFileField(validators=[check], **options)
    if field.type in ("checkbox", "consent"):
        validators = [Required(tick_message)] if field.required else []
        return BooleanField(validators=validators, **options)
    check = value_check(field)
    assert check is not None  # every other type has a text check
    first = Required(check.message) if field.required else Skip()
    options["validators"] = [first, check]
    if field.type == "choice":
        # Plain values: every WTForms >= 3.1 reads them, none deprecates them.
        choices = [o.value for o in field.options or ()]
        kind = SelectField if field.widget == "select" else RadioField
        # The check gives a clearer message than WTForms' "Not a valid choice".
        return kind(choices=choices, validate_choice=False, **options)
    if field.type == "textarea":
        return TextAreaField(**options)
    return StringField(**options)


class CompiledForm:
    """A definition turned into a WTForms class, ready to check submissions."""

    def __init__(self, definition: FormDefinition) -> None:
        self.definition = definition
        attributes = {f"field_{f.name}": _wtforms_field(f) for f in definition.fields}
        self.form_class: type[wtforms.Form] = type(
            f"Form_{definition.id.replace('-', '_')}", (wtforms.Form,), attributes
        )
        self._file_names = {f.name for f in definition.fields if f.type == "file"}
        # Binding a WTForms form (one Field object per question) costs as much as
        # validating it, so each thread binds one and re-processes it per request.
        self._bound = threading.local()

    def _form(self, formdata: MultiDict) -> wtforms.Form:
        form = getattr(self._bound, "form", None)
        if form is None:
            form = self._bound.form = self.form_class(formdata)
        else:
            form.process(formdata)  # resets every field's data from formdata
        return form

    def validate(
        self, formdata: MultiDict, files: MultiDict, *, max_file_size: int,
        max_files: int, kept: dict[str, int] | None = None,
    ) -> Outcome:  # fmt: skip
        """Check a submission: ``formdata`` and ``files`` as Werkzeug gives them,
        with the configured caps on file size and number of files; ``kept``
        counts, per file field, the files kept from an earlier try."""
        merged: MultiDict = MultiDict()
        for key, value in formdata.items(multi=True):
            if key not in self._file_names:  # files come from ``files`` only
                merged.add(key, value)
        for name in self._file_names:
            for part in files.getlist(name):
                merged.add(name, part)
        form = self._form(merged)
        form.upload_caps = (max_file_size, max_files)  # type: ignore[attr-defined]
        form.kept_counts = kept or {}  # type: ignore[attr-defined]
        try:
            form.validate()
            return self._outcome(form, max_files - sum((kept or {}).values()))
        finally:
            for name in self._file_names:  # let go of this submission's files
                field = form[f"field_{name}"]
                field.data, field.raw_data = [], []

    def _outcome(self, form: wtforms.Form, max_files: int) -> Outcome:
        # Questions that do not apply to these answers are neither required,
        # checked nor stored, whatever was posted for them; a condition on an
        # answer with an error does not hold until the answer is right.
        checked = {
            field.name: _clean(form[f"field_{field.name}"].data)
            for field in self.definition.fields
            if field.type != "file" and not form[f"field_{field.name}"].errors
        }
        shown = applicable(self.definition, checked)
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        uploads: list[Upload] = []
        for field in self.definition.fields:
            if field.name not in shown:
                continue
            bound = form[f"field_{field.name}"]
            if bound.errors:
                errors[field.name] = bound.errors[0]
            elif field.type == "file":
                if len(uploads) + len(bound.data) > max_files:
                    errors[field.name] = ngettext(
                        "Send only one file in all.",
                        "Send %(num)s files at most in all.",
                        max_files,
                    )
                    continue
                uploads.extend(bound.data)
                values[field.name] = bound.data
            else:
                values[field.name] = checked[field.name]
        self._check_rules(values, errors)
        answers = {name: _answer(value) for name, value in values.items()}
        for computed in self.definition.computed:
            drop = _percentage_drop(
                values.get(computed.from_field), values.get(computed.to_field)
            )
            if drop is not None:
                answers[computed.name] = drop
        return Outcome(answers=answers, uploads=uploads, errors=errors)

    def _check_rules(self, values: dict[str, Any], errors: dict[str, str]) -> None:
        for rule in self.definition.rules:
            if rule.type == "date_order":
                start, end = values.get(rule.start or ""), values.get(rule.end or "")
                if start is None or end is None or rule.end in errors:
                    continue
                message = None
                if end < start:
                    message = gettext(
                        "The end date must be on or after the start date."
                    )
                elif rule.max_days is not None and (end - start).days > rule.max_days:
                    message = gettext(
                        "The end date must be at most %(days)s days after the "
                        "start date.",
                        days=rule.max_days,
                    )
                if message:
                    errors[rule.end or ""] = message
                    values.pop(rule.end or "", None)
            elif rule.type == "not_more_than":
                amount, limit = (
                    values.get(rule.field or ""),
                    values.get(rule.than or ""),
                )
                if amount is not None and limit is not None and amount > limit:
                    other = self.definition.field(rule.than or "")
                    errors[rule.field or ""] = gettext(
                        "This must not be more than the answer to “%(other)s”.",
                        other=text(other.label),
                    )
                    values.pop(rule.field or "", None)


def _clean(data: Any) -> Any:
    if isinstance(data, str) and not data.strip():
        return None  # an optional question left empty
    return data


def _answer(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return [upload.filename for upload in value]
    return value


def _percentage_drop(before: Any, after: Any) -> str | None:
    if before is None or after is None or before == 0:
        return None
    drop = (Decimal(before) - Decimal(after)) * 100 / Decimal(before)
    return str(max(drop, Decimal(0)).quantize(Decimal("0.1"), ROUND_HALF_UP))


@functools.lru_cache(maxsize=128)
def compile_form(defn: FormDefinition) -> CompiledForm:
    """The compiled form of ``defn`` (built once per definition and process)."""
    return CompiledForm(defn)


def html_attributes(field: Field) -> dict[str, str | int | bool]:
    """The attributes of the HTML control of ``field``, mirroring the server's
    checks: every accepted answer matches ``pattern`` and fits in ``maxlength``."""
    attributes: dict[str, str | int | bool] = {}
    if field.type == "choice":
        if field.widget == "radio":
            attributes["type"] = "radio"
    elif field.type != "textarea":
        attributes["type"] = _INPUT_TYPES.get(field.type, "text")
    required = (field.min_files or 0) > 0 if field.type == "file" else field.required
    if required:
        attributes["required"] = True
    if field.type in _INPUT_MODES:
        attributes["inputmode"] = _INPUT_MODES[field.type]
    if field.autocomplete:
        attributes["autocomplete"] = field.autocomplete
    check = value_check(field)
    control = "textarea" if field.type == "textarea" else attributes.get("type")
    if check is not None and check.pattern is not None and control in _PATTERNED:
        attributes["pattern"] = check.pattern
    if check is not None and check.maxlength is not None and control in _LIMITED:
        attributes["maxlength"] = check.maxlength
    if field.type == "date":
        attributes["min"] = resolve_date(str(field.min)).isoformat()
        attributes["max"] = resolve_date(str(field.max)).isoformat()
    if field.type == "textarea" and field.rows:
        attributes["rows"] = field.rows
    if field.type == "file":
        accept = field.accept or ()
        attributes["accept"] = ",".join(f"{_EXTENSIONS[m]},{m}" for m in accept)
        if (field.max_files or 1) > 1:
            attributes["multiple"] = True
    return attributes


def display_value(
    field: Field | Computed,
    value: Any,
    lang: str | None = None,
    *,
    unmasked: bool = False,
) -> str:
    """How a stored answer reads in a summary, in ``lang`` (the page's language).

    Fields marked ``mask`` show only their last four characters, unless
    ``unmasked`` (for the organisation's staff, who need the whole value).
    """
    lang = lang or current_language()
    if value is None or value == "" or value == []:
        return ""
    if isinstance(field, Computed):
        ratio = Decimal(value) / 100
        return format_percent(ratio, locale=lang, decimal_quantization=False)
    kind = field.type
    if kind in ("checkbox", "consent"):
        return gettext("Yes", lang=lang) if value else gettext("No", lang=lang)
    if kind == "choice":
        labels = {o.value: o.label for o in field.options or ()}
        return text(labels[value], lang) if value in labels else str(value)
    if kind == "money":
        return format_currency(Decimal(value), "EUR", locale=lang)
    if kind == "number":
        return format_decimal(value, locale=lang)
    if kind == "date":
        return format_date(date.fromisoformat(value), "medium", locale=lang)
    if kind == "file":
        return ", ".join(value)
    shown = str(value)
    masked = field.mask and not unmasked
    if masked:
        shown = _MASK * (len(shown) - 4) + shown[-4:]
    if kind in _GROUPS:
        return _group(shown, _GROUPS[kind])
    if kind == "iban" or masked:
        # Masked values are grouped from the end so the visible tail stays whole.
        return _group(shown, (4,) * ((len(shown) + 3) // 4), from_end=masked)
    return shown


def _group(value: str, sizes: tuple[int, ...], from_end: bool = False) -> str:
    """Split ``value`` in groups for reading (from the end for masked values)."""
    if from_end:
        value = value[::-1]
    parts, start = [], 0
    for size in sizes:
        if start < len(value):
            parts.append(value[start : start + size])
        start += size
    if start < len(value):
        parts.append(value[start:])
    if from_end:
        return " ".join(part[::-1] for part in reversed(parts))
    return " ".join(parts)
