-- The patrons of the bills the caller can see, including deleted patrons and other institutions' ones.
create or replace function ps.bill_patrons()
    returns table (patron_id bigint, institution_id bigint, barcode text, name text, deleted boolean, patron_type_id bigint)
    language sql stable security definer set search_path = ps, pg_temp
    as $$
        select p.patron_id, p.institution_id, p.barcode, p.last_name || ', ' || p.first_name, p.deleted_at is not null, p.patron_type_id
        from patron p
        where exists (select 1 from bill b where b.patron_id = p.patron_id and ps.can_see_institution(b.institution_id))
    $$;
comment on function ps.bill_patrons() is 'Behind the bill reports: the patrons of the bills the caller can see, deleted ones and other institutions'' included.';
