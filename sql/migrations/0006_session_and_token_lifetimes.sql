-- Staff tokens issued without an expiry date expire after this many days (0: never).
insert into ps.auth_setting (name, value) values ('staff_token_lifetime_days', 365);
