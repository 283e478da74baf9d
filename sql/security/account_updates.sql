-- A patron (through a PAC) reaches only the rows of their own account; staff their institution's.
-- ps.change_request
create policy tenant_read on ps.change_request for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_insert on ps.change_request for insert with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_update on ps.change_request for update
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_delete on ps.change_request for delete using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy owner_all on ps.change_request for all to patron_owner using (true) with check (true);

-- ps.change_request_field
create policy tenant_read on ps.change_request_field for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_insert on ps.change_request_field for insert with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_update on ps.change_request_field for update
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_delete on ps.change_request_field for delete using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy owner_all on ps.change_request_field for all to patron_owner using (true) with check (true);

-- ps.change_request_event
create policy tenant_read on ps.change_request_event for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_insert on ps.change_request_event for insert with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_update on ps.change_request_event for update
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_delete on ps.change_request_event for delete using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy owner_all on ps.change_request_event for all to patron_owner using (true) with check (true);

-- ps.change_submission
create policy tenant_read on ps.change_submission for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_insert on ps.change_submission for insert with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_update on ps.change_submission for update
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_delete on ps.change_submission for delete using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy owner_all on ps.change_submission for all to patron_owner using (true) with check (true);

-- ps.outbox
create policy tenant_read on ps.outbox for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_insert on ps.outbox for insert with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_update on ps.outbox for update
    using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))))
    with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy tenant_delete on ps.outbox for delete using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and ps.patron_row_open_to(patron_id, (select ps.current_staff_role()), (select ps.request_setting('ps.patron_id'))));
create policy owner_all on ps.outbox for all to patron_owner using (true) with check (true);
