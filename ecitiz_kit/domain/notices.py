"""What the kit tells people about a request, composed when it happens.

Each method returns outbox rows for the store to write in the same transaction
as the change they announce. The links they carry come from :class:`Links`,
handed down by the web layer, so nothing here knows how URLs are built.

The e-mails of a new submission are queued unwritten, so that submitting
renders no template: :meth:`Notices.compose` writes them at delivery from the
stored request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..forms.registry import FormRegistry, PublicForm, form_title
from ..mail import messages
from ..mail.messages import Composer
from ..store import Store


class Links(Protocol):
    """The links an e-mail may carry (see :class:`ecitiz_kit.web.urls.Links`)."""

    def status(
        self, submission: dict[str, Any], lang: str | None = None
    ) -> str | None: ...

    def my_requests(
        self, organisation: dict[str, Any], link_key: str, lang: str | None = None
    ) -> str | None: ...

    def staff_account(self) -> str | None: ...

    def draft(
        self, organisation: dict[str, Any], draft_key: str, lang: str | None = None
    ) -> str | None: ...

    def invitation(
        self, organisation: dict[str, Any], key: str, lang: str | None = None
    ) -> str | None: ...


@dataclass(frozen=True)
class Notices:
    """E-mails about requests, for one application's templates and addresses."""

    composer: Composer
    links: Links
    #: The kit's address as the applicant reached it (in a request): links in
    #: the e-mails composed at delivery point there.
    base_url: str | None = None

    def new_submission(
        self,
        form: PublicForm,
        submission: dict[str, Any],
        applicant: tuple[str, str],
        staff: list[str],
    ) -> list[dict[str, Any]]:
        """The applicant's receipt, and a note to each staff member who asked,
        queued unwritten (see :meth:`compose`)."""
        _name, email = applicant
        default = self.composer.default_language
        rows = []
        if email:
            lang = submission["lang"]
            rows.append(
                messages.queued_message(
                    self.composer,
                    messages.RECEIPT,
                    form.organisation,
                    submission,
                    recipient=email,
                    subject=messages.receipt_subject(submission["reference"], lang),
                    lang=lang,
                    base_url=self.base_url,
                )
            )
        if staff:
            subject = messages.new_request_subject(
                submission["reference"], form.title(default), default
            )
        for address in staff:
            rows.append(
                messages.queued_message(
                    self.composer,
                    messages.NEW_REQUEST,
                    form.organisation,
                    submission,
                    recipient=address,
                    subject=subject,
                    lang=default,
                    base_url=self.base_url,
                )
            )
        return rows

    def compose(
        self, store: Store, registry: FormRegistry, row: dict[str, Any]
    ) -> dict[str, Any] | None:
        """The subject and bodies of an outbox row queued unwritten, from the
        request as stored now; ``None`` when the request or its form is gone."""
        submission = store.submission(row["submission_id"] or 0)
        organisation = store.organisation_by_id(row["organisation_id"] or 0)
        form = submission and store.enabled_form(
            submission["organisation_id"], submission["form_id"]
        )
        if not (submission and organisation and form):
            return None
        definition, _compiled = registry.get(form)
        if row["kind"] == messages.RECEIPT:
            name, _email = definition.applicant_contact(submission["answers"])
            lang = row["lang"]
            # The receipt tells how the request stood when it arrived (accepted
            # at once, or not), even if staff have moved it since.
            first = store.events(submission["id"])[0]
            written = messages.receipt_message(
                self.composer,
                organisation,
                form_title(form, definition, lang),
                {**submission, "lang": lang, "status": first["to_status"]},
                name=name,
                email=row["recipient"],
                tracking_url=self.links.status(submission, lang),
            )
        elif row["kind"] == messages.NEW_REQUEST:
            written = messages.new_request_message(
                self.composer,
                organisation,
                form_title(form, definition, self.composer.default_language),
                submission,
                email=row["recipient"],
                account_url=self.links.staff_account(),
            )
        else:
            return None
        return {key: written[key] for key in ("body_text", "body_html")}

    def status_change(
        self,
        organisation: dict[str, Any],
        form_title: str,
        submission: dict[str, Any],
        applicant: tuple[str, str],
        *,
        to_status: str,
        public_message: str | None,
        granted_cents: int | None = None,
    ) -> list[dict[str, Any]]:
        """Tell the applicant, if they gave an address, where their request stands
        (and the amount granted, if any)."""
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
                granted_cents=granted_cents,
            )
        ]

    def my_requests(
        self,
        organisation: dict[str, Any],
        *,
        name: str,
        email: str,
        lang: str,
        link_key: str,
        valid_for: str,
    ) -> dict[str, Any]:
        """The link to the list of the requests ``email`` sent to ``organisation``."""
        return messages.my_requests_message(
            self.composer,
            organisation,
            name=name,
            email=email,
            lang=lang,
            list_url=self.links.my_requests(organisation, link_key, lang),
            valid_for=valid_for,
        )

    def draft(
        self,
        organisation: dict[str, Any],
        *,
        form_title: str,
        email: str,
        lang: str,
        draft_url: str | None,
        expires_at: str,
    ) -> dict[str, Any]:
        """The link ``draft_url`` to a saved draft, for the address its
        applicant gave."""
        return messages.draft_message(
            self.composer,
            organisation,
            form_title=form_title,
            email=email,
            lang=lang,
            draft_url=draft_url,
            expires_at=expires_at,
        )

    def invitation(
        self,
        organisation: dict[str, Any],
        *,
        email: str,
        role: str,
        lang: str,
        url: str | None,
        valid_for: str,
    ) -> dict[str, Any]:
        """The invitation of ``email`` to the team of ``organisation``, holding
        the link ``url``."""
        return messages.invitation_message(
            self.composer,
            organisation,
            email=email,
            admin=role == "admin",
            lang=lang,
            invitation_url=url,
            valid_for=valid_for,
        )
