"""The audit log: who did what to which request or account, when and from where.

Rows are only ever added; the schema's triggers refuse any change or deletion.
"""

from __future__ import annotations

import json
from typing import Any

from .base import Base, stamp, utcnow

#: Entries per page of the log.
PAGE_SIZE = 100


class Audit(Base):
    def record_audit(
        self,
        organisation_id: int,
        action: str,
        *,
        actor: str,
        staff_id: int | None = None,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
        address: str | None = None,
    ) -> int:
        """Add one entry and return its id. ``actor`` names who acted as it should
        read later (an e-mail address, ``cli``, ``rule``), ``subject`` what it was
        done to (a reference, an account), ``detail`` anything else, as JSON."""
        with self._write() as conn:
            cursor = conn.execute(
                "INSERT INTO audit_log (organisation_id, staff_id, actor, action,"
                " subject, detail, address, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    organisation_id,
                    staff_id,
                    actor,
                    action,
                    subject,
                    json.dumps(detail, ensure_ascii=False, sort_keys=True)
                    if detail
                    else None,
                    address,
                    stamp(utcnow()),
                ),
            )
        return int(cursor.lastrowid or 0)

    def audit_entries(
        self,
        organisation_id: int,
        *,
        action: str | None = None,
        actor: str | None = None,
        before_id: int | None = None,
        limit: int = PAGE_SIZE,
    ) -> list[dict[str, Any]]:
        """The organisation's entries, newest first, optionally of one action or
        actor, older than ``before_id`` (to page through)."""
        where: list[str] = ["organisation_id = ?"]
        params: list[Any] = [organisation_id]
        for column, value in (("action", action), ("actor", actor)):
            if value:
                where.append(f"{column} = ?")
                params.append(value)
        if before_id is not None:
            where.append("id < ?")
            params.append(before_id)
        # The conditions are fixed strings; the values are parameters.
        sql = f"SELECT * FROM audit_log WHERE {' AND '.join(where)}"  # noqa: S608
        rows = self._all(sql + " ORDER BY id DESC LIMIT ?", (*params, limit))
        for row in rows:
            row["detail"] = json.loads(row["detail"]) if row["detail"] else {}
        return rows
