import NIOCore
import Postgres

/// A bill report's page answer, written from the page's rows (``BillingQueries/report(_:afterBillId:limit:)``,
/// in binary form) in bill id order while libpq holds them:
/// `{"bills":[…],"pageBalanceMinor":…,"pageBalanceByCurrency":{…},"nextAfterBillId":…}`.
///
/// The page's balance is the sum of its rows' balances, per currency in the order the currencies first
/// appear (a consortium administrator's page may mix libraries); `nextAfterBillId` is the last bill's id
/// when the page is full, else null.
enum BillReportPage {
    static func answer(_ rows: PostgresRawResult, limit: Int64) throws -> ByteBuffer {
        let columns = (0..<rows.columnCount).map { rows.columnName($0) }
        guard let id = columns.firstIndex(of: "billId"), let balance = columns.firstIndex(of: "balanceMinor"),
            let currency = columns.firstIndex(of: "currency")
        else { throw PostgresError(kind: .client, message: "a bill report page needs billId, balanceMinor and currency columns") }

        // The rows come in no order (``BillingQueries/pageRows``): usually already by id, so the ids are
        // checked, and only when they are out of order are the row numbers sorted by them.
        let ids = try (0..<rows.rowCount).map { try integer(rows, $0, id) }
        let order = zip(ids, ids.dropFirst()).allSatisfy { $0 < $1 } ? nil : ids.indices.sorted { ids[$0] < ids[$1] }
        var total: Int64 = 0
        var byCurrency: [(currency: String, minor: Int64)] = []
        for row in order ?? Array(ids.indices) {
            let minor = try integer(rows, row, balance)
            let code = String(decoding: rows.bytes(row, currency), as: UTF8.self)
            // A bill is at most 10^12 minor units (ps.bill's check) and a page at most 5,000 bills: no overflow.
            total += minor
            if let slot = byCurrency.firstIndex(where: { $0.currency == code }) {
                byCurrency[slot].minor += minor
            } else {
                byCurrency.append((code, minor))
            }
        }

        var buffer = ByteBufferAllocator().buffer(capacity: 400 * rows.rowCount + 128)
        buffer.writeStaticString("{\"bills\":")
        try RowsJSON.writeArray(rows, order: order, into: &buffer)
        buffer.writeString(",\"pageBalanceMinor\":\(total),\"pageBalanceByCurrency\":{")
        for (index, entry) in byCurrency.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            Array(entry.currency.utf8).withUnsafeBytes { RowsJSON.writeString($0, into: &buffer) }
            buffer.writeString(":\(entry.minor)")
        }
        buffer.writeStaticString("},\"nextAfterBillId\":")
        if Int64(rows.rowCount) == limit, let last = ids.max() {
            buffer.writeString(String(last))
        } else {
            buffer.writeStaticString("null")
        }
        buffer.writeStaticString("}")
        return buffer
    }

    /// A non-null `int8` value in binary form.
    static func integer(_ rows: PostgresRawResult, _ row: Int, _ column: Int) throws -> Int64 {
        guard rows.columnType(column) == 20, let value = rows.value(row, column), value.count == 8 else {
            throw PostgresError(kind: .decoding, message: "column \(rows.columnName(column)) of a bill report page is not a non-null int8")
        }
        return RowsJSON.int64(value)
    }
}
