-- Cross-institution lookup for circulation desks
-- Security definer so that staff can see just these columns of patrons of institutions sharing a
-- circulation group with theirs, which row-level security on ps.patron does not let them read.
-- With a barcode (any case), only that patron is read, through the lower(barcode) index: the desk's
-- lookup. Without one, every patron the desk may see (the view, for a DBA). The two branches are cut
-- by the barcode's being null, since a SQL function's parameter is not a constant to its planner: one
-- query with "p_barcode is null or lower(barcode) = lower(p_barcode)" read every patron of the
-- consortium for each lookup (6 s at a million patrons).
create or replace function ps.circulation_patrons(p_barcode text default null)
    returns table (patron_id bigint, institution_id bigint, barcode text, first_name text, last_name text,
                   registered_branch_id bigint, patron_type_id bigint, expiration_date date, has_verify_block boolean)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.patron_id, p.institution_id, p.barcode, p.first_name, p.last_name, p.registered_branch_id,
               p.patron_type_id, p.expiration_date,
               exists (select 1 from patron_block b where b.institution_id = p.institution_id and b.patron_id = p.patron_id
                       and b.kind = 'verify_patron' and b.lifted_at is null)
        from (select * from patron where p_barcode is not null and lower(barcode) = lower(p_barcode)
              union all
              select * from patron where p_barcode is null) p
        where p.deleted_at is null
          and ps.current_staff_role() in ('consortium_admin', 'library_admin', 'circulation_supervisor', 'circulation_staff')
          and (ps.is_consortium_admin() or ps.shares_circulation_group(ps.current_institution_id(), p.institution_id))
    $$;
comment on function ps.circulation_patrons(text) is
    'Behind the ps.circulation_patron view and the desk''s lookup by barcode (any case): the patrons a circulation desk may see (own institution and circulation group partners); with a barcode, only its patron.';

create or replace view ps.circulation_patron with (security_invoker = true) as
    select * from ps.circulation_patrons();
comment on view ps.circulation_patron is
    'What a circulation desk needs to know of a patron of its own institution or of one sharing a circulation group with it: identity, home, type, expiry, Verify Patron block. Read-only.';
