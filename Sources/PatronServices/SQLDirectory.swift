import Foundation

/// Finds the `sql/` folder: migrations and the rule layer.
public enum SQLDirectory {
    /// `explicit` if given, else `./sql`, else `share/patron-services/sql` beside the executable's
    /// folder (the layout of the Docker image).
    public static func locate(explicit: String? = nil) throws -> String {
        var candidates: [String] = []
        if let explicit { candidates.append(explicit) }
        candidates.append(FileManager.default.currentDirectoryPath + "/sql")
        let executable = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath()
        candidates.append(executable.deletingLastPathComponent().deletingLastPathComponent().path + "/share/patron-services/sql")
        candidates.append("/usr/local/share/patron-services/sql")
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0 + "/migrations") }) else {
            throw SQLDirectoryError(searched: candidates)
        }
        return found
    }
}

/// No `sql/` folder was found.
public struct SQLDirectoryError: Error, CustomStringConvertible {
    public var searched: [String]
    public var description: String { "no sql/migrations folder found; looked in: " + searched.joined(separator: ", ") }
}
