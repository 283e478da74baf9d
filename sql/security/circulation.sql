-- ps.item
create policy tenant_read on ps.item for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.item for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.item for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.item for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.item for select to patron_owner using (true);

-- ps.loan
create policy tenant_read on ps.loan for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.loan for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.loan for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.loan for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.loan for select to patron_owner using (true);

-- ps.bill
create policy tenant_read on ps.bill for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.bill for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.bill for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.bill for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.bill for select to patron_owner using (true);
-- The owner updates bills only through ps.patron_deleted_bills (security definer), which marks a deleted
-- patron's bills in every library, partners' included.
create policy owner_update on ps.bill for update to patron_owner using (true) with check (true);

-- ps.accruing_fines_policy
create policy tenant_read on ps.accruing_fines_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.accruing_fines_policy for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.accruing_fines_policy for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.accruing_fines_policy for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.accruing_fines_policy for select to patron_owner using (true);

-- ps.loan_limit_policy
create policy tenant_read on ps.loan_limit_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.loan_limit_policy for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.loan_limit_policy for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.loan_limit_policy for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.loan_limit_policy for select to patron_owner using (true);

-- ps.patron_type_policy
create policy tenant_read on ps.patron_type_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.patron_type_policy for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.patron_type_policy for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.patron_type_policy for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.patron_type_policy for select to patron_owner using (true);

-- ps.patron_type_policy_change
create policy tenant_read on ps.patron_type_policy_change for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.patron_type_policy_change for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.patron_type_policy_change for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.patron_type_policy_change for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.patron_type_policy_change for select to patron_owner using (true);
create policy owner_insert on ps.patron_type_policy_change for insert to patron_owner with check (true);

-- ps.suspension
create policy tenant_read on ps.suspension for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.suspension for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.suspension for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.suspension for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.suspension for select to patron_owner using (true);

-- ps.overdue_suspension_policy
create policy tenant_read on ps.overdue_suspension_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.overdue_suspension_policy for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.overdue_suspension_policy for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.overdue_suspension_policy for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.overdue_suspension_policy for select to patron_owner using (true);

-- ps.membership_policy
create policy tenant_read on ps.membership_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.membership_policy for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.membership_policy for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.membership_policy for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.membership_policy for select to patron_owner using (true);

-- ps.membership
create policy tenant_read on ps.membership for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_insert on ps.membership for insert with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.membership for update
    using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.membership for delete using (ps.staff_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.membership for select to patron_owner using (true);

-- ps.patron_circulation: the figure triggers and the eligibility check (security definer) write and read
-- it as the owner; staff read their institutions' rows.
create policy owner_all on ps.patron_circulation for all to patron_owner using (true) with check (true);
create policy tenant_read on ps.patron_circulation for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
