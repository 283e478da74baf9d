-- A patron (through a PAC) reaches only the rows of their own account; staff their institution's.
-- ps.change_request
create policy tenant_read on ps.change_request for select using (ps.can_see_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy tenant_write on ps.change_request for all using (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id))
    with check (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy owner_all on ps.change_request for all to patron_owner using (true) with check (true);

-- ps.change_request_field
create policy tenant_read on ps.change_request_field for select using (ps.can_see_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy tenant_write on ps.change_request_field for all using (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id))
    with check (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy owner_all on ps.change_request_field for all to patron_owner using (true) with check (true);

-- ps.change_request_event
create policy tenant_read on ps.change_request_event for select using (ps.can_see_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy tenant_write on ps.change_request_event for all using (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id))
    with check (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy owner_all on ps.change_request_event for all to patron_owner using (true) with check (true);

-- ps.change_submission
create policy tenant_read on ps.change_submission for select using (ps.can_see_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy tenant_write on ps.change_submission for all using (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id))
    with check (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy owner_all on ps.change_submission for all to patron_owner using (true) with check (true);

-- ps.outbox
create policy tenant_read on ps.outbox for select using (ps.can_see_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy tenant_write on ps.outbox for all using (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id))
    with check (ps.can_write_institution(institution_id) and ps.is_own_or_staff_row(patron_id));
create policy owner_all on ps.outbox for all to patron_owner using (true) with check (true);
