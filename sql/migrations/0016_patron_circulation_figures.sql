-- Per-patron circulation figures, kept up to date by the rule layer (sql/circulation/figures.sql) in the
-- transactions that change loans, items' costs and bills, so an eligibility check reads one row and the
-- patron's overdue loans instead of every open loan and every bill.
create table ps.patron_circulation (
    patron_id bigint primary key references ps.patron (patron_id),
    institution_id bigint not null,
    open_loans integer not null default 0 check (open_loans >= 0),
    loan_value_minor bigint not null default 0 check (loan_value_minor >= 0),
    claimed_lost integer not null default 0 check (claimed_lost >= 0),
    claimed_returned integer not null default 0 check (claimed_returned >= 0),
    claimed_never_had integer not null default 0 check (claimed_never_had >= 0),
    posted_balance_minor bigint not null default 0 check (posted_balance_minor >= 0),
    waived_minor bigint not null default 0 check (waived_minor >= 0)
);
comment on table ps.patron_circulation is
    'One row per patron who has borrowed or been billed: the running figures the eligibility check reads (maintained by triggers; ps.patron_circulation_drift lists any row that differs from a recount).';
comment on column ps.patron_circulation.institution_id is 'The patron''s home institution.';
comment on column ps.patron_circulation.open_loans is 'Loans not returned: active and claimed.';
comment on column ps.patron_circulation.loan_value_minor is 'Sum of the costs of the items on active loan (uncosted items add nothing), minor units of each lender''s currency.';
comment on column ps.patron_circulation.claimed_lost is 'Loans in state claimed_lost.';
comment on column ps.patron_circulation.claimed_returned is 'Loans in state claimed_returned.';
comment on column ps.patron_circulation.claimed_never_had is 'Loans in state claimed_never_had.';
comment on column ps.patron_circulation.posted_balance_minor is 'Balance of the outstanding posted bills.';
comment on column ps.patron_circulation.waived_minor is 'Amount waived on all the patron''s bills.';

insert into ps.patron_circulation (patron_id, institution_id, open_loans, loan_value_minor, claimed_lost, claimed_returned,
                                   claimed_never_had, posted_balance_minor, waived_minor)
select p.patron_id, p.institution_id, coalesce(l.open_loans, 0), coalesce(l.loan_value, 0), coalesce(l.claimed_lost, 0),
       coalesce(l.claimed_returned, 0), coalesce(l.claimed_never_had, 0), coalesce(b.posted, 0), coalesce(b.waived, 0)
from ps.patron p
left join (select l.patron_id, count(*) as open_loans,
                  sum(case when l.state = 'active' then coalesce(i.cost_minor, 0) else 0 end) as loan_value,
                  count(*) filter (where l.state = 'claimed_lost') as claimed_lost,
                  count(*) filter (where l.state = 'claimed_returned') as claimed_returned,
                  count(*) filter (where l.state = 'claimed_never_had') as claimed_never_had
           from ps.loan l join ps.item i on i.item_id = l.item_id where l.state <> 'returned' group by l.patron_id) l
       on l.patron_id = p.patron_id
left join (select patron_id,
                  sum(case when state = 'outstanding' and posted_at is not null then amount_minor - paid_minor - waived_minor else 0 end) as posted,
                  sum(waived_minor) as waived
           from ps.bill group by patron_id) b on b.patron_id = p.patron_id
where l.patron_id is not null or b.patron_id is not null;

-- The overdue loans of one patron, in due order, without reading the ones not yet due.
create index loan_patron_active_due on ps.loan (patron_id, due_at) where state = 'active';
