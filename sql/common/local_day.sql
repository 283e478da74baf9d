-- The instant a calendar day begins in a time zone. PostgreSQL reads an ambiguous local time as the later
-- one, so where a zone sets its clocks back across midnight `day::timestamp at time zone` is the second
-- midnight: the instant just before it then still falls on that day, and the day began as long before it
-- as its local clock had run since midnight. Overdue counts and reminder windows compare due dates with
-- it, so that they read an index on due_at instead of converting every loan's due date.
-- Stable (timestamptz - interval is) and not strict, so that the planner inlines it into the query.
create or replace function ps.local_day_start(p_day date, p_time_zone text) returns timestamptz
    language sql stable parallel safe
    as $$
        select case when (((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond') at time zone p_time_zone)::date >= p_day
                    then ((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond')
                         - ((((p_day::timestamp at time zone p_time_zone) - interval '1 microsecond') at time zone p_time_zone) - p_day::timestamp)
                    else p_day::timestamp at time zone p_time_zone end
    $$;
comment on function ps.local_day_start(date, text) is
    'The first instant of a calendar day in a time zone, also where clocks go back across midnight (the first of the two midnights) or skip it (the jump): an instant before it falls on an earlier day there.';
