import Foundation

/// The rule layer as `layers.txt` describes it: the schemas it manages and its files in order.
///
/// Each line of `layers.txt` is `schema NAME`, a folder (its `.sql` files in name order), or one file
/// (applied there; its folder's line then skips it). `#` starts a comment.
struct LayerPlan {
    var schemas: [String] = []
    var scripts: [Migrator.Script] = []

    init(directory: String) throws {
        let orderPath = directory + "/layers.txt"
        guard FileManager.default.fileExists(atPath: orderPath) else { return }
        var seen = Set<String>()
        for rawLine in try String(contentsOfFile: orderPath, encoding: .utf8).split(separator: "\n") {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first.map {
                $0.trimmingCharacters(in: .whitespaces)
            } ?? ""
            if line.isEmpty { continue }
            if line.hasPrefix("schema ") {
                let schema = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces)
                guard schema.range(of: "^[a-z_][a-z0-9_]*$", options: .regularExpression) != nil else {
                    throw MigrationError(name: "layers.txt", reason: "not a schema name: \(schema)")
                }
                schemas.append(schema)
                continue
            }
            let files: [String]
            if line.hasSuffix(".sql") {
                files = [line]
            } else {
                let folder = directory + "/" + line
                guard FileManager.default.fileExists(atPath: folder) else {
                    throw MigrationError(name: "layers.txt", reason: "no folder \(line)")
                }
                files = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasSuffix(".sql") }.sorted()
                    .map { line + "/" + $0 }
            }
            for file in files where seen.insert(file).inserted {
                scripts.append(.init(kind: .layer, name: file, sql: try String(contentsOfFile: directory + "/" + file, encoding: .utf8)))
            }
        }
    }
}
