-- Organisation tree: the time zones of the consortium, its libraries and branches, and where their days begin
create or replace function ps.is_time_zone(p_name text) returns boolean
    language sql stable
    as $$ select exists (select 1 from pg_timezone_names where name = p_name) $$;
comment on function ps.is_time_zone(text) is 'True for an IANA time zone name PostgreSQL knows (e.g. America/Chicago).';

-- A check constraint would tie the table to this function (a table must not depend on the rule layer,
-- which is dropped and re-created); a trigger raises the same check_violation instead.
create or replace function ps.check_time_zone() returns trigger
    language plpgsql
    as $$
    begin
        if not ps.is_time_zone(new.time_zone) then
            raise exception using errcode = 'check_violation', message = format('invalid time zone "%s"', new.time_zone),
                table = tg_table_name, column = 'time_zone', constraint = tg_table_name || '_time_zone_check';
        end if;
        return new;
    end $$;
comment on function ps.check_time_zone() is 'Trigger: refuses a time zone PostgreSQL does not know (check_violation <table>_time_zone_check).';
create trigger check_time_zone before insert or update of time_zone on ps.consortium for each row execute function ps.check_time_zone();
create trigger check_time_zone before insert or update of time_zone on ps.library for each row execute function ps.check_time_zone();
create trigger check_time_zone before insert or update of time_zone on ps.branch for each row execute function ps.check_time_zone();

-- An instant's calendar date in a time zone: the one conversion the rules below and the notices build on
-- (a notice's JSON shows it as YYYY-MM-DD). Immutable and not strict, so that the planner inlines it.
create or replace function ps.local_date(p_at timestamptz, p_time_zone text) returns date
    language sql immutable parallel safe
    as $$ select (p_at at time zone p_time_zone)::date $$;
comment on function ps.local_date(timestamptz, text) is 'An instant''s calendar date in a time zone.';

-- The instant a calendar day begins in a time zone. PostgreSQL reads an ambiguous local time as the later
-- one, so where a zone sets its clocks back across midnight `day::timestamp at time zone` is the second
-- midnight: the instant just before it then still falls on that day, and the day began as long before it
-- as its local clock had run since midnight. Overdue counts and reminder windows compare due dates with
-- it, so that they read an index on due_at instead of converting every loan's due date.
-- Stable (timestamptz - interval is) and not strict, so that the planner inlines it into the query.
create or replace function ps.local_day_start(p_day date, p_time_zone text) returns timestamptz
    language sql stable parallel safe
    as $$
        select case when ps.local_date((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond', p_time_zone) >= p_day
                    then ((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond')
                         - ((((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond') at time zone p_time_zone) - p_day::timestamp)
                    else p_day::timestamp at time zone p_time_zone end
    $$;
comment on function ps.local_day_start(date, text) is
    'The first instant of a calendar day in a time zone, also where clocks go back across midnight (the first of the two midnights) or skip it (the jump): an instant before it falls on an earlier day there.';

create or replace function ps.local_today(p_time_zone text) returns date
    language sql stable parallel safe
    as $$ select ps.local_date(now(), p_time_zone) $$;
comment on function ps.local_today(text) is 'Today''s date in a time zone (the transaction''s now()).';
