-- Notification policies belong to an institution; templates to an institution or (institution_id null)
-- to the consortium, read by every library's staff and written by consortium administrators only.
-- Patrons and PAC clients read neither.

-- ps.notification_policy
create policy tenant_read on ps.notification_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_insert on ps.notification_policy for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_update on ps.notification_policy for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy tenant_delete on ps.notification_policy for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.notification_policy for select to patron_owner using (true);

-- ps.notice_template
create policy tenant_read on ps.notice_template for select using ((institution_id is null or ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    and coalesce((select ps.current_staff_role()), '') not in ('', 'pac', 'patron'));
create policy tenant_insert on ps.notice_template for insert with check (case when institution_id is null then (select ps.is_consortium_admin()) else ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) end);
create policy tenant_update on ps.notice_template for update
    using (case when institution_id is null then (select ps.is_consortium_admin()) else ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) end)
    with check (case when institution_id is null then (select ps.is_consortium_admin()) else ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) end);
create policy tenant_delete on ps.notice_template for delete using (case when institution_id is null then (select ps.is_consortium_admin()) else ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) end);
create policy owner_all on ps.notice_template for all to patron_owner using (true) with check (true);

-- ps.sms_carrier: a consortium-wide table of carriers and gateway domains, no secrets.
create policy everyone_read on ps.sms_carrier for select using (true);
create policy admin_insert on ps.sms_carrier for insert with check ((select ps.is_consortium_admin()));
create policy admin_update on ps.sms_carrier for update
    using ((select ps.is_consortium_admin()))
    with check ((select ps.is_consortium_admin()));
create policy admin_delete on ps.sms_carrier for delete using ((select ps.is_consortium_admin()));
