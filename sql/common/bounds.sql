-- The documented upper bounds of the numbers the API takes. Every sum of them fits a bigint many times
-- over, so no total a patron can reach overflows.
create or replace function ps.max_money_minor() returns bigint
    language sql immutable parallel safe
    as $$ select 1000000000000::bigint $$;
comment on function ps.max_money_minor() is
    'Largest money amount accepted anywhere (bills, fees, costs, limits): 1,000,000,000,000 minor units (10 billion in a two-decimal currency).';

create or replace function ps.max_suspension_minutes() returns integer
    language sql immutable parallel safe
    as $$ select 5256000 $$;
comment on function ps.max_suspension_minutes() is 'Longest suspension, or suspension per day overdue, accepted: 5,256,000 minutes (ten years).';

create or replace function ps.max_loan_days() returns integer
    language sql immutable parallel safe
    as $$ select 3650 $$;
comment on function ps.max_loan_days() is 'Latest due date accepted at checkout or renewal: 3,650 days (ten years) from now.';
