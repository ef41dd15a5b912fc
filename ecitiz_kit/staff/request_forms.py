"""The small forms of a request page besides status changes: who handles the
request, and the staff's comment thread."""

from __future__ import annotations

from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length

from ..i18n import gettext
from .auth import StaffForm

COMMENT_MAX_LENGTH = 2000
#: The value of "assign to me", and of nobody, in the assignee field.
ME, NOBODY = "me", ""


class AssignForm(StaffForm):
    """Give a request to a member of the team (a staff id), to ``me``, or to
    nobody; ``expected`` is who held it when the page was shown."""

    assignee = SelectField(validate_choice=False)
    expected = HiddenField()


class CommentForm(StaffForm):
    body = TextAreaField(validators=[InputRequired(), Length(max=COMMENT_MAX_LENGTH)])

    def problems(self) -> dict[str, str]:
        return {
            "body": gettext(
                "Write a comment of at most %(max)s characters.",
                max=COMMENT_MAX_LENGTH,
            )
        }
