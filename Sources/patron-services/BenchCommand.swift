import ArgumentParser
import Foundation

/// `bench pool` (the default): the pool against pgbench; `bench eligibility`: the eligibility endpoint
/// against pgbench running the same SQL on a generated consortium.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks that print their figures (not tests).",
        subcommands: [PoolBenchCommand.self, EligibilityBenchCommand.self, PACBenchCommand.self, ReportBenchCommand.self, WriteBenchCommand.self, NoticesBenchCommand.self, ImportBenchCommand.self], defaultSubcommand: PoolBenchCommand.self)
}

/// Writes a line straight to standard output (unbuffered, so progress shows through pipes).
func say(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
