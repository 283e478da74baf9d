-- The Accruing Fines Policy's rule, defined once: a loan's fine is the daily fine for each calendar day it is
-- overdue in a branch's time zone, up to the maximum per item. Check-in posts it, the patron's bills show it
-- accruing, and the eligibility check counts it toward the outstanding billed limit. Each function is
-- immutable, not strict and one expression, so that the planner inlines it into the query that calls it.

create or replace function ps.days_overdue(p_due_at timestamptz, p_today date, p_time_zone text) returns integer
    language sql immutable parallel safe
    as $$ select greatest(0, p_today - ps.local_date(p_due_at, p_time_zone)) $$;
comment on function ps.days_overdue(timestamptz, date, text) is
    'Calendar days a loan due at p_due_at is overdue on p_today (the date in the branch''s time zone), counted in that time zone; 0 when not overdue.';

create or replace function ps.overdue_fine(p_days integer, p_daily_fine_minor bigint, p_max_fine_minor bigint) returns bigint
    language sql immutable parallel safe
    as $$ select least(p_days * coalesce(p_daily_fine_minor, 0), p_max_fine_minor) $$;
comment on function ps.overdue_fine(integer, bigint, bigint) is
    'The fine, in minor units, of a loan overdue p_days days: the daily fine per day, up to the maximum per item (null: no maximum).';

create or replace function ps.overdue_fine_maximum_from(p_daily_fine_minor bigint, p_max_fine_minor bigint) returns bigint
    language sql immutable parallel safe
    as $$ select case when p_daily_fine_minor > 0 then p_max_fine_minor / p_daily_fine_minor + (p_max_fine_minor % p_daily_fine_minor > 0)::integer end $$;
comment on function ps.overdue_fine_maximum_from(bigint, bigint) is
    'The day overdue on which a loan''s fine reaches the maximum and stops growing (the maximum ÷ the daily fine, rounded up); null when it never does.';
