import NIOCore
import Postgres

/// A bill report's page answer, written as the page's rows arrive (``BillingQueries/report(_:afterBillId:limit:)``,
/// in binary form, in bill id order) and passed on in chunks while PostgreSQL reads the rest:
/// `{"bills":[…],"pageBalanceMinor":…,"pageBalanceByCurrency":{…},"nextAfterBillId":…}`.
///
/// The page's balance is the sum of its rows' balances, per currency in the order the currencies first
/// appear (a consortium administrator's page may mix libraries); `nextAfterBillId` is the last bill's id
/// when the page is full, else null.
///
/// The first chunk waits for the first row (or the page's end), so an error before it (authentication,
/// a statement that fails at once) is still answered with a problem; one after it ends the response
/// before its end, which an HTTP client sees as an incomplete answer.
///
/// `@unchecked Sendable`: the rows and pauses come from one task, one after another
/// (``PostgresConnection/pipeline(_:streaming:rows:pause:)``); the chunks leave through `sink`.
final class BillReportStream: @unchecked Sendable {
    /// A chunk is passed on once it holds this much (and the first as soon as it holds a row), so a page
    /// of 500 (186 KB) goes in about seven, the last of them small: what is left to send when PostgreSQL
    /// sends its last row.
    static let chunkBytes = 32 * 1024

    let limit: Int64
    let sink: AsyncThrowingStream<ByteBuffer, any Error>.Continuation
    private var columns: RowsJSON.Columns?
    private var idColumn = 0, balanceColumn = 0, currencyColumn = 0
    private var buffer: ByteBuffer
    private var count: Int64 = 0
    private var lastId: Int64 = .min
    private var total: Int64 = 0
    private var byCurrency: [(currency: String, minor: Int64)] = []
    private var started = false

    init(limit: Int64, sink: AsyncThrowingStream<ByteBuffer, any Error>.Continuation) {
        self.limit = limit
        self.sink = sink
        buffer = ByteBufferAllocator().buffer(capacity: Self.chunkBytes + 4096)
        buffer.writeStaticString("{\"bills\":[")
    }

    /// Writes `rows` (which must follow the rows before in bill id order) into the page.
    func add(_ rows: PostgresRawResult) throws {
        guard rows.rowCount > 0 else { return }
        if columns == nil {
            let names = (0..<rows.columnCount).map { rows.columnName($0) }
            guard let id = names.firstIndex(of: "billId"), let balance = names.firstIndex(of: "balanceMinor"),
                let currency = names.firstIndex(of: "currency")
            else { throw PostgresError(kind: .client, message: "a bill report page needs billId, balanceMinor and currency columns") }
            (idColumn, balanceColumn, currencyColumn) = (id, balance, currency)
            columns = try RowsJSON.Columns(rows)
        }
        for row in 0..<rows.rowCount {
            let id = try Self.integer(rows, row, idColumn)
            guard id > lastId else { throw PostgresError(kind: .client, message: "a bill report page's rows came out of bill id order") }
            lastId = id
            let minor = try Self.integer(rows, row, balanceColumn)
            // A bill is at most 10^12 minor units (ps.bill's check) and a page at most 5,000 bills: no overflow.
            total += minor
            let code = rows.bytes(row, currencyColumn)
            if let slot = byCurrency.firstIndex(where: { $0.currency.utf8.elementsEqual(code) }) {
                byCurrency[slot].minor += minor
            } else {
                byCurrency.append((String(decoding: code, as: UTF8.self), minor))
            }
        }
        try RowsJSON.writeObjects(rows, columns: columns!, leadingComma: count > 0, into: &buffer)
        count += Int64(rows.rowCount)
        if buffer.readableBytes >= Self.chunkBytes { pass() }
    }

    /// Passes on what is written so far when it holds the first rows: the client has its answer's head
    /// and first bills while the server reads the rest.
    func pause() {
        if !started && count > 0 { pass() }
    }

    private func pass() {
        started = true
        sink.yield(buffer)
        buffer = ByteBufferAllocator().buffer(capacity: Self.chunkBytes + 4096)
    }

    /// Writes the page's end (its balances and the next page's start) and passes on the rest.
    func finish() {
        buffer.writeString("],\"pageBalanceMinor\":\(total),\"pageBalanceByCurrency\":{")
        for (index, entry) in byCurrency.enumerated() {
            if index > 0 { buffer.writeStaticString(",") }
            Array(entry.currency.utf8).withUnsafeBytes { RowsJSON.writeString($0, into: &buffer) }
            buffer.writeString(":\(entry.minor)")
        }
        buffer.writeStaticString("},\"nextAfterBillId\":")
        buffer.writeString(count == limit ? String(lastId) : "null")
        buffer.writeStaticString("}")
        sink.yield(buffer)
        sink.finish()
    }

    /// A non-null `int8` value in binary form.
    static func integer(_ rows: PostgresRawResult, _ row: Int, _ column: Int) throws -> Int64 {
        guard rows.columnType(column) == 20, let value = rows.value(row, column), value.count == 8 else {
            throw PostgresError(kind: .decoding, message: "column \(rows.columnName(column)) of a bill report page is not a non-null int8")
        }
        return RowsJSON.int64(value)
    }
}
