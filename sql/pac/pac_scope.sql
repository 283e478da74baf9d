-- Scope resolution
create or replace function ps.pac_scope(p_connection_branch_id bigint, p_patron_id bigint)
    returns table (branch_id bigint, institution_id bigint, reason text)
    language plpgsql stable security definer set search_path = ps, pg_temp
    as $$
    begin
        -- PL/pgSQL, not SQL: every PAC read calls this, and PostgreSQL 15 plans a security definer SQL
        -- function's body again in each statement, where PL/pgSQL keeps its plan for the session.
        return query
        select p.registered_branch_id, p.institution_id, 'registered_branch'::text
        from patron p where p_patron_id is not null and p.patron_id = p_patron_id and p.deleted_at is null
        union all
        select b.branch_id, b.institution_id, 'connection_branch'::text
        from branch b where p_patron_id is null and b.branch_id = p_connection_branch_id;
    end $$;
comment on function ps.pac_scope(bigint, bigint) is
    'PAC scope: the branch whose Patron Access Options apply. A signed-in patron gets the patron''s registered branch; an anonymous visitor the connection branch. reason says which.';
