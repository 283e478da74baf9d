-- A small, realistic consortium for trying the API: run by `patron-services seed --demo` (as the owner,
-- acting as consortium admin). Three libraries, eight branches in two time zones, two circulation
-- groups, patron types, postal codes and 200 patrons whose PIN is 1234.
select set_config('ps.role', 'consortium_admin', true), set_config('ps.actor', 'seed', true);

update ps.consortium set name = 'Prairie & Peaks Library Consortium', time_zone = 'America/Chicago';

insert into ps.library (code, name, currency, time_zone) values
    ('RPL', 'Riverside Public Library', 'USD', 'America/Chicago'),
    ('LDL', 'Lakeshore District Library', 'USD', 'America/Chicago'),
    ('MVL', 'Mountain View Library', 'USD', 'America/Denver');

insert into ps.branch (institution_id, code, name, time_zone, staff_email)
select l.institution_id, b.code, b.name, b.tz, b.email
from (values
    ('RPL', 'RPL-MAIN', 'Riverside Main Library', 'America/Chicago', 'circ-main@riverside.example.org'),
    ('RPL', 'RPL-EAST', 'Riverside East Branch', 'America/Chicago', 'circ-east@riverside.example.org'),
    ('RPL', 'RPL-NORTH', 'Riverside North Branch', 'America/Chicago', 'circ-north@riverside.example.org'),
    ('LDL', 'LDL-HARBOR', 'Lakeshore Harbor Branch', 'America/Chicago', 'staff@lakeshore.example.org'),
    ('LDL', 'LDL-DUNES', 'Lakeshore Dunes Branch', 'America/Chicago', 'staff@lakeshore.example.org'),
    ('MVL', 'MVL-CENTRAL', 'Mountain View Central', 'America/Denver', 'desk@mountainview.example.org'),
    ('MVL', 'MVL-PASS', 'Mountain View Pass Branch', 'America/Denver', 'desk@mountainview.example.org'),
    ('MVL', 'MVL-MOBILE', 'Mountain View Bookmobile', 'America/Denver', 'desk@mountainview.example.org')
) b (library, code, name, tz, email)
join ps.library l on l.code = b.library;

insert into ps.circulation_group (name) values ('Metro Borrowing Group'), ('Regional Reciprocal Group');
insert into ps.circulation_group_member (group_id, institution_id)
select g.group_id, l.institution_id
from (values ('Metro Borrowing Group', 'RPL'), ('Metro Borrowing Group', 'LDL'),
             ('Regional Reciprocal Group', 'LDL'), ('Regional Reciprocal Group', 'MVL')) m (grp, library)
join ps.circulation_group g on g.name = m.grp
join ps.library l on l.code = m.library;

insert into ps.patron_type (institution_id, code, description)
select l.institution_id, t.code, t.description
from ps.library l
cross join (values ('ADULT', 'Adult'), ('JUVENILE', 'Juvenile (under 18)'), ('SENIOR', 'Senior (65+)'), ('STAFF', 'Library staff')) t (code, description);

insert into ps.postal_code (postal_code, city, state, county, country) values
    ('60601', 'Chicago', 'IL', 'Cook', 'US'), ('60602', 'Chicago', 'IL', 'Cook', 'US'), ('60614', 'Chicago', 'IL', 'Cook', 'US'),
    ('60201', 'Evanston', 'IL', 'Cook', 'US'), ('60202', 'Evanston', 'IL', 'Cook', 'US'), ('46360', 'Michigan City', 'IN', 'LaPorte', 'US'),
    ('46304', 'Chesterton', 'IN', 'Porter', 'US'), ('46368', 'Portage', 'IN', 'Porter', 'US'), ('80202', 'Denver', 'CO', 'Denver', 'US'),
    ('80301', 'Boulder', 'CO', 'Boulder', 'US'), ('80302', 'Boulder', 'CO', 'Boulder', 'US'), ('80424', 'Breckenridge', 'CO', 'Summit', 'US'),
    ('80435', 'Dillon', 'CO', 'Summit', 'US'), ('80517', 'Estes Park', 'CO', 'Larimer', 'US'), ('61820', 'Champaign', 'IL', 'Champaign', 'US'),
    ('M5V 2T6', 'Toronto', 'ON', 'Toronto', 'CA'), ('V6B 1A1', 'Vancouver', 'BC', 'Metro Vancouver', 'CA');

with pin as (select ps.hash_pin('1234') as hash),
firsts as (select array['Ada','Ben','Chloe','Dev','Elena','Farid','Grace','Hiro','Imani','Jonas','Kira','Luis','Maya','Noor','Owen','Priya','Quinn','Rosa','Sam','Tariq'] a),
lasts as (select array['Anderson','Brooks','Chen','Diaz','Evans','Fischer','Garcia','Hughes','Ibrahim','Jensen','Kowalski','Lopez','Murphy','Nguyen','Okafor','Patel'] a),
branches as (select row_number() over (order by branch_id) - 1 as k, branch_id, institution_id, code from ps.branch),
zips as (select array['60601','60602','60614','60201','60202','46360','46304','46368','80202','80301','80302','80424','80435','80517'] a)
insert into ps.patron (institution_id, barcode, registered_branch_id, patron_type_id, first_name, last_name,
    address_line1, city, state, postal_code, country, email, alt_email, phone1, notification_method, expiration_date,
    last_activity_at, pin_hash)
select b.institution_id,
       format('2%s%s', lpad(b.institution_id::text, 3, '0'), lpad(n::text, 9, '0')),
       b.branch_id,
       (select t.patron_type_id from ps.patron_type t where t.institution_id = b.institution_id
        order by t.patron_type_id offset (n % 4) limit 1),
       firsts.a[1 + n % 20], lasts.a[1 + (n * 7) % 16],
       format('%s %s Street', 100 + n, (array['Oak','Maple','Lake','River','Pine','Cedar'])[1 + n % 6]),
       pc.city, pc.state, pc.postal_code, 'US',
       case when n % 5 <> 0 then lower(format('%s.%s%s@mail.example.com', firsts.a[1 + n % 20], lasts.a[1 + (n * 7) % 16], n)) end,
       case when n % 7 = 0 then lower(format('%s%s@work.example.net', firsts.a[1 + n % 20], n)) end,
       format('312-555-%s', lpad((1000 + n)::text, 4, '0')),
       (array['email','mail','phone','text','email'])[1 + n % 5],
       current_date + (n % 900) - 100,
       now() - make_interval(days => n % 400),
       pin.hash
from generate_series(1, 200) n
cross join pin cross join firsts cross join lasts cross join zips
join branches b on b.k = n % 8
join ps.postal_code pc on pc.postal_code = zips.a[1 + (n + b.k) % 14] and pc.country = 'US';
