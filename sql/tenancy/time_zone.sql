-- Organisation tree
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
