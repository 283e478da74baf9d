-- The settings behind the limits
-- The institution a settings call acts on: the given one (consortium admins) or the caller's own.
create or replace function ps.settings_institution(p_institution_id bigint) returns bigint
    language plpgsql stable
    as $$
    declare
        v_id bigint := coalesce(p_institution_id, ps.current_institution_id());
    begin
        if v_id is null or not ps.can_write_institution(v_id) or not exists (select 1 from ps.library where institution_id = v_id) then
            raise exception using errcode = 'PS404', message = 'library_not_found', detail = 'No such library.';
        end if;
        return v_id;
    end $$;
comment on function ps.settings_institution(bigint) is 'The institution a settings write acts on (given, or the caller''s), or PS404 when the caller may not write it.';
