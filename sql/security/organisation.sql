-- ps.consortium
create policy consortium_read on ps.consortium for select using (true);
create policy consortium_write on ps.consortium for update using ((select ps.is_consortium_admin()));

-- ps.library
create policy library_read on ps.library for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy library_insert on ps.library for insert with check ((select ps.is_consortium_admin()) or (institution_id = (select ps.current_institution_id()) and (select ps.current_staff_role()) = 'library_admin'));
create policy library_update on ps.library for update
    using ((select ps.is_consortium_admin()) or (institution_id = (select ps.current_institution_id()) and (select ps.current_staff_role()) = 'library_admin'))
    with check ((select ps.is_consortium_admin()) or (institution_id = (select ps.current_institution_id()) and (select ps.current_staff_role()) = 'library_admin'));
create policy library_delete on ps.library for delete using ((select ps.is_consortium_admin()) or (institution_id = (select ps.current_institution_id()) and (select ps.current_staff_role()) = 'library_admin'));
create policy owner_delete on ps.library for delete to patron_owner using (true);
create policy owner_read on ps.library for select to patron_owner using (true);

-- ps.branch
create policy branch_read on ps.branch for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy branch_insert on ps.branch for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy branch_update on ps.branch for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy branch_delete on ps.branch for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_read on ps.branch for select to patron_owner using (true);
create policy owner_delete on ps.branch for delete to patron_owner using (true);

-- ps.branch_move
create policy branch_move_all on ps.branch_move for all using ((select ps.is_consortium_admin())) with check ((select ps.is_consortium_admin()));
create policy owner_read on ps.branch_move for select to patron_owner using (true);

-- ps.circulation_group
create policy circulation_group_read on ps.circulation_group for select using ((select ps.current_institution_id()) is not null or (select ps.is_consortium_admin()));
create policy circulation_group_insert on ps.circulation_group for insert with check ((select ps.is_consortium_admin()));
create policy circulation_group_update on ps.circulation_group for update
    using ((select ps.is_consortium_admin()))
    with check ((select ps.is_consortium_admin()));
create policy circulation_group_delete on ps.circulation_group for delete using ((select ps.is_consortium_admin()));

-- ps.circulation_group_member
create policy circulation_group_member_read on ps.circulation_group_member for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy circulation_group_member_insert on ps.circulation_group_member for insert with check ((select ps.is_consortium_admin()));
create policy circulation_group_member_update on ps.circulation_group_member for update
    using ((select ps.is_consortium_admin()))
    with check ((select ps.is_consortium_admin()));
create policy circulation_group_member_delete on ps.circulation_group_member for delete using ((select ps.is_consortium_admin()));
create policy owner_read on ps.circulation_group_member for select to patron_owner using (true);

-- ps.patron_type
create policy patron_type_read on ps.patron_type for select using (ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_type_insert on ps.patron_type for insert with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_type_update on ps.patron_type for update
    using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())))
    with check (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy patron_type_delete on ps.patron_type for delete using (ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy owner_delete on ps.patron_type for delete to patron_owner using (true);
create policy owner_read on ps.patron_type for select to patron_owner using (true);

-- ps.postal_code
create policy postal_code_read on ps.postal_code for select using (true);
create policy postal_code_insert on ps.postal_code for insert with check ((select ps.is_consortium_admin()));
create policy postal_code_update on ps.postal_code for update
    using ((select ps.is_consortium_admin()))
    with check ((select ps.is_consortium_admin()));
create policy postal_code_delete on ps.postal_code for delete using ((select ps.is_consortium_admin()));

-- ps.postal_code_format
create policy postal_code_format_read on ps.postal_code_format for select using (true);
create policy postal_code_format_insert on ps.postal_code_format for insert with check ((select ps.is_consortium_admin()));
create policy postal_code_format_update on ps.postal_code_format for update
    using ((select ps.is_consortium_admin()))
    with check ((select ps.is_consortium_admin()));
create policy postal_code_format_delete on ps.postal_code_format for delete using ((select ps.is_consortium_admin()));

-- ps.setting_definition
create policy setting_definition_read on ps.setting_definition for select using (true);
create policy setting_definition_owner on ps.setting_definition for all to patron_owner using (true) with check (true);

-- ps.setting_value
create policy setting_value_read on ps.setting_value for select using (level = 'system' or ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))
    or (select ps.current_staff_role()) in ('pac', 'patron'));
create policy setting_value_insert on ps.setting_value for insert with check ((level = 'system' and (select ps.is_consortium_admin())) or (level <> 'system' and ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))));
create policy setting_value_update on ps.setting_value for update
    using ((level = 'system' and (select ps.is_consortium_admin())) or (level <> 'system' and ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))))
    with check ((level = 'system' and (select ps.is_consortium_admin())) or (level <> 'system' and ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))));
create policy setting_value_delete on ps.setting_value for delete using ((level = 'system' and (select ps.is_consortium_admin())) or (level <> 'system' and ps.admin_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role()))));
create policy owner_delete on ps.setting_value for delete to patron_owner using (true);

-- ps.setting_change
create policy setting_change_read on ps.setting_change for select using ((select ps.is_consortium_admin()) or ps.institution_visible_to(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
create policy setting_change_insert on ps.setting_change for insert with check ((select ps.is_consortium_admin()) or ps.institution_writable_by(institution_id, (select ps.current_institution_id()), (select ps.current_staff_role())));
