-- ps.patron
create policy patron_read on ps.patron for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (coalesce((select ps.current_staff_role()), '') <> 'patron' or patron_id = (select nullif(ps.request_setting('ps.patron_id'), '')::bigint)));
create policy patron_insert on ps.patron for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_update on ps.patron for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_delete on ps.patron for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.patron for select to patron_owner using (true);
create policy owner_update on ps.patron for update to patron_owner using (true) with check (true);

-- ps.patron_block
create policy patron_block_read on ps.patron_block for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_block_insert on ps.patron_block for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_block_update on ps.patron_block for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_block_delete on ps.patron_block for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.patron_block for select to patron_owner using (true);
create policy owner_write on ps.patron_block for all to patron_owner using (true) with check (true);
