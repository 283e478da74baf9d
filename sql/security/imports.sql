-- Translation tables and import records belong to one library; administrators write them.

-- ps.patron_type_translation
create policy tenant_read on ps.patron_type_translation for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_insert on ps.patron_type_translation for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.patron_type_translation for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.patron_type_translation for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));

-- ps.import_job
create policy tenant_read on ps.import_job for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_insert on ps.import_job for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.import_job for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.import_job for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));

-- ps.import_reject
create policy tenant_read on ps.import_reject for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_insert on ps.import_reject for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.import_reject for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.import_reject for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
