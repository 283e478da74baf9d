-- The loan period is a setting, so a library (or one branch) can lend for longer than the consortium.
create or replace function ps.loan_period_days(p_branch_id bigint) returns integer
    language sql stable
    as $$ select (s.value #>> '{}')::integer from ps.resolve_setting(p_branch_id, 'circulation.loan_period_days') s $$;
comment on function ps.loan_period_days(bigint) is
    'The loan period in days at a branch: setting circulation.loan_period_days (branch, else library, else system, else 21).';
