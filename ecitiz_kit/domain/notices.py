"""What the kit tells people about a request, composed when it happens.

Each method returns outbox rows for the store to write in the same transaction
as the change they announce. The links they carry come from :class:`Links`,
handed down by the web layer, so nothing here knows how URLs are built.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..forms.registry import PublicForm
from ..mail import messages
from ..mail.messages import Composer


class Links(Protocol):
    """The links an e-mail may carry (see :class:`ecitiz_kit.web.urls.Links`)."""

    def status(
        self, submission: dict[str, Any], lang: str | None = None
    ) -> str | None: ...


@dataclass(frozen=True)
class Notices:
    """E-mails about requests, for one application's templates and addresses."""

    composer: Composer
    links: Links

    def new_submission(
        self,
        form: PublicForm,
        submission: dict[str, Any],
        applicant: tuple[str, str],
        staff: list[str],
    ) -> list[dict[str, Any]]:
        """The applicant's receipt, and a note to each staff member who asked."""
        name, email = applicant
        lang = submission["lang"]
        rows = []
        if email:
            rows.append(
                messages.receipt_message(
                    self.composer,
                    form.organisation,
                    form.title(lang),
                    submission,
                    name=name,
                    email=email,
                    tracking_url=self.links.status(submission, lang),
                )
            )
        staff_title = form.title(self.composer.default_language)
        for address in staff:
            rows.append(
                messages.new_request_message(
                    self.composer,
                    form.organisation,
                    staff_title,
                    submission,
                    email=address,
                )
            )
        return rows

    def status_change(
        self,
        organisation: dict[str, Any],
        form_title: str,
        submission: dict[str, Any],
        applicant: tuple[str, str],
        *,
        to_status: str,
        public_message: str | None,
    ) -> list[dict[str, Any]]:
        """Tell the applicant, if they gave an address, where their request stands."""
        name, email = applicant
        if not email:
            return []
        return [
            messages.status_message(
                self.composer,
                organisation,
                form_title,
                submission,
                to_status=to_status,
                public_message=public_message,
                name=name,
                email=email,
                tracking_url=self.links.status(submission, submission["lang"]),
            )
        ]

    def lost_link(
        self,
        organisation: dict[str, Any],
        form_title: str,
        submission: dict[str, Any],
        *,
        name: str,
        email: str,
    ) -> dict[str, Any]:
        """The tracking link again, to the address the request gave."""
        return messages.lost_link_message(
            self.composer,
            organisation,
            form_title,
            submission,
            name=name,
            email=email,
            tracking_url=self.links.status(submission, submission["lang"]),
        )
