-- Notification policies belong to an institution; templates to an institution or (institution_id null)
-- to the consortium, read by every library's staff and written by consortium administrators only.
-- Patrons and PAC clients read neither.

-- ps.notification_policy
create policy tenant_read on ps.notification_policy for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) not in ('pac', 'patron'));
create policy tenant_write on ps.notification_policy for all using (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin')) with check (ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin'));
create policy owner_read on ps.notification_policy for select to patron_owner using (true);

-- ps.notice_template
create policy tenant_read on ps.notice_template for select using ((institution_id is null or ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    and coalesce((select ps.current_staff_role()), '') not in ('', 'pac', 'patron'));
create policy tenant_write on ps.notice_template for all
    using (case when institution_id is null then (select ps.is_consortium_admin())
                else ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin') end)
    with check (case when institution_id is null then (select ps.is_consortium_admin())
                else ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())) and (select ps.current_staff_role()) in ('library_admin', 'consortium_admin') end);
create policy owner_all on ps.notice_template for all to patron_owner using (true) with check (true);

-- ps.sms_carrier: a consortium-wide table of carriers and gateway domains, no secrets.
create policy everyone_read on ps.sms_carrier for select using (true);
create policy admin_write on ps.sms_carrier for all using ((select ps.is_consortium_admin())) with check ((select ps.is_consortium_admin()));
