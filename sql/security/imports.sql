-- Translation tables and import records belong to one library; administrators write them.

-- ps.patron_type_translation
create policy tenant_read on ps.patron_type_translation for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_write on ps.patron_type_translation for all using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin')) with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin'));

-- ps.import_job
create policy tenant_read on ps.import_job for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_write on ps.import_job for all using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin')) with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin'));

-- ps.import_reject
create policy tenant_read on ps.import_reject for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_write on ps.import_reject for all using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin')) with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin'));
