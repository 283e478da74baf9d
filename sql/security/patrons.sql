-- ps.patron
create policy patron_read on ps.patron for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (coalesce((select ps.current_staff_role()), '') <> 'patron' or patron_id = (select nullif(ps.request_setting('ps.patron_id'), '')::bigint)));
create policy patron_write on ps.patron for all
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) not in ('pac', 'patron'))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy owner_read on ps.patron for select to patron_owner using (true);
create policy owner_update on ps.patron for update to patron_owner using (true) with check (true);

-- ps.patron_block
create policy patron_block_read on ps.patron_block for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_block_write on ps.patron_block for all
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) not in ('pac', 'patron'))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy owner_read on ps.patron_block for select to patron_owner using (true);
create policy owner_write on ps.patron_block for all to patron_owner using (true) with check (true);
