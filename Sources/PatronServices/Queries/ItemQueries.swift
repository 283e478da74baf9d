import Postgres

/// Items of a library: the holdings checkouts lend and the value on loan counts.
public enum ItemQueries {
    public static func items(branch: Int64?, barcode: String?, after: Int64?, limit: Int?) -> PostgresQuery {
        "select ps.items(\(branch), \(barcode), \(after), \(limit))"
    }

    public static func item(_ id: Int64) -> PostgresQuery { "select ps.item_api(i) from ps.item i where i.item_id = \(id)" }

    /// Creates (`id` nil) or edits an item; `ps.save_item` validates every field.
    public static func save(_ id: Int64?, _ fields: PostgresJSON) -> PostgresQuery { "select ps.save_item(\(id), \(fields)::jsonb)" }

    public static func delete(_ id: Int64) -> PostgresQuery { "select ps.delete_item(\(id))" }
}
