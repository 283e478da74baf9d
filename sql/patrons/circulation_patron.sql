-- Cross-institution lookup for circulation desks
-- Security definer so that staff can see just these columns of patrons of institutions sharing a
-- circulation group with theirs, which row-level security on ps.patron does not let them read.
create or replace function ps.circulation_patrons()
    returns table (patron_id bigint, institution_id bigint, barcode text, first_name text, last_name text,
                   registered_branch_id bigint, patron_type_id bigint, expiration_date date, has_verify_block boolean)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.patron_id, p.institution_id, p.barcode, p.first_name, p.last_name, p.registered_branch_id,
               p.patron_type_id, p.expiration_date,
               exists (select 1 from patron_block b where b.institution_id = p.institution_id and b.patron_id = p.patron_id
                       and b.kind = 'verify_patron' and b.lifted_at is null)
        from patron p
        where p.deleted_at is null
          and ps.current_staff_role() in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff')
          and (ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), p.institution_id))
    $$;
comment on function ps.circulation_patrons() is 'Behind the ps.circulation_patron view: the patrons a circulation desk may see (own institution and circulation group partners).';

create or replace view ps.circulation_patron with (security_invoker = true) as
    select * from ps.circulation_patrons();
comment on view ps.circulation_patron is
    'What a circulation desk needs to know of a patron of its own institution or of one sharing a circulation group with it: identity, home, type, expiry, Verify Patron block. Read-only.';
