/// The statements with which the migrator drops the rule layer and sets row-level security on the
/// tables of the layer's schemas. Schema names are checked identifiers (`LayerPlan`).
struct LayerSQL {
    let schemas: [String]

    /// The schemas' oids; those that do not exist yet (a first migration creates them) are left out.
    private var namespaces: String {
        "array(select oid from pg_namespace where nspname in (" + schemas.map { "'\($0)'" }.joined(separator: ", ") + "))"
    }

    /// Policies, triggers, views and functions of the layer schemas. A table constraint, default or
    /// index that uses a layer function would be dropped with it: that is refused, loudly.
    var dropLayer: String {
        """
        do $layer$
        declare r record;
        begin
            for r in select d.refobjid::regprocedure::text as fn, d.classid::regclass::text as used_by
                from pg_depend d join pg_proc p on p.oid = d.refobjid
                where d.refclassid = 'pg_proc'::regclass and p.pronamespace = any(\(namespaces))
                  and d.classid in ('pg_constraint'::regclass, 'pg_attrdef'::regclass, 'pg_class'::regclass)
                  and d.deptype = 'n'
            loop
                raise exception 'table structure depends on layer function % (via %): move the rule into a trigger or inline it',
                    r.fn, r.used_by;
            end loop;
            for r in select p.polname, c.oid::regclass::text as tbl from pg_policy p join pg_class c on c.oid = p.polrelid
                where c.relnamespace = any(\(namespaces))
            loop
                execute format('drop policy %I on %s', r.polname, r.tbl);
            end loop;
            for r in select t.tgname, c.oid::regclass::text as tbl from pg_trigger t join pg_class c on c.oid = t.tgrelid
                where not t.tgisinternal and c.relnamespace = any(\(namespaces))
            loop
                execute format('drop trigger %I on %s', r.tgname, r.tbl);
            end loop;
            for r in select c.oid::regclass::text as name from pg_class c where c.relkind = 'v' and c.relnamespace = any(\(namespaces))
            loop
                execute format('drop view if exists %s cascade', r.name);
            end loop;
            for r in select p.oid::regprocedure::text as name from pg_proc p where p.pronamespace = any(\(namespaces)) and p.prokind in ('f', 'p')
            loop
                execute format('drop routine if exists %s cascade', r.name);
            end loop;
        end $layer$;
        """
    }

    /// Migrations run as the owner with the policies dropped: without this, forced row-level security
    /// with no policy would refuse the owner's own data changes.
    var relaxRowSecurity: String { alterTables("no force row level security") }

    /// Every table of a layer schema: row-level security enabled and forced (no policy: nobody).
    var enforceRowSecurity: String { alterTables("enable row level security, force row level security") }

    private func alterTables(_ action: String) -> String {
        """
        do $layer$
        declare r record;
        begin
            for r in select c.oid::regclass::text as name from pg_class c
                where c.relkind in ('r', 'p') and c.relnamespace = any(\(namespaces))
            loop
                execute format('alter table %s \(action)', r.name);
            end loop;
        end $layer$;
        """
    }
}
