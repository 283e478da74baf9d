-- Scope resolution
create or replace function ps.pac_scope(p_connection_branch_id bigint, p_patron_id bigint)
    returns table (branch_id bigint, institution_id bigint, reason text)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.registered_branch_id, p.institution_id, 'registered_branch'::text
        from patron p where p_patron_id is not null and p.patron_id = p_patron_id and p.deleted_at is null
        union all
        select b.branch_id, b.institution_id, 'connection_branch'::text
        from branch b where p_patron_id is null and b.branch_id = p_connection_branch_id
    $$;
comment on function ps.pac_scope(bigint, bigint) is
    'PAC scope: the branch whose Patron Access Options apply. A signed-in patron gets the patron''s registered branch; an anonymous visitor the connection branch. reason says which.';
