-- Online patron account updates (Polaris Patron Access Options, Contact Info tab): options per system,
-- library and branch; PAC change requests with per-field outcomes; the Verify Patron block; staff
-- resolution per field; notice opt-outs; an outbox for the e-mails.

-- ---------------------------------------------------------------------------------------------------
-- Patron Access Options (settings inherited system → library → branch)
-- ---------------------------------------------------------------------------------------------------
insert into ps.setting_definition (name, value_type, system_only, default_value, description) values
    ('pac.change_notification_method', 'boolean', false, 'false', 'Patron can change notification method (never places a verification block).'),
    ('pac.confirmation_email', 'boolean', false, 'false', 'Confirmation e-mail to patron when a change request is submitted (to primary and alternate addresses).'),
    ('pac.address_change', 'text', false, '"not_allowed"', 'Patron address: not_allowed, request (Verify Patron block and staff e-mail) or direct (no verification).'),
    ('pac.email_change', 'text', false, '"not_allowed"', 'E-mail address: not_allowed, request or direct.'),
    ('pac.phone_change', 'text', false, '"not_allowed"', 'Phone number: not_allowed, request or direct.'),
    ('pac.staff_request_email', 'text', false, '""', 'Where change-request e-mails to staff go; empty means the branch''s staff e-mail.'),
    ('pac.phone_validation', 'boolean', true, 'false', 'Enable phone validation (system level only): area code / prefix / four-digit number.'),
    ('pac.update_patron_types', 'json', false, '[]', 'Patron type (patron code) codes that may request account updates online.'),
    ('pac.optout_almost_overdue_auto_renew', 'boolean', false, 'false', 'Patrons may opt out of the almost overdue / auto-renew reminder.'),
    ('pac.optout_patron_record_expiration', 'boolean', false, 'false', 'Patrons may opt out of the patron record expiration reminder.'),
    ('pac.optout_inactive_patron', 'boolean', false, 'false', 'Patrons may opt out of the inactive patron reminder.');


create table ps.postal_code_format (
    country text primary key check (country ~ '^[A-Z]{2}$'),
    mask text not null check (mask ~ '^[9AZ -]+$')
);
comment on table ps.postal_code_format is 'Postal code masks per country (9 a digit, A a letter, Z a digit or letter), e.g. US 99999 or 99999-9999 (several masks separated by |... one per row is enough here).';
insert into ps.postal_code_format values ('US', '99999'), ('CA', 'A9A 9A9');


-- ---------------------------------------------------------------------------------------------------
-- Change requests, their fields and history; the outbox
-- ---------------------------------------------------------------------------------------------------
create table ps.change_request (
    institution_id bigint not null,
    request_id bigint generated always as identity,
    patron_id bigint not null,
    branch_id bigint not null,
    status text not null default 'pending' check (status in ('pending', 'resolved')),
    submitted_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (institution_id, request_id),
    unique (request_id),
    foreign key (institution_id, patron_id) references ps.patron (institution_id, patron_id) on update cascade
);
create unique index change_request_one_pending on ps.change_request (institution_id, patron_id) where status = 'pending';
comment on table ps.change_request is 'A patron''s PAC change request: at most one pending per patron; later submissions merge into it field by field.';
create table ps.change_request_field (
    institution_id bigint not null,
    request_id bigint not null,
    patron_id bigint not null,
    field text not null check (field in ('address', 'email', 'phone', 'notification_method')),
    old_value jsonb,
    new_value jsonb not null,
    state text not null check (state in ('pending', 'approved', 'rejected')),
    reason text,
    decided_at timestamptz,
    decided_by text,
    primary key (institution_id, request_id, field),
    foreign key (institution_id, request_id) references ps.change_request (institution_id, request_id)
);
comment on table ps.change_request_field is 'The fields of a change request awaiting verification, and staff decisions on them.';
create table ps.change_request_event (
    institution_id bigint not null,
    event_id bigint generated always as identity,
    request_id bigint not null,
    patron_id bigint not null,
    field text,
    event text not null check (event in ('submitted', 'applied', 'pending', 'superseded', 'refused', 'approved', 'rejected', 'block_placed', 'block_lifted')),
    old_value jsonb,
    new_value jsonb,
    reason text,
    actor text not null,
    at timestamptz not null default now(),
    primary key (institution_id, event_id)
);
comment on table ps.change_request_event is 'Every state change of a patron''s change requests: who, when, what.';
create table ps.change_submission (
    institution_id bigint not null,
    patron_id bigint not null,
    idempotency_key text not null check (length(idempotency_key) between 1 and 200),
    response jsonb not null,
    created_at timestamptz not null default now(),
    primary key (institution_id, patron_id, idempotency_key)
);
comment on table ps.change_submission is 'Answers to PAC submissions by Idempotency-Key, so a resent submission gets the first answer.';
create table ps.outbox (
    institution_id bigint not null,
    message_id bigint generated always as identity,
    kind text not null check (kind in ('patron_change_confirmation', 'staff_change_request', 'membership_expiry_reminder')),
    patron_id bigint not null,
    branch_id bigint not null,
    recipients text[] not null,
    payload jsonb not null,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    channel text not null default 'email' check (channel in ('email', 'print')),
    primary key (institution_id, message_id),
    -- A patron with no e-mail address gets a print notice: no recipients, the postal address in the payload.
    constraint outbox_recipients_check check (cardinality(recipients) > 0 or channel = 'print')
);
comment on table ps.outbox is 'E-mails to send, written in the same transaction as the change that causes them; delivery is separate.';
comment on column ps.outbox.channel is 'email (to recipients) or print (a notice to post to the address in the payload).';

