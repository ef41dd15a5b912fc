"""The small forms of a request page besides status changes: who handles the
request, and the staff's comment thread."""

from __future__ import annotations

import re
import secrets

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..i18n import gettext
from .auth import StaffForm

COMMENT_MAX_LENGTH = 2000
#: What a form key looks like (see :func:`new_form_key`).
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{24}")


def new_form_key() -> str:
    """A fresh key for a form that must take effect once however often it is sent."""
    return secrets.token_urlsafe(18)


#: The value of "assign to me", and of nobody, in the assignee field.
ME, NOBODY = "me", ""


class AssignForm(StaffForm):
    """Give a request to a member of the team (a staff id), to ``me``, or to
    nobody; ``expected`` is who held it when the page was shown."""

    assignee = SelectField(validate_choice=False)
    expected = HiddenField()


class CommentForm(StaffForm):
    """A comment; ``key`` is made with the form, so that sending it twice adds
    the comment once."""

    body = TextAreaField(validators=[InputRequired(), Length(max=COMMENT_MAX_LENGTH)])
    key = HiddenField(default=new_form_key)

    def once_key(self) -> str | None:
        """The form's key, or None (the comment is then simply added) when it
        has none or one no form of the kit made (a page from an earlier
        version, a hand-made post)."""
        key = self.key.data or ""
        return key if FORM_KEY.fullmatch(key) else None

    def problems(self) -> dict[str, str]:
        return {
            "body": gettext(
                "Write a comment of at most %(max)s characters.",
                max=COMMENT_MAX_LENGTH,
            )
        }
