-- The demo consortium in use, loaded after seed.sql by `serve --demo` and `seed --demo` (never by the
-- test fixture, whose tests start from the plain consortium): everything the README tour shows exists.
-- At Riverside (RPL), whose PAC client the demo prints:
--   * Patron Access Options on: address changes by request (Verify Patron block) at the library,
--     directly at Riverside East; e-mail and phone changed directly; confirmation e-mails; the ADULT,
--     SENIOR and JUVENILE codes allowed; two reminder opt-outs offered; phone validation (system level).
--   * costed and uncosted items; the demo patron (first RPL patron, given an e-mail address) with loans
--     due, one overdue and one claimed returned; a posted fine, a partly waived lost-item bill;
--   * an accruing fines policy, notification policies, an ADULT policy whose limits one patron exceeds
--     (three overdue loans against a limit of two);
--   * a membership policy with one current and one expired membership, a suspended patron, a pending
--     change request from another patron, and an orphaned bill (its patron deleted).
-- Run as the owner inside the seed's transaction. Functions are used where they carry a rule
-- (options, policies, suspensions, claims, waivers, change requests); rows are written directly where
-- the demo needs a past (loans checked out weeks ago).
do $$
declare
    rpl bigint := (select institution_id from ps.library where code = 'RPL');
    main bigint := (select branch_id from ps.branch where code = 'RPL-MAIN');
    east bigint := (select branch_id from ps.branch where code = 'RPL-EAST');
    adult bigint := (select patron_type_id from ps.patron_type where institution_id = rpl and code = 'ADULT');
    demo ps.patron;
    heavy ps.patron;
    suspended ps.patron;
    requester ps.patron;
    member ps.patron;
    lapsed ps.patron;
    departed ps.patron;
    bill_policy bigint;
    suspension_policy bigint;
    membership_policy bigint;
    lost_bill bigint;
    claimed_loan bigint;
    fee_bill bigint;
begin
    -- Patron Access Options (Polaris): phone validation exists only at system level.
    perform ps.save_access_options('system', null, null, '{"phoneValidation": true}');
    perform ps.save_access_options('library', rpl, null, '{"updatePatronTypes": ["ADULT", "SENIOR", "JUVENILE"],
        "addressChange": "request", "emailChange": "direct", "phoneChange": "direct", "changeNotificationMethod": true,
        "confirmationEmail": true, "optOutAlmostOverdueAutoRenew": true, "optOutPatronRecordExpiration": true}');
    perform ps.save_access_options('branch', null, east, '{"addressChange": "direct"}');
    perform ps.save_access_options('library', (select institution_id from ps.library where code = 'LDL'), null,
        '{"updatePatronTypes": ["ADULT"], "addressChange": "direct", "emailChange": "request"}');

    -- The demo patron (the first RPL patron, as DemoSeed prints it) gets an e-mail address and ADULT.
    update ps.patron set email = 'ada.ibrahim@mail.example.com', patron_type_id = adult
    where patron_id = (select min(patron_id) from ps.patron where institution_id = rpl) returning * into demo;
    select * into heavy from ps.patron where institution_id = rpl and patron_id > demo.patron_id and patron_type_id = adult
        and email is not null order by patron_id limit 1;
    select * into suspended from ps.patron where institution_id = rpl and patron_id > heavy.patron_id order by patron_id limit 1;
    select * into requester from ps.patron where institution_id = rpl and patron_id > suspended.patron_id
        and patron_type_id = adult order by patron_id limit 1;
    select * into member from ps.patron where institution_id = rpl and patron_id > requester.patron_id order by patron_id limit 1;
    select * into lapsed from ps.patron where institution_id = rpl and patron_id > member.patron_id order by patron_id limit 1;
    select * into departed from ps.patron where institution_id = rpl and patron_id > lapsed.patron_id order by patron_id limit 1;

    -- Items (876 ‡c costs in cents; two uncosted).
    insert into ps.item (institution_id, branch_id, barcode, title, cost_minor)
    select rpl, case when n % 3 = 0 then east else main end, format('31001%s', lpad(n::text, 9, '0')), t.title, t.cost
    from (values (1, 'The Left Hand of Darkness', 1899), (2, 'A Wizard of Earthsea', 1499), (3, 'Kindred', 1700),
                 (4, 'Parable of the Sower', 1650), (5, 'The Dispossessed', 1999), (6, 'Beloved', 1800),
                 (7, 'Local history pamphlet', null), (8, 'The Overstory', 2799), (9, 'Middlemarch', 1299),
                 (10, 'Donated paperback', null), (11, 'Piranesi', 2700), (12, 'The Remains of the Day', 1600)) t (n, title, cost);

    -- Policies: fines accrue 25 cents a day to 10.00; ADULT may have two items overdue, 75.00 on loan,
    -- 20.00 billed, one claimed returned; bills and suspensions are notified.
    perform ps.save_accruing_fines_policy(rpl, '{"dailyFineMinor": 25, "maxFineMinor": 1000, "countsTowardBilledLimit": true}');
    insert into ps.notification_policy (institution_id, kind, name, bill_kinds, on_posting, reminder_days)
    values (rpl, 'bill', 'Fines and lost items', array['overdue_fine', 'lost_item', 'membership_fee'], true, array[14, 28])
    returning notification_policy_id into bill_policy;
    insert into ps.notification_policy (institution_id, kind, name, on_suspend, on_lift)
    values (rpl, 'suspension', 'Suspended and lifted', true, true) returning notification_policy_id into suspension_policy;
    membership_policy := ps.save_membership_policy(null, jsonb_build_object('name', 'Non-resident card', 'feeMinor', 2500,
        'periodDays', 365, 'reminderDays', 30, 'institutionId', rpl))->>'membershipPolicyId';
    perform ps.save_patron_type_policy(adult, jsonb_build_object('maxItemsOverdue', 2, 'maxDaysOverdue', 60,
        'maxLoanValueMinor', 7500, 'maxOutstandingBilledMinor', 2000, 'maxClaimedReturned', 1, 'maxWaivedMinor', 5000,
        'maxSuspensionMinutes', 43200, 'billNotificationPolicyId', bill_policy, 'suspensionNotificationPolicyId', suspension_policy,
        'accountOverviewTemplateId', (select template_id from ps.notice_template where institution_id is null and kind = 'account_overview')));

    -- The demo patron's loans: two due, one overdue 5 days, one claimed returned (an uncosted item among them).
    insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, checked_out_at, due_at)
    select rpl, i.item_id, demo.patron_id, main, now() - make_interval(days => 21 - d.due), now() + make_interval(days => d.due)
    from (values ('31001000000001', 7), ('31001000000007', 3), ('31001000000002', -5), ('31001000000003', -12)) d (barcode, due)
    join ps.item i on i.barcode = d.barcode;
    select loan_id into claimed_loan from ps.loan l join ps.item i using (item_id) where i.barcode = '31001000000003';
    update ps.loan set state = 'claimed_returned' where loan_id = claimed_loan;

    -- A patron over the limits: three items overdue (the limit is two) and 53.97 on loan.
    insert into ps.loan (institution_id, item_id, patron_id, checkout_branch_id, checked_out_at, due_at)
    select rpl, i.item_id, heavy.patron_id, main, now() - interval '40 days', now() - make_interval(days => d.late)
    from (values ('31001000000004', 19), ('31001000000005', 12), ('31001000000006', 4)) d (barcode, late)
    join ps.item i on i.barcode = d.barcode;

    -- Bills: a posted overdue fine, and a lost-item bill of which 10.00 was waived.
    insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at)
    values (rpl, demo.patron_id, 'overdue_fine', 'Overdue: Kindred', 300, now() - interval '3 days');
    insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at)
    values (rpl, heavy.patron_id, 'lost_item', 'Lost: Piranesi', 2700, now() - interval '20 days') returning bill_id into lost_bill;
    perform ps.settle_bill(lost_bill, 1000, 'waiver');

    -- Memberships: one paid and current (its reminder falls due within 30 days), one expired.
    fee_bill := (ps.open_membership(member.patron_id, membership_policy)).bill_id;
    perform ps.settle_bill(fee_bill, 2500, 'payment');
    update ps.membership set starts_at = now() - interval '345 days', ends_at = now() + interval '20 days' where bill_id = fee_bill;
    fee_bill := (ps.open_membership(lapsed.patron_id, membership_policy)).bill_id;
    perform ps.settle_bill(fee_bill, 2500, 'payment');
    update ps.membership set starts_at = now() - interval '375 days', ends_at = now() - interval '10 days' where bill_id = fee_bill;

    -- An orphaned bill: its patron record was deleted with the bill still owed (the Orphaned Bills report).
    insert into ps.bill (institution_id, patron_id, kind, reason, amount_minor, posted_at)
    values (rpl, departed.patron_id, 'other', 'Damaged: water on pages', 850, now() - interval '60 days');
    perform ps.delete_patron(departed.patron_id);

    -- A suspension of two weeks.
    perform ps.suspend_patron(suspended.patron_id, 20160, 'Damaged items, pending review');

    -- A pending change request, submitted as the patron would from the PAC.
    perform set_config('ps.patron_id', requester.patron_id::text, true);
    perform ps.submit_change_request('{"address": {"line1": "742 Evergreen Terrace", "city": "Chicago", "state": "IL", "postalCode": "60614"}}', null);
    perform set_config('ps.patron_id', '', true);
end $$;
