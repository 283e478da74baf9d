-- ps.staff_token
create policy owner_only on ps.staff_token for all to patron_owner using (true) with check (true);

-- ps.pac_client
create policy owner_only on ps.pac_client for all to patron_owner using (true) with check (true);

-- ps.patron_session
create policy owner_only on ps.patron_session for all to patron_owner using (true) with check (true);

-- ps.signin_failure
create policy owner_only on ps.signin_failure for all to patron_owner using (true) with check (true);

-- ps.auth_setting
create policy owner_only on ps.auth_setting for all to patron_owner using (true) with check (true);

-- ps.report_login
create policy own_login on ps.report_login for select using (role_name = session_user);
create policy owner_all on ps.report_login for all to patron_owner using (true) with check (true);
