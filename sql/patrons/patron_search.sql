-- The patrons whose last name starts with a text (any case; the text is a plain prefix, not a pattern),
-- for the staff search. As the owner the (institution_id, lower(last_name)) index serves a library's
-- search with a range; under row-level security lower() would keep it from the index and every patron
-- would be read. A consortium administrator's search covers every library, through the patron_last_name
-- index (migration 0017) with the same range. The caller's query keeps
-- the ones its row-level security lets it see. PL/pgSQL plans the search for the prefix given (a custom
-- plan, kept only while a generic one would cost no more): a SQL function is planned for any prefix,
-- and with a library's 20,000 patrons that plan read them all by the primary key (433 buffers) instead
-- of the prefix's range. rows 20 tells the caller's plan that a prefix names a few patrons, to be
-- fetched by id: at the default 1,000 it read every patron of the library to join them.
create or replace function ps.patrons_named(p_prefix text) returns setof bigint
    language plpgsql stable security definer set search_path = ps, pg_temp rows 20
    as $$
    begin
        return query
            select p.patron_id from patron p
            where p.institution_id = ps.current_institution_id()
              and lower(p.last_name) >= lower(p_prefix) and lower(p.last_name) < lower(p_prefix) || chr(1114111)
              and starts_with(lower(p.last_name), lower(p_prefix))
            union all
            select p.patron_id from patron p
            where ps.current_institution_id() is null and ps.is_consortium_admin()
              and lower(p.last_name) >= lower(p_prefix) and lower(p.last_name) < lower(p_prefix) || chr(1114111)
              and starts_with(lower(p.last_name), lower(p_prefix));
    end $$;
comment on function ps.patrons_named(text) is
    'Ids of the patrons of the caller''s library (every library''s for a consortium administrator) whose last name starts with the text, any case; callers filter them through their own row-level security.';
revoke execute on function ps.patrons_named(text) from public, patron_report;
