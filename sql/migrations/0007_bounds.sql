-- Every money amount has the documented upper bound of ps.max_money_minor() (10^12 minor units), in the
-- table as well as at the edge, so no sum of a patron's bills can overflow.
alter table ps.bill drop constraint bill_amount_minor_check,
    add constraint bill_amount_minor_check check (amount_minor between 1 and 1000000000000);
alter table ps.item drop constraint item_cost_minor_check,
    add constraint item_cost_minor_check check (cost_minor is null or cost_minor between 0 and 1000000000000);
alter table ps.membership_policy drop constraint membership_policy_fee_minor_check,
    add constraint membership_policy_fee_minor_check check (fee_minor between 0 and 1000000000000);
