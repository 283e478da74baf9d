import ArgumentParser
import Foundation
import Logging
import PatronServices
import PatronServicesHTTP
import Postgres
import Synchronization

/// `import patron-types FILE --library CODE` loads the WMS translation table; `import patrons FILE
/// --library CODE` the patron file. `--dry-run` checks every row and applies nothing. Prints the
/// summary and the reject report (row, field, code, message).
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a library's patron type translation table or patron file (CSV with a header row).",
        subcommands: [ImportPatronTypesCommand.self, ImportPatronsCommand.self, ImportHoldingsCommand.self])
}

struct ImportOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @Argument(help: "The CSV file.") var file: String
    @Option(help: "The library's code.") var library: String
    @Flag(name: [.customShort("n"), .long], help: "Check every row, apply nothing.") var dryRun = false

    func run(_ kind: CSVImport.Kind, locations: [String: String] = [:]) async throws {
        guard let data = FileManager.default.contents(atPath: file) else { throw ValidationError("cannot read \(file)") }
        let contents: String
        if kind == .holdings {
            contents = try HoldingsFile.csv(data)
        } else {
            guard let text = String(data: data, encoding: .utf8) else { throw ValidationError("\(file) is not UTF-8 text") }
            contents = text
        }
        var logger = Logger(label: "import")
        logger.logLevel = .warning
        let database = try await CommandPool.open(config, logger: logger)
        let rows = max(contents.utf8.reduce(0) { $1 == 10 ? $0 + 1 : $0 } - 1, 0)
        let progress = ImportProgress(totalBytes: contents.utf8.count, totalRows: rows)
        do {
            let summary = try await database.pool.withConnection { connection in
                try await CSVImport(kind: kind, libraryCode: library, dryRun: dryRun, fileName: URL(fileURLWithPath: file).lastPathComponent,
                    contents: contents, locations: locations).run(on: connection) { progress.update(bytes: $0) }
            }
            progress.finish()
            await database.close()
            print(summary.text)
        } catch {
            await database.close()
            throw error
        }
    }
}

struct ImportPatronTypesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patron-types", abstract: "Load the patron type translation table: local_code,patron_type.")
    @OptionGroup var options: ImportOptions
    func run() async throws { try await options.run(.patronTypes) }
}

struct ImportPatronsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "patrons",
        abstract: "Load a patron file: barcode,first_name,last_name,branch,patron_type,email,alt_email,phone,address_line1,address_line2,city,state,postal_code,country,expiration_date,pin.")
    @OptionGroup var options: ImportOptions
    func run() async throws { try await options.run(.patrons) }
}

struct ImportHoldingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdings",
        abstract: "Load holdings: MARC 21 (MARCXML or ISO 2709 .mrc; 876 ‡p barcode, 876 ‡c cost, 852 ‡b location, 245 title) or CSV (barcode,title,location or branch,cost).")
    @OptionGroup var options: ImportOptions
    @Option(help: "CSV location,branch: each 852 ‡b location and the branch code it maps to.") var locations: String?

    func run() async throws {
        var table: [String: String] = [:]
        if let locations {
            guard let text = FileManager.default.contents(atPath: locations).flatMap({ String(data: $0, encoding: .utf8) }) else {
                throw ValidationError("cannot read \(locations)")
            }
            for line in text.split(whereSeparator: \.isNewline).dropFirst() {
                let parts = line.split(separator: ",", maxSplits: 1).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \"")) }
                if parts.count == 2 { table[parts[0]] = parts[1] }
            }
        }
        try await options.run(.holdings, locations: table)
    }
}

/// A progress bar on a terminal (rows, rows/s, ETA), plain lines otherwise.
final class ImportProgress: Sendable {
    let totalBytes: Int
    let totalRows: Int
    let started = ContinuousClock.now
    let terminal = isatty(STDOUT_FILENO) == 1
    private let lastLine = Mutex<ContinuousClock.Instant?>(nil)

    init(totalBytes: Int, totalRows: Int) {
        self.totalBytes = max(totalBytes, 1)
        self.totalRows = totalRows
    }

    func update(bytes: Int) {
        let fraction = Double(bytes) / Double(totalBytes)
        let rows = Int(Double(totalRows) * fraction)
        let elapsed = max((ContinuousClock.now - started).components.seconds, 0) + 1
        let rate = Double(rows) / Double(elapsed)
        let eta = rate > 0 ? Int(Double(totalRows - rows) / rate) : 0
        if terminal {
            let width = 30, filled = Int(Double(width) * fraction)
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            FileHandle.standardOutput.write(Data(String(format: "\r[%@] %3.0f%%  %d/%d rows  %.0f rows/s  ETA %ds ", bar, fraction * 100, rows, totalRows, rate, eta).utf8))
        } else {
            let now = ContinuousClock.now
            let due = lastLine.withLock { last -> Bool in
                guard last.map({ now - $0 >= .seconds(1) }) ?? true || bytes >= totalBytes else { return false }
                last = now
                return true
            }
            if due { say(String(format: "loaded %d of %d rows (%.0f%%), %.0f rows/s, ETA %ds", rows, totalRows, fraction * 100, rate, eta)) }
        }
    }

    func finish() {
        if terminal { FileHandle.standardOutput.write(Data("\n".utf8)) }
        say("checked and applied in \(ContinuousClock.now - started)")
    }
}
