-- Notices leave the building: notification policies (WMS Notification Policies screen), templates per
-- institution and language with consortium defaults, the outbox's delivery state (attempts, backoff,
-- dead letters, print batches, a dedupe key that makes reminder jobs idempotent), e-mail-to-SMS
-- carriers (Polaris text notices), and the reminder settings.

create table ps.notification_policy (
    institution_id bigint not null references ps.library on update cascade,
    notification_policy_id bigint generated always as identity,
    kind text not null check (kind in ('bill', 'suspension')),
    name text not null check (length(name) between 1 and 100),
    bill_kinds text[] not null default '{}'
        check (bill_kinds <@ array['overdue_fine', 'lost_item', 'membership_fee', 'other']),
    on_posting boolean not null default true,
    reminder_days integer[] not null default '{}'
        check (cardinality(reminder_days) <= 5 and 1 <= all (reminder_days) and 365 >= all (reminder_days)),
    on_suspend boolean not null default true,
    on_lift boolean not null default false,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    primary key (institution_id, notification_policy_id),
    unique (notification_policy_id),
    unique (institution_id, kind, name)
);
comment on table ps.notification_policy is 'WMS Notification Policies: bill notifications (which bill kinds, on posting, reminders after N days unpaid) and suspension notifications (on suspending, on lifting); patron type policies refer to them.';
comment on column ps.notification_policy.bill_kinds is 'Bill kinds this bill notification covers; empty means every kind.';
comment on column ps.notification_policy.on_posting is 'Bill notification: notify when a bill is posted to the account.';
comment on column ps.notification_policy.reminder_days is 'Bill notification: remind when a posted bill is still unpaid this many days after posting (up to 5 values, 1–365).';
comment on column ps.notification_policy.on_suspend is 'Suspension notification: notify when the patron is suspended.';
comment on column ps.notification_policy.on_lift is 'Suspension notification: notify when a suspension is lifted early.';

create table ps.notice_template (
    institution_id bigint references ps.library on update cascade,
    template_id bigint generated always as identity primary key,
    kind text not null check (kind in ('patron_change_confirmation', 'staff_change_request', 'membership_expiry_reminder',
        'bill_notice', 'suspension_notice', 'account_overview', 'almost_overdue', 'patron_record_expiration', 'inactive_patron')),
    language text not null default 'en' check (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$'),
    name text not null default 'standard' check (length(name) between 1 and 100),
    subject text not null check (length(subject) between 1 and 500),
    body_text text not null check (length(body_text) between 1 and 20000),
    body_html text check (length(body_html) between 1 and 100000),
    updated_at timestamptz not null default now(),
    updated_by text not null default current_user
);
create unique index notice_template_scope on ps.notice_template (coalesce(institution_id, 0), kind, language, name);
comment on table ps.notice_template is 'Mustache templates per notice kind and language: institution_id null is the consortium default every library inherits; a library''s own template of the same kind, language and name replaces it.';
comment on column ps.notice_template.name is 'Templates named other than "standard" are chosen explicitly (the Account Overview template of a patron type policy).';
comment on column ps.notice_template.body_html is 'Optional HTML alternative; the text body is always sent.';

create table ps.sms_carrier (
    carrier_id bigint generated always as identity primary key,
    name text not null unique check (length(name) between 1 and 100),
    gateway_domain text not null check (gateway_domain ~ '^[A-Za-z0-9.-]+\.[A-Za-z]{2,}$')
);
comment on table ps.sms_carrier is 'Mobile carriers and their e-mail-to-SMS gateway domains (Polaris sends text notices as e-mail to number@gateway).';

alter table ps.patron
    add column sms_carrier_id bigint references ps.sms_carrier,
    add column language text check (language ~ '^[a-z]{2,3}(-[A-Z]{2})?$');
comment on column ps.patron.sms_carrier_id is 'The carrier of phone1 for text notices; null: no text notices.';
comment on column ps.patron.language is 'The language notices are written in; null: the consortium default (en).';
comment on column ps.patron.last_activity_at is 'Last checkout, renewal or sign-in; the inactive patron reminder counts from it (or from created_at).';
create index patron_last_activity on ps.patron (coalesce(last_activity_at, created_at)) where deleted_at is null;
create index patron_expiration on ps.patron (expiration_date) where deleted_at is null and expiration_date is not null;

-- The patron type policy refers to notification policies and the Account Overview template by id.
alter table ps.patron_type_policy
    add column bill_notification_policy_id bigint references ps.notification_policy (notification_policy_id),
    add column suspension_notification_policy_id bigint references ps.notification_policy (notification_policy_id),
    add column account_overview_template_id bigint references ps.notice_template (template_id);
comment on column ps.patron_type_policy.bill_notification_policy_id is 'Bill Notification Policy: the bill notification sent to patrons of this type.';
comment on column ps.patron_type_policy.suspension_notification_policy_id is 'Suspension Notification Policy: the suspension notification sent to patrons of this type.';
comment on column ps.patron_type_policy.account_overview_template_id is 'Account Overview Confirmation template; once assigned, staff may Contact patron with it.';

-- Existing free-text values become policies and templates of the same name, so nothing is lost.
alter table ps.patron_type_policy disable trigger user;
insert into ps.notification_policy (institution_id, kind, name)
select distinct institution_id, 'bill', bill_notification_policy from ps.patron_type_policy where bill_notification_policy is not null;
insert into ps.notification_policy (institution_id, kind, name)
select distinct institution_id, 'suspension', suspension_notification_policy from ps.patron_type_policy where suspension_notification_policy is not null;
insert into ps.notice_template (institution_id, kind, name, subject, body_text)
select distinct institution_id, 'account_overview', left(account_overview_template, 100), 'Your library account',
    E'Dear {{patron.firstName}},\n\nYou have {{account.openLoans}} items on loan and owe {{account.balance}}.\n\n{{library.name}}\n'
from ps.patron_type_policy where account_overview_template is not null;
update ps.patron_type_policy pp set
    bill_notification_policy_id = (select n.notification_policy_id from ps.notification_policy n
        where n.institution_id = pp.institution_id and n.kind = 'bill' and n.name = pp.bill_notification_policy),
    suspension_notification_policy_id = (select n.notification_policy_id from ps.notification_policy n
        where n.institution_id = pp.institution_id and n.kind = 'suspension' and n.name = pp.suspension_notification_policy),
    account_overview_template_id = (select t.template_id from ps.notice_template t
        where t.institution_id = pp.institution_id and t.kind = 'account_overview' and t.name = left(pp.account_overview_template, 100));
alter table ps.patron_type_policy enable trigger user;
alter table ps.patron_type_policy drop column bill_notification_policy, drop column suspension_notification_policy,
    drop column account_overview_template;

-- The outbox gains delivery state. A row is pending until sent (email, sms), printed (print) or dead.
alter table ps.outbox drop constraint outbox_kind_check;
alter table ps.outbox add constraint outbox_kind_check check (kind in ('patron_change_confirmation', 'staff_change_request',
    'membership_expiry_reminder', 'bill_notice', 'suspension_notice', 'account_overview', 'almost_overdue',
    'patron_record_expiration', 'inactive_patron'));
alter table ps.outbox drop constraint outbox_channel_check;
alter table ps.outbox add constraint outbox_channel_check check (channel in ('email', 'sms', 'print'));
alter table ps.outbox
    add column status text not null default 'pending' check (status in ('pending', 'sent', 'printed', 'dead')),
    add column attempts integer not null default 0 check (attempts >= 0),
    add column next_attempt_at timestamptz not null default now(),
    add column claimed_by text,
    add column last_error text check (length(last_error) <= 2000),
    add column dedupe_key text check (length(dedupe_key) <= 200),
    add column template_id bigint references ps.notice_template on delete set null,
    add column reply_to text,
    add column language text not null default 'en',
    add column printed_at timestamptz,
    add column printed_by text;
update ps.outbox set status = 'sent' where sent_at is not null;
create unique index outbox_dedupe on ps.outbox (dedupe_key) where dedupe_key is not null;
create index outbox_due on ps.outbox (next_attempt_at) where status = 'pending' and channel <> 'print';
create index outbox_patron on ps.outbox (patron_id, message_id);
create index outbox_print on ps.outbox (branch_id, created_at) where channel = 'print';
create index outbox_status on ps.outbox (institution_id, status, message_id);
comment on table ps.outbox is 'Notices to send, written in the same transaction as the change or job run that causes them; the delivery worker sends e-mail and text (SMTP), staff print the print channel.';
comment on column ps.outbox.channel is 'email (to recipients), sms (to number@carrier gateway, short text) or print (a notice to post to the patron''s address).';
comment on column ps.outbox.status is 'pending (not yet delivered; next_attempt_at says when it may be tried), sent (the server answered 250), printed, or dead (permanent failure or too many attempts; last_error says why).';
comment on column ps.outbox.attempts is 'Delivery attempts so far, a claim by a worker counting as one.';
comment on column ps.outbox.next_attempt_at is 'When the row may next be claimed: after a temporary failure the backoff, while claimed the end of the claim''s lease.';
comment on column ps.outbox.dedupe_key is 'Identifies a notice a job may queue once (reminder kind, subject and occasion): a second run or a second process queues nothing new.';
comment on column ps.outbox.template_id is 'The template a policy chose; null: the institution''s (else the consortium''s) standard template for the kind and language.';
comment on column ps.outbox.reply_to is 'The Reply-To address resolved when the notice was queued.';

-- Almost overdue notices: the due date a loan was last reminded of (a renewal moves it, so a new reminder follows).
alter table ps.loan add column almost_overdue_notified_for timestamptz;
comment on column ps.loan.almost_overdue_notified_for is 'The due date the almost overdue reminder was sent for; a renewal changes due_at and so allows the next one.';
create index loan_due_active on ps.loan (due_at) where state = 'active';

insert into ps.setting_definition (name, value_type, system_only, default_value, description) values
    ('notices.almost_overdue_days', 'integer', false, '2', 'Almost overdue / auto-renew reminder: days before the due date (0–30; 0 turns it off).'),
    ('notices.expiration_reminder_days', 'integer', false, '30', 'Patron record expiration reminder: days before the registration expires (0–365; 0 turns it off).'),
    ('notices.inactive_patron_days', 'integer', false, '365', 'Inactive patron reminder: days without checkout, renewal or sign-in (0–3650; 0 turns it off).'),
    ('notices.max_attempts', 'integer', true, '8', 'Delivery attempts before a notice is dead (1–50).');

-- The consortium's standard templates (English), which every library inherits until it saves its own.
insert into ps.notice_template (institution_id, kind, language, name, subject, body_text, body_html, updated_by) values
(null, 'patron_change_confirmation', 'en', 'standard', 'We received your account update',
 E'Dear {{patron.firstName}} {{patron.lastName}},\n\nWe received your request to update your library account on {{today}}:\n{{#changes}}\n- {{field}}: {{outcome}}\n{{/changes}}\n\nChanges awaiting verification will be checked by library staff.\n\n{{library.name}}\n', null, 'migration'),
(null, 'staff_change_request', 'en', 'standard', 'Change request {{request.id}} to verify for patron {{patron.barcode}}',
 E'Patron {{patron.firstName}} {{patron.lastName}} ({{patron.barcode}}) asked to change: {{request.fields}}.\nA Verify Patron block is on the account until you review change request {{request.id}}.\n', null, 'migration'),
(null, 'membership_expiry_reminder', 'en', 'standard', 'Your {{membership.policy}} membership ends on {{membership.endsOn}}',
 E'Dear {{patron.firstName}},\n\nYour {{membership.policy}} membership at {{library.name}} ends on {{membership.endsOn}}. Renew it at {{branch.name}} to keep borrowing.\n', null, 'migration'),
(null, 'bill_notice', 'en', 'standard', '{{#bill.reminder}}Reminder: {{/bill.reminder}}a bill of {{bill.amount}} on your library account',
 E'Dear {{patron.firstName}},\n\n{{#bill.reminder}}This bill is still unpaid {{bill.daysUnpaid}} days after it was posted.\n{{/bill.reminder}}A {{bill.kind}} of {{bill.amount}} was posted to your account on {{bill.postedOn}}{{#bill.reason}} ({{bill.reason}}){{/bill.reason}}. Outstanding: {{bill.balance}}.\n\n{{library.name}}\n', null, 'migration'),
(null, 'suspension_notice', 'en', 'standard', '{{#suspension.lifted}}Your borrowing suspension was lifted{{/suspension.lifted}}{{^suspension.lifted}}Your borrowing is suspended until {{suspension.endsOn}}{{/suspension.lifted}}',
 E'Dear {{patron.firstName}},\n\n{{#suspension.lifted}}Your suspension was lifted on {{suspension.endsOn}}; you may borrow again.{{/suspension.lifted}}{{^suspension.lifted}}You cannot borrow or renew from {{suspension.startsOn}} until {{suspension.endsOn}}. {{suspension.reason}}{{/suspension.lifted}}\n\n{{library.name}}\n', null, 'migration'),
(null, 'account_overview', 'en', 'standard', 'Your library account at {{library.name}}',
 E'Dear {{patron.firstName}},\n\nYou have {{account.openLoans}} items on loan ({{account.overdueLoans}} overdue) and owe {{account.balance}}.\n{{#loans}}\n- {{title}} ({{barcode}}), due {{dueOn}}{{#overdue}}, OVERDUE{{/overdue}}\n{{/loans}}\n\n{{library.name}}\n',
 E'<p>Dear {{patron.firstName}},</p><p>You have {{account.openLoans}} items on loan ({{account.overdueLoans}} overdue) and owe {{account.balance}}.</p><ul>{{#loans}}<li>{{title}} ({{barcode}}), due {{dueOn}}{{#overdue}}, <strong>overdue</strong>{{/overdue}}</li>{{/loans}}</ul><p>{{library.name}}</p>', 'migration'),
(null, 'almost_overdue', 'en', 'standard', 'Items due soon at {{library.name}}',
 E'Dear {{patron.firstName}},\n\nThese items are due soon:\n{{#loans}}\n- {{title}} ({{barcode}}), due {{dueOn}}\n{{/loans}}\n\nYou can stop these reminders in your account preferences.\n', null, 'migration'),
(null, 'patron_record_expiration', 'en', 'standard', 'Your library card expires on {{expiration.expiresOn}}',
 E'Dear {{patron.firstName}},\n\nYour library registration expires on {{expiration.expiresOn}} ({{expiration.daysLeft}} days). Visit {{branch.name}} to renew it.\n', null, 'migration'),
(null, 'inactive_patron', 'en', 'standard', 'We miss you at {{library.name}}',
 E'Dear {{patron.firstName}},\n\nYou have not used your library account since {{inactivity.since}}. Your card still works at {{branch.name}}.\n', null, 'migration');
