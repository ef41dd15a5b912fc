"""The schema, one script per version (``PRAGMA user_version`` counts them)."""

from __future__ import annotations

#: Each entry upgrades the schema by one version.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE organisations (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        contact_email TEXT,
        created_at TEXT NOT NULL
    );
    CREATE TABLE allowed_origins (
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        origin TEXT NOT NULL,
        PRIMARY KEY (organisation_id, origin)
    );
    CREATE TABLE forms (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        form_id TEXT NOT NULL,
        version INTEGER NOT NULL,
        definition TEXT,
        title_override TEXT,
        retention_days INTEGER NOT NULL,
        enabled_at TEXT NOT NULL,
        UNIQUE (organisation_id, form_id)
    );
    CREATE TABLE submissions (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        form_id TEXT NOT NULL,
        form_version INTEGER NOT NULL,
        reference TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL,
        answers TEXT NOT NULL,
        lang TEXT NOT NULL,
        link_version INTEGER NOT NULL DEFAULT 1,
        -- the form ticket's nonce: a ticket is spent once, by one submission
        nonce TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE INDEX submissions_by_org_date
        ON submissions (organisation_id, created_at DESC, id DESC);
    CREATE TABLE attachments (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        field TEXT NOT NULL,
        stored_name TEXT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX attachments_by_submission ON attachments (submission_id);
    CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        created_at TEXT NOT NULL,
        actor TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT NOT NULL,
        public_message TEXT,
        private_note TEXT
    );
    CREATE INDEX events_by_submission ON events (submission_id, id);
    CREATE TABLE staff (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        session_version INTEGER NOT NULL DEFAULT 1,
        created_at TEXT NOT NULL
    );
    """,
    """
    ALTER TABLE forms ADD COLUMN issue_on_submit INTEGER NOT NULL DEFAULT 0;
    CREATE TABLE signing_keys (
        kid TEXT PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        public_key BLOB NOT NULL,
        created_at TEXT NOT NULL,
        retired_at TEXT
    );
    CREATE INDEX signing_keys_by_org ON signing_keys (organisation_id, retired_at);
    CREATE TABLE documents (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        serial TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        kid TEXT NOT NULL REFERENCES signing_keys(kid),
        holder TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        template_version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        revoked_at TEXT,
        revoke_reason TEXT
    );
    CREATE INDEX documents_by_submission ON documents (submission_id);
    CREATE INDEX documents_by_key ON documents (kid, valid_to);
    """,
    """
    CREATE TABLE tracking_pages (
        organisation_id INTEGER PRIMARY KEY REFERENCES organisations(id),
        url TEXT NOT NULL
    );
    """,
    """
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        organisation_id INTEGER REFERENCES organisations(id),
        -- no foreign key: a purged request keeps the record of what was sent
        submission_id INTEGER,
        recipient TEXT NOT NULL,
        reply_to TEXT,
        lang TEXT NOT NULL,
        subject TEXT NOT NULL,
        body_text TEXT NOT NULL,
        body_html TEXT NOT NULL,
        -- pending, sending (claimed), sent or failed
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        last_error TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT
    );
    CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
    CREATE INDEX outbox_by_submission ON outbox (submission_id);
    CREATE TABLE lost_link_requests (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        matched INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    ALTER TABLE staff ADD COLUMN notify_new_requests INTEGER NOT NULL DEFAULT 0;
    """,
    """
    -- Staff sign-in: one row per signed-in device (the cookie holds the random
    -- key, the table its hash), and recent failures for throttling.
    CREATE TABLE staff_sessions (
        key_hash TEXT PRIMARY KEY,
        staff_id INTEGER NOT NULL REFERENCES staff(id),
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL
    );
    CREATE INDEX staff_sessions_by_staff ON staff_sessions (staff_id);
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        account TEXT NOT NULL,
        address TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX login_failures_by_account ON login_failures (account, created_at);
    CREATE INDEX login_failures_by_address ON login_failures (address, created_at);
    CREATE INDEX login_failures_by_date ON login_failures (created_at);
    -- Requests sent back for changes: the answers each amendment replaced, and
    -- the files it replaced (kept, marked with the last version that had them).
    CREATE TABLE submission_versions (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        number INTEGER NOT NULL,
        form_version INTEGER NOT NULL,
        answers TEXT NOT NULL,
        created_at TEXT NOT NULL,
        replaced_at TEXT NOT NULL,
        -- ids of the attachments these answers had (JSON list)
        attachments TEXT NOT NULL,
        -- the form ticket that replaced these answers: spent once
        nonce TEXT NOT NULL UNIQUE,
        UNIQUE (submission_id, number)
    );
    ALTER TABLE attachments ADD COLUMN replaced_in INTEGER;
    ALTER TABLE events ADD COLUMN kind TEXT;
    """,
    """
    ALTER TABLE submissions ADD COLUMN applicant_name TEXT;
    ALTER TABLE submissions ADD COLUMN applicant_email TEXT;
    -- NULL until filled from the answers by the form's definition (at submit
    -- time, or at start-up for rows written before these columns existed).
    CREATE INDEX submissions_without_applicant ON submissions (id)
        WHERE applicant_name IS NULL;
    CREATE INDEX submissions_by_org_status_date
        ON submissions (organisation_id, status, created_at DESC, id DESC);
    CREATE INDEX submissions_by_org_form_date
        ON submissions (organisation_id, form_id, created_at DESC, id DESC);
    CREATE INDEX submissions_by_org_form_status_date
        ON submissions (organisation_id, form_id, status, created_at DESC, id DESC);
    CREATE VIRTUAL TABLE submission_search USING fts5 (
        applicant_name, applicant_email,
        content = 'submissions', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER submission_search_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_search (rowid, applicant_name, applicant_email)
        VALUES (new.id, new.applicant_name, new.applicant_email);
    END;
    CREATE TRIGGER submission_search_delete AFTER DELETE ON submissions BEGIN
        INSERT INTO submission_search
            (submission_search, rowid, applicant_name, applicant_email)
        VALUES ('delete', old.id, old.applicant_name, old.applicant_email);
    END;
    CREATE TRIGGER submission_search_update
    AFTER UPDATE OF applicant_name, applicant_email ON submissions BEGIN
        INSERT INTO submission_search
            (submission_search, rowid, applicant_name, applicant_email)
        VALUES ('delete', old.id, old.applicant_name, old.applicant_email);
        INSERT INTO submission_search (rowid, applicant_name, applicant_email)
        VALUES (new.id, new.applicant_name, new.applicant_email);
    END;
    INSERT INTO submission_search (submission_search) VALUES ('rebuild');
    -- Requests per organisation, form and status, kept by triggers in the same
    -- transaction as every change: the list's counts without reading each row.
    CREATE TABLE submission_tallies (
        organisation_id INTEGER NOT NULL,
        form_id TEXT NOT NULL,
        status TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (organisation_id, form_id, status)
    ) WITHOUT ROWID;
    INSERT INTO submission_tallies (organisation_id, form_id, status, n)
        SELECT organisation_id, form_id, status, count(*) FROM submissions
        GROUP BY organisation_id, form_id, status;
    CREATE TRIGGER submission_tallies_insert AFTER INSERT ON submissions BEGIN
        INSERT INTO submission_tallies (organisation_id, form_id, status, n)
        VALUES (new.organisation_id, new.form_id, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    CREATE TRIGGER submission_tallies_delete AFTER DELETE ON submissions BEGIN
        UPDATE submission_tallies SET n = n - 1 WHERE organisation_id =
            old.organisation_id AND form_id = old.form_id AND status = old.status;
    END;
    CREATE TRIGGER submission_tallies_update
    AFTER UPDATE OF organisation_id, form_id, status ON submissions BEGIN
        UPDATE submission_tallies SET n = n - 1 WHERE organisation_id =
            old.organisation_id AND form_id = old.form_id AND status = old.status;
        INSERT INTO submission_tallies (organisation_id, form_id, status, n)
        VALUES (new.organisation_id, new.form_id, new.status, 1)
        ON CONFLICT DO UPDATE SET n = n + 1;
    END;
    """,
    """
    -- A reference search reads one organisation's references, however many
    -- the others hold.
    CREATE INDEX submissions_by_org_reference
        ON submissions (organisation_id, reference);
    """,
    """
    -- What receipt and tracking tokens carry instead of the row id, which counts
    -- the requests: 128 random bits. Rows written before get theirs here; a row
    -- inserted without one (bulk loads) gets one from the trigger.
    ALTER TABLE submissions ADD COLUMN public_id TEXT;
    UPDATE submissions SET public_id = lower(hex(randomblob(16)));
    CREATE UNIQUE INDEX submissions_by_public_id ON submissions (public_id);
    CREATE TRIGGER submissions_public_id AFTER INSERT ON submissions
    WHEN new.public_id IS NULL BEGIN
        UPDATE submissions SET public_id = lower(hex(randomblob(16)))
        WHERE id = new.id;
    END;
    """,
    """
    -- Each issued document's PDF, rendered once (by the worker after the issue,
    -- or by the first download) and served as stored: a row without a pdf is a
    -- document waiting to be rendered. Documents issued before are queued here.
    CREATE TABLE document_files (
        document_id INTEGER PRIMARY KEY
            REFERENCES documents(id) ON DELETE CASCADE,
        pdf BLOB,
        rendered_at TEXT
    );
    CREATE INDEX document_files_to_render ON document_files (document_id)
        WHERE pdf IS NULL;
    INSERT INTO document_files (document_id)
        SELECT id FROM documents WHERE revoked_at IS NULL;
    """,
    """
    -- A receipt is queued without its bodies (empty texts), and written by the
    -- delivery job from the stored request: its links go to the kit's address
    -- as the applicant reached it.
    ALTER TABLE outbox ADD COLUMN base_url TEXT;
    """,
    """
    -- Sign-in failures are counted with the rate limits now (per account and
    -- address, in the rate-limit storage), not in the database.
    DROP TABLE login_failures;
    """,
    """
    -- The submit path writes less. The search index is filled after the fact:
    -- every request up to search_indexed.last_id is in submission_search, none
    -- after it, and a search first indexes the newer ones (Listing.index_for_search).
    -- A delete lowers the mark to the highest id left, which the next new
    -- request's id exceeds.
    CREATE TABLE search_indexed (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_id INTEGER NOT NULL
    );
    INSERT INTO search_indexed (id, last_id)
        SELECT 1, coalesce(max(id), 0) FROM submissions;
    DROP TRIGGER submission_search_insert;
    DROP TRIGGER submission_search_delete;
    DROP TRIGGER submission_search_update;
    CREATE TRIGGER submission_search_delete AFTER DELETE ON submissions BEGIN
        INSERT INTO submission_search
            (submission_search, rowid, applicant_name, applicant_email)
        SELECT 'delete', old.id, old.applicant_name, old.applicant_email
        WHERE old.id <= (SELECT last_id FROM search_indexed);
        UPDATE search_indexed
        SET last_id = (SELECT coalesce(max(id), 0) FROM submissions)
        WHERE last_id > (SELECT coalesce(max(id), 0) FROM submissions);
    END;
    CREATE TRIGGER submission_search_update
    AFTER UPDATE OF applicant_name, applicant_email ON submissions
    WHEN old.id <= (SELECT last_id FROM search_indexed) BEGIN
        INSERT INTO submission_search
            (submission_search, rowid, applicant_name, applicant_email)
        VALUES ('delete', old.id, old.applicant_name, old.applicant_email);
        INSERT INTO submission_search (rowid, applicant_name, applicant_email)
        VALUES (new.id, new.applicant_name, new.applicant_email);
    END;
    -- Oldest first: a new request lands at the end of its range, where a full
    -- page splits in two, not three (ORDER BY ... DESC reads them backwards).
    DROP INDEX submissions_by_org_date;
    CREATE INDEX submissions_by_org_date
        ON submissions (organisation_id, created_at, id);
    DROP INDEX submissions_by_org_status_date;
    CREATE INDEX submissions_by_org_status_date
        ON submissions (organisation_id, status, created_at, id);
    DROP INDEX submissions_by_org_form_date;
    CREATE INDEX submissions_by_org_form_date
        ON submissions (organisation_id, form_id, created_at, id);
    DROP INDEX submissions_by_org_form_status_date;
    CREATE INDEX submissions_by_org_form_status_date
        ON submissions (organisation_id, form_id, status, created_at, id);
    -- Nothing reads the outbox by request.
    DROP INDEX outbox_by_submission;
    """,
    """
    -- A team per organisation: admins manage it and the organisation's settings,
    -- agents process requests. Accounts made before roles were all admins. A
    -- deactivated account keeps its row (its name stays on what it did) but
    -- cannot sign in, and its sessions are gone.
    ALTER TABLE staff ADD COLUMN role TEXT NOT NULL DEFAULT 'admin'
        CHECK (role IN ('admin', 'agent'));
    ALTER TABLE staff ADD COLUMN active INTEGER NOT NULL DEFAULT 1;
    -- Who did what, when, from where: written once, never changed.
    CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        staff_id INTEGER REFERENCES staff(id),
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        subject TEXT,
        detail TEXT,
        address TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX audit_log_by_org ON audit_log (organisation_id, id);
    CREATE TRIGGER audit_log_kept BEFORE UPDATE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    CREATE TRIGGER audit_log_never_deleted BEFORE DELETE ON audit_log BEGIN
        SELECT RAISE(ABORT, 'the audit log is append-only');
    END;
    """,
    """
    -- A request may be assigned to one member of its organisation's team. Each
    -- change is kept for the staff timeline, apart from the events applicants see.
    ALTER TABLE submissions ADD COLUMN assigned_to INTEGER REFERENCES staff(id);
    CREATE INDEX submissions_by_org_assignee_date
        ON submissions (organisation_id, assigned_to, created_at, id);
    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        staff_id INTEGER REFERENCES staff(id),
        actor TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX assignments_by_submission ON assignments (submission_id, id);
    """,
    """
    -- "My requests": an organisation's requests by applicant address, matched
    -- as the applicant may type it (Python's casefold of the trimmed address,
    -- written with the address by the store). ASCII addresses get theirs here
    -- (SQLite's lower() is casefold for them); the others are filled again from
    -- their answers at start-up, with the applicant's name.
    ALTER TABLE submissions ADD COLUMN applicant_key TEXT;
    UPDATE submissions SET applicant_key = lower(trim(applicant_email))
        WHERE applicant_email IS NOT NULL AND applicant_email NOT GLOB '*[^ -~]*';
    UPDATE submissions SET applicant_name = NULL
        WHERE applicant_email GLOB '*[^ -~]*';
    CREATE INDEX submissions_by_org_applicant
        ON submissions (organisation_id, applicant_key, created_at, id);
    -- The links to a "my requests" page: the e-mailed token names a row, so it
    -- carries no address. Rows go once their link has expired.
    CREATE TABLE applicant_links (
        key TEXT PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        applicant_key TEXT NOT NULL,
        created_at TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX applicant_links_by_date ON applicant_links (created_at);
    """,
    """
    -- A procedure may open and close at set times (stored in UTC, like every
    -- stamp); NULL: open since it was enabled, or open with no end.
    ALTER TABLE forms ADD COLUMN opens_at TEXT;
    ALTER TABLE forms ADD COLUMN closes_at TEXT;
    """,
    """
    -- An organisation's theme: the look of its public pages unless an embed
    -- sets its own (NULL: the kit's default for that value).
    ALTER TABLE organisations ADD COLUMN theme_primary TEXT;
    ALTER TABLE organisations ADD COLUMN theme_radius INTEGER;
    ALTER TABLE organisations ADD COLUMN theme_font TEXT;
    """,
    """
    -- Staff talk about a request among themselves: comments are never shown to
    -- the applicant, and live apart from the events the tracking page reads.
    CREATE TABLE comments (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        staff_id INTEGER REFERENCES staff(id),
        author TEXT NOT NULL,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX comments_by_submission ON comments (submission_id, id);
    -- One person's requests per status, counted and listed from the index alone.
    CREATE INDEX submissions_by_org_assignee_status_date
        ON submissions (organisation_id, assigned_to, status, created_at, id);
    """,
    """
    -- Invitations to join an organisation's team: the e-mailed link names a row
    -- by its random key; the row is spent when the colleague sets a password, or
    -- when a newer invitation to the same address replaces it.
    CREATE TABLE invitations (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        key TEXT NOT NULL UNIQUE,
        email TEXT NOT NULL COLLATE NOCASE,
        role TEXT NOT NULL CHECK (role IN ('admin', 'agent')),
        invited_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        used_at TEXT
    );
    CREATE INDEX invitations_by_org_email ON invitations (organisation_id, email);
    -- The audit log filtered by action or by person, newest first.
    CREATE INDEX audit_log_by_org_action ON audit_log (organisation_id, action, id);
    CREATE INDEX audit_log_by_org_actor ON audit_log (organisation_id, actor, id);
    """,
    """
    -- Work done in the background, taken by a worker under a lease: when the
    -- lease runs out (the worker died), another worker takes the job over.
    -- ``key`` comes from the form that asked for the job: the same form posted
    -- twice finds the first job instead of making a second one.
    CREATE TABLE jobs (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        staff_id INTEGER REFERENCES staff(id),
        actor TEXT NOT NULL,
        address TEXT,
        params TEXT NOT NULL,
        total INTEGER NOT NULL,
        lease_owner TEXT,
        lease_until TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        created_at TEXT NOT NULL,
        finished_at TEXT,
        UNIQUE (organisation_id, key)
    );
    CREATE INDEX jobs_unfinished ON jobs (finished_at, lease_until);
    -- The requests a bulk action was asked for, with what they were then: each
    -- one's outcome is written in the transaction that moves it, so a job
    -- taken over never moves a request twice.
    CREATE TABLE job_items (
        job_id INTEGER NOT NULL REFERENCES jobs(id),
        -- no foreign key: a request deleted at the end of its retention
        -- period does not need its bulk actions deleted first
        submission_id INTEGER NOT NULL,
        position INTEGER NOT NULL,
        expected_status TEXT NOT NULL,
        expected_assignee INTEGER,
        outcome TEXT,
        audited INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (job_id, submission_id)
    ) WITHOUT ROWID;
    CREATE INDEX job_items_by_position ON job_items (job_id, position);
    """,
    """
    -- Retention acts: each request goes its form's retention_days after its last
    -- change, deleted or, per form, anonymised (the statistics stay). Admins are
    -- told first: purge_announced_at is when, for the request as last changed.
    ALTER TABLE forms ADD COLUMN after_retention TEXT NOT NULL DEFAULT 'delete'
        CHECK (after_retention IN ('delete', 'anonymise'));
    ALTER TABLE submissions ADD COLUMN purge_announced_at TEXT;
    ALTER TABLE submissions ADD COLUMN anonymised_at TEXT;
    CREATE INDEX submissions_by_org_form_change
        ON submissions (organisation_id, form_id, updated_at)
        WHERE anonymised_at IS NULL;
    -- A document outlives its request until it expires, so that it still
    -- verifies and can be revoked: submission_id becomes NULL when the request
    -- goes. The table is rebuilt without its rendered files, which are copied
    -- aside first (dropping documents would cascade to them).
    CREATE TEMP TABLE document_files_kept AS SELECT * FROM document_files;
    DROP TABLE document_files;
    CREATE TABLE documents_detachable (
        id INTEGER PRIMARY KEY,
        submission_id INTEGER REFERENCES submissions(id),
        serial TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        kid TEXT NOT NULL REFERENCES signing_keys(kid),
        holder TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_to TEXT NOT NULL,
        issued_at TEXT NOT NULL,
        template_version INTEGER NOT NULL,
        payload TEXT NOT NULL,
        revoked_at TEXT,
        revoke_reason TEXT
    );
    INSERT INTO documents_detachable (id, submission_id, serial, type, kid, holder,
        valid_from, valid_to, issued_at, template_version, payload, revoked_at,
        revoke_reason)
    SELECT id, submission_id, serial, type, kid, holder, valid_from, valid_to,
        issued_at, template_version, payload, revoked_at, revoke_reason
    FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_detachable RENAME TO documents;
    CREATE INDEX documents_by_submission ON documents (submission_id);
    CREATE INDEX documents_by_key ON documents (kid, valid_to);
    CREATE TABLE document_files (
        document_id INTEGER PRIMARY KEY
            REFERENCES documents(id) ON DELETE CASCADE,
        pdf BLOB,
        rendered_at TEXT
    );
    CREATE INDEX document_files_to_render ON document_files (document_id)
        WHERE pdf IS NULL;
    INSERT INTO document_files (document_id, pdf, rendered_at)
        SELECT document_id, pdf, rendered_at FROM document_files_kept;
    DROP TABLE document_files_kept;
    """,
    """
    -- Deadlines: each enabled form's decision period (NULL: its definition's,
    -- else ECITIZ_DECISION_DAYS, until an admin sets one) and the rule applied to
    -- requests still undecided when it ends (NULL: none). A request's due date
    -- is a day in ECITIZ_TIMEZONE, written at submit and moved with the period.
    ALTER TABLE forms ADD COLUMN decision_days INTEGER;
    ALTER TABLE forms ADD COLUMN deadline_rule TEXT
        CHECK (deadline_rule IN ('accept', 'reject'));
    ALTER TABLE submissions ADD COLUMN due_on TEXT;
    -- Only requests awaiting a decision have a due date that matters: the
    -- literal statuses here are repeated by every query that uses the index.
    CREATE INDEX submissions_by_org_due
        ON submissions (organisation_id, due_on, id, status)
        WHERE status IN ('submitted', 'in_review');
    -- Their counts per status: one range of due dates per status.
    CREATE INDEX submissions_by_org_status_due
        ON submissions (organisation_id, status, due_on)
        WHERE status IN ('submitted', 'in_review');
    CREATE INDEX submissions_to_fill ON submissions (id) WHERE due_on IS NULL;
    -- Duplicate and fraud signals: the normalised SIRET, a keyed hash of the
    -- normalised IBAN (never the IBAN itself), and flags set when another
    -- request of the organisation shares one of them or the e-mail address.
    ALTER TABLE submissions ADD COLUMN siret_key TEXT;
    ALTER TABLE submissions ADD COLUMN iban_key TEXT;
    ALTER TABLE submissions ADD COLUMN shares_siret INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE submissions ADD COLUMN shares_iban INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE submissions ADD COLUMN shares_email INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE submissions ADD COLUMN iban_sirets INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX submissions_by_org_siret
        ON submissions (organisation_id, siret_key) WHERE siret_key IS NOT NULL;
    CREATE INDEX submissions_by_org_iban
        ON submissions (organisation_id, iban_key, siret_key)
        WHERE iban_key IS NOT NULL;
    CREATE INDEX submissions_sharing_siret
        ON submissions (organisation_id, created_at, id) WHERE shares_siret = 1;
    CREATE INDEX submissions_sharing_iban
        ON submissions (organisation_id, created_at, id) WHERE shares_iban = 1;
    CREATE INDEX submissions_sharing_email
        ON submissions (organisation_id, created_at, id) WHERE shares_email = 1;
    CREATE INDEX submissions_iban_sirets
        ON submissions (organisation_id, created_at, id) WHERE iban_sirets = 1;
    -- A daily digest for staff who ask for one, sent once a day each.
    ALTER TABLE staff ADD COLUMN digest INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE staff ADD COLUMN digest_sent_on TEXT;
    """,
    """
    -- Tokens of an organisation's read-only API. Only the SHA-256 of each token
    -- is kept: it is shown once, when made. A revoked token keeps its row (the
    -- audit log names it) but opens nothing.
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        name TEXT NOT NULL,
        token_hash TEXT NOT NULL UNIQUE,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        last_used_at TEXT,
        revoked_at TEXT
    );
    CREATE INDEX api_tokens_by_org ON api_tokens (organisation_id, id);
    """,
    """
    -- Each comment form carries a key, so that the same form sent twice (a
    -- double click, a resent page) adds its comment once.
    ALTER TABLE comments ADD COLUMN form_key TEXT;
    CREATE UNIQUE INDEX comments_once ON comments (submission_id, form_key)
        WHERE form_key IS NOT NULL;
    """,
    """
    -- Exports built by the worker (XLSX, ZIP): how many requests are written so
    -- far, the file being written or built under the data folder's exports/
    -- (named before it is created, so no file is ever unknown), its size, when
    -- it is removed, and whether building it failed.
    ALTER TABLE jobs ADD COLUMN progress INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE jobs ADD COLUMN file_name TEXT;
    ALTER TABLE jobs ADD COLUMN file_size INTEGER;
    ALTER TABLE jobs ADD COLUMN expires_at TEXT;
    ALTER TABLE jobs ADD COLUMN failed INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX jobs_export_files ON jobs (expires_at) WHERE file_name IS NOT NULL;
    """,
    """
    -- An organisation's webhook endpoints. The secret signs the deliveries, so
    -- it must be kept in a usable form: it is sealed (encrypted) with a key
    -- derived from the application's SECRET_KEY, never stored in the clear.
    -- ``failures`` counts the failed attempts since the last success; at
    -- ECITIZ_WEBHOOK_MAX_FAILURES the endpoint is disabled.
    CREATE TABLE webhooks (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        url TEXT NOT NULL,
        events TEXT NOT NULL,
        include_answers INTEGER NOT NULL DEFAULT 0,
        sealed_secret TEXT NOT NULL,
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        failures INTEGER NOT NULL DEFAULT 0,
        last_attempt_at TEXT,
        last_outcome TEXT,
        disabled_at TEXT
    );
    CREATE INDEX webhooks_by_org ON webhooks (organisation_id, id);
    -- One row per event and endpoint, written in the same transaction as the
    -- event. ``message_id`` is the webhook-id header, the same at each attempt.
    CREATE TABLE webhook_deliveries (
        id INTEGER PRIMARY KEY,
        webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL UNIQUE,
        event_type TEXT NOT NULL,
        submission_id INTEGER,
        payload TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'delivered', 'failed')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        claimed_by TEXT,
        claimed_until TEXT,
        response_status INTEGER,
        last_error TEXT,
        created_at TEXT NOT NULL,
        delivered_at TEXT
    );
    CREATE INDEX webhook_deliveries_due
        ON webhook_deliveries (next_attempt_at, id)
        WHERE status IN ('pending', 'sending');
    CREATE INDEX webhook_deliveries_by_webhook
        ON webhook_deliveries (webhook_id, id);
    """,
    """
    -- Payments. The amount granted on acceptance, in cents (NULL: the form
    -- describes no payment, or the request is not accepted or paid).
    ALTER TABLE submissions ADD COLUMN granted_cents INTEGER
        CHECK (granted_cents IS NULL OR granted_cents > 0);
    -- The account an organisation pays from, set by an admin.
    ALTER TABLE organisations ADD COLUMN debtor_name TEXT;
    ALTER TABLE organisations ADD COLUMN debtor_iban TEXT;
    ALTER TABLE organisations ADD COLUMN debtor_bic TEXT;
    -- A SEPA credit-transfer file: open until marked paid or cancelled. Its
    -- XML is kept as made, so every download is the same file.
    CREATE TABLE payment_batches (
        id INTEGER PRIMARY KEY,
        organisation_id INTEGER NOT NULL REFERENCES organisations(id),
        key TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        state TEXT NOT NULL DEFAULT 'open'
            CHECK (state IN ('open', 'paid', 'cancelled')),
        transfers INTEGER NOT NULL,
        total_cents INTEGER NOT NULL,
        xml BLOB NOT NULL,
        -- JSON: the selected requests left out, with why ([reference, reason]).
        left_out TEXT NOT NULL DEFAULT '[]',
        created_by TEXT NOT NULL,
        created_at TEXT NOT NULL,
        closed_by TEXT,
        closed_at TEXT,
        UNIQUE (organisation_id, key)
    );
    CREATE INDEX payment_batches_by_org ON payment_batches (organisation_id, id);
    -- One row per transfer; ``open`` mirrors its batch's state, so that the
    -- unique index below keeps a request out of two open batches.
    CREATE TABLE payment_items (
        id INTEGER PRIMARY KEY,
        batch_id INTEGER NOT NULL REFERENCES payment_batches(id),
        submission_id INTEGER NOT NULL REFERENCES submissions(id),
        amount_cents INTEGER NOT NULL CHECK (amount_cents > 0),
        open INTEGER NOT NULL DEFAULT 1 CHECK (open IN (0, 1)),
        UNIQUE (batch_id, submission_id)
    );
    CREATE UNIQUE INDEX payment_items_open_once
        ON payment_items (submission_id) WHERE open = 1;
    CREATE INDEX payment_items_by_submission ON payment_items (submission_id);
    """,
    """
    -- What a company register says of the SIRET a request gives, beside what
    -- the applicant typed: 'found' (register holds the register's record as
    -- JSON), 'unknown' (not in the register), or 'pending' (the directory could
    -- not be asked; the worker tries again from next_try_at on).
    CREATE TABLE company_checks (
        submission_id INTEGER PRIMARY KEY
            REFERENCES submissions(id) ON DELETE CASCADE,
        siret TEXT NOT NULL,
        state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('found', 'unknown', 'pending')),
        register TEXT,
        checked_at TEXT,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_try_at TEXT,
        last_error TEXT
    );
    CREATE INDEX company_checks_due ON company_checks (next_try_at)
        WHERE state = 'pending';
    """,
    """
    -- Drafts: answers saved to finish later, reached by a signed link. A draft
    -- is not a request (no reference, no staff page); submitting spends it,
    -- its answers are forgotten and its link leads to the receipt. Removed,
    -- with its files, once it expires.
    CREATE TABLE drafts (
        id INTEGER PRIMARY KEY,
        draft_key TEXT NOT NULL UNIQUE,
        organisation_id INTEGER NOT NULL,
        form_id TEXT NOT NULL,
        answers TEXT NOT NULL,
        lang TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        submission_id INTEGER,
        spent_at TEXT
    );
    CREATE INDEX drafts_by_expiry ON drafts (expires_at);
    -- Files checked and kept before their request exists, held by a form
    -- ticket ('ticket:' and its nonce) or a draft ('draft:' and its key).
    -- Submitting moves them to attachments; the rest go with their holder.
    CREATE TABLE kept_uploads (
        id INTEGER PRIMARY KEY,
        upload_key TEXT NOT NULL UNIQUE,
        holder TEXT NOT NULL,
        organisation_id INTEGER NOT NULL,
        form_id TEXT NOT NULL,
        field TEXT NOT NULL,
        stored_name TEXT NOT NULL UNIQUE,
        filename TEXT NOT NULL,
        content_type TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE INDEX kept_uploads_by_holder ON kept_uploads (holder, id);
    CREATE INDEX kept_uploads_by_age ON kept_uploads (created_at);
    """,
    """
    -- The search index holds each request's words prefixed with its
    -- organisation ("o42xdurand"), as on PostgreSQL: a search reads its own
    -- organisation's words only, and a name common in another organisation
    -- costs it nothing. The store folds and prefixes the words
    -- (Listing.index_for_search) into search_words, the index's content, which
    -- triggers keep the index in step with. A request's words leave as soon as
    -- it goes or its applicant changes; changed ones wait in search_stale for
    -- the next search, which indexes them again with the new requests.
    DROP TRIGGER submission_search_delete;
    DROP TRIGGER submission_search_update;
    DROP TABLE submission_search;
    CREATE TABLE search_words (
        id INTEGER PRIMARY KEY,
        words TEXT NOT NULL
    );
    CREATE VIRTUAL TABLE submission_search USING fts5 (
        words,
        content = 'search_words', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER search_words_insert AFTER INSERT ON search_words BEGIN
        INSERT INTO submission_search (rowid, words) VALUES (new.id, new.words);
    END;
    CREATE TRIGGER search_words_delete AFTER DELETE ON search_words BEGIN
        INSERT INTO submission_search (submission_search, rowid, words)
        VALUES ('delete', old.id, old.words);
    END;
    CREATE TABLE search_stale (id INTEGER PRIMARY KEY);
    CREATE TRIGGER submission_search_delete AFTER DELETE ON submissions BEGIN
        DELETE FROM search_words WHERE id = old.id;
        DELETE FROM search_stale WHERE id = old.id;
        UPDATE search_indexed
        SET last_id = (SELECT coalesce(max(id), 0) FROM submissions)
        WHERE last_id > (SELECT coalesce(max(id), 0) FROM submissions);
    END;
    CREATE TRIGGER submission_search_update
    AFTER UPDATE OF organisation_id, applicant_name, applicant_email ON submissions
    WHEN old.id <= (SELECT last_id FROM search_indexed) BEGIN
        DELETE FROM search_words WHERE id = old.id;
        INSERT OR IGNORE INTO search_stale (id) VALUES (old.id);
    END;
    -- Every request is indexed again, by the store, as soon as it has migrated.
    UPDATE search_indexed SET last_id = 0;
    """,
)
