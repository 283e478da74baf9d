-- Patron type policies (WMS) and the circulation data their limits are computed from: items with their
-- cost (876 ‡c), loans and claims, bills with payments and waivers, accruing fines, loan limit policies,
-- suspensions. Money is integer minor units of the owning institution's currency.
create table ps.item (
    institution_id bigint not null,
    item_id bigint generated always as identity,
    branch_id bigint not null,
    barcode text not null unique check (barcode ~ '^[A-Za-z0-9-]{3,40}$'),
    title text not null default '',
    cost_minor bigint check (cost_minor is null or cost_minor >= 0),
    primary key (institution_id, item_id),
    unique (item_id),
    foreign key (institution_id, branch_id) references ps.branch (institution_id, branch_id) on update cascade
);
comment on table ps.item is 'Items with their owning branch and optional cost (local holdings record 876 ‡c, minor units); an item without a cost adds nothing to the value on loan.';
comment on column ps.item.cost_minor is 'Item cost from the LHR 876 ‡c in minor units; null when the record has none.';
create table ps.loan (
    institution_id bigint not null,
    loan_id bigint generated always as identity,
    item_id bigint not null,
    patron_id bigint not null references ps.patron (patron_id),
    checkout_branch_id bigint not null references ps.branch (branch_id),
    checked_out_at timestamptz not null default now(),
    due_at timestamptz not null,
    state text not null default 'active' check (state in ('active', 'returned', 'claimed_lost', 'claimed_returned', 'claimed_never_had')),
    returned_at timestamptz,
    renewals integer not null default 0,
    override_comment text,
    overridden_by text,
    acknowledged_alerts text[] not null default '{}',
    primary key (institution_id, loan_id),
    unique (loan_id),
    foreign key (institution_id, item_id) references ps.item (institution_id, item_id)
);
create index loan_patron_open on ps.loan (patron_id) where state <> 'returned';
create unique index loan_item_active on ps.loan (item_id) where state = 'active';
comment on table ps.loan is 'Loans, keyed by the lending institution; states active, returned and the three claims.';
create table ps.bill (
    institution_id bigint not null,
    bill_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    loan_id bigint references ps.loan (loan_id),
    kind text not null check (kind in ('overdue_fine', 'lost_item', 'membership_fee', 'other')),
    amount_minor bigint not null check (amount_minor > 0),
    paid_minor bigint not null default 0 check (paid_minor >= 0),
    waived_minor bigint not null default 0 check (waived_minor >= 0),
    posted_at timestamptz,
    state text not null default 'outstanding' check (state in ('outstanding', 'paid', 'waived', 'cancelled')),
    created_at timestamptz not null default now(),
    reason text,
    cancelled_at timestamptz,
    cancelled_by text,
    check (paid_minor + waived_minor <= amount_minor),
    primary key (institution_id, bill_id),
    unique (bill_id)
);
-- The maximum amount waived sums every bill of the patron, whatever its state: a full index, not a partial one.
create index bill_patron on ps.bill (patron_id);
comment on table ps.bill is 'Bills owed to an institution; only posted bills (posted_at set) count as billed. Partial payments and waivers reduce the balance.';
comment on column ps.bill.reason is 'The bill reason shown to staff and patrons (for membership fees, the membership policy''s bill reason).';
create table ps.accruing_fines_policy (
    institution_id bigint primary key references ps.library on update cascade,
    daily_fine_minor bigint not null default 0 check (daily_fine_minor >= 0),
    max_fine_minor bigint check (max_fine_minor is null or max_fine_minor >= 0),
    counts_toward_billed_limit boolean not null default false
);
comment on table ps.accruing_fines_policy is 'The institution''s fine rate for overdue items, and whether accruing (unposted) fines count toward the outstanding billed limit.';
create table ps.loan_limit_policy (
    institution_id bigint not null,
    patron_type_id bigint not null references ps.patron_type (patron_type_id),
    verified_loan_value_limit_minor bigint check (verified_loan_value_limit_minor is null or verified_loan_value_limit_minor >= 0),
    primary key (institution_id, patron_type_id)
);
comment on table ps.loan_limit_policy is 'Loan Limit Policy per institution and patron type, carrying the Verified Loan Value Limit.';
create table ps.membership_policy (
    institution_id bigint not null references ps.library on update cascade,
    membership_policy_id bigint generated always as identity,
    name text not null check (length(name) between 1 and 100),
    fee_minor bigint not null check (fee_minor >= 0),
    bill_reason text not null default 'Membership fee' check (length(bill_reason) between 1 and 100),
    period_days integer not null check (period_days >= 1),
    reminder_days integer check (reminder_days is null or reminder_days >= 0),
    created_at timestamptz not null default now(),
    primary key (institution_id, membership_policy_id),
    unique (membership_policy_id),
    unique (institution_id, name)
);
comment on table ps.membership_policy is
    'Membership policies: a fee (minor units, billed with bill_reason when a patron record is created), a period of at least one day, and how many days before expiry a reminder goes out.';
create table ps.patron_type_policy (
    institution_id bigint not null,
    patron_type_id bigint not null references ps.patron_type (patron_type_id),
    use_patron_supplied_email boolean not null default true,
    max_loan_value_minor bigint check (max_loan_value_minor is null or max_loan_value_minor >= 0),
    block_renewal_when_exceeded boolean not null default true,
    max_items_overdue integer check (max_items_overdue is null or max_items_overdue >= 0),
    max_days_overdue integer check (max_days_overdue is null or max_days_overdue >= 0),
    max_claimed_lost integer check (max_claimed_lost is null or max_claimed_lost >= 0),
    max_claimed_returned integer check (max_claimed_returned is null or max_claimed_returned >= 0),
    max_claimed_never_had integer check (max_claimed_never_had is null or max_claimed_never_had >= 0),
    bill_notification_policy text,
    max_outstanding_billed_minor bigint check (max_outstanding_billed_minor is null or max_outstanding_billed_minor >= 0),
    max_waived_minor bigint check (max_waived_minor is null or max_waived_minor >= 0),
    suspension_notification_policy text,
    max_suspension_minutes integer check (max_suspension_minutes is null or max_suspension_minutes >= 0),
    account_overview_template text,
    reply_to_first text check (reply_to_first is null or reply_to_first in ('institution', 'branch', 'patron_type')),
    reply_to_second text check (reply_to_second is null or reply_to_second in ('institution', 'branch')),
    last_modified timestamptz not null default now(),
    membership_policy_id bigint references ps.membership_policy (membership_policy_id),
    primary key (institution_id, patron_type_id),
    check (reply_to_first is distinct from 'patron_type' or reply_to_second is not null)
);
comment on table ps.patron_type_policy is
    'WMS Patron Type Policy per institution and patron type. Every limit null means No Limit; max_suspension_minutes 0 means the type is never suspended; block_renewal_when_exceeded (default on) makes exceeded limits block renewal as well as checkout.';
comment on column ps.patron_type_policy.membership_policy_id is
    'The membership policy patrons of this type need, or null. Removing it stops blocking expired or unknown memberships; pending membership bills stay (orphaned bills).';
create table ps.patron_type_policy_change (
    change_id bigint generated always as identity primary key,
    institution_id bigint not null,
    patron_type_id bigint not null,
    old_value jsonb,
    new_value jsonb,
    changed_at timestamptz not null default now(),
    changed_by text not null
);
comment on table ps.patron_type_policy_change is 'Every change to a patron type policy: who, when, old and new row.';
create table ps.suspension (
    institution_id bigint not null,
    suspension_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    starts_at timestamptz not null,
    ends_at timestamptz not null,
    reason text not null default '',
    created_by text not null,
    lifted_at timestamptz,
    lifted_by text,
    loan_id bigint references ps.loan (loan_id),
    check (ends_at > starts_at),
    primary key (institution_id, suspension_id)
);
comment on table ps.suspension is 'Suspensions of a patron; cumulative (a new one starts when the current one ends).';
comment on column ps.suspension.institution_id is 'The institution that imposed the suspension (the lending one for overdue suspensions).';
create table ps.membership (
    institution_id bigint not null,
    membership_id bigint generated always as identity,
    patron_id bigint not null references ps.patron (patron_id),
    membership_policy_id bigint not null references ps.membership_policy (membership_policy_id),
    bill_id bigint references ps.bill (bill_id),
    state text not null default 'pending' check (state in ('pending', 'active', 'cancelled')),
    starts_at timestamptz,
    ends_at timestamptz,
    reminded_at timestamptz,
    created_at timestamptz not null default now(),
    primary key (institution_id, membership_id),
    unique (membership_id),
    check (state <> 'active' or ends_at > starts_at)
);
create index membership_patron on ps.membership (patron_id);
create index membership_bill on ps.membership (bill_id);
comment on table ps.membership is
    'A patron''s memberships: pending until the fee bill is paid (or waived), then active from starts_at to ends_at; past ends_at it is expired. A patron with no membership under a policy that needs one has an unknown status.';
create table ps.overdue_suspension_policy (
    institution_id bigint primary key references ps.library on update cascade,
    minutes_per_day_overdue integer not null default 0 check (minutes_per_day_overdue >= 0)
);
comment on table ps.overdue_suspension_policy is
    'How long a patron is suspended, per day overdue, after returning or renewing an overdue item of this institution; capped by the patron''s maximum suspension period.';


-- The loan period: a setting (system → library → branch), read at the checkout branch.
insert into ps.setting_definition (name, value_type, system_only, default_value, description) values
    ('circulation.loan_period_days', 'integer', false, '21', 'Days from checkout (or renewal) to the due date when staff give none; 1 to 365.');

-- History is append-only for the service; report writers only read.
revoke update, delete on ps.patron_type_policy_change from patron_app;
revoke insert, update, delete on all tables in schema ps from patron_report;
