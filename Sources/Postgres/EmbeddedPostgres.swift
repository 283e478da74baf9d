import Foundation
import Logging

/// A private PostgreSQL cluster in a folder of the working directory, for development and tests.
///
/// It listens only on a Unix socket (no TCP port is opened) whose folder is readable by its owner
/// alone, with `trust` authentication: anyone who can reach the socket is already the cluster's owner
/// or root. When run as root the cluster belongs to the `postgres` user, since PostgreSQL refuses to
/// run as root.
public struct EmbeddedPostgres: Sendable {
    public let dataDirectory: String
    public let socketDirectory: String
    public let port: Int
    /// Server settings given on every start (`-c name=value`), e.g. to trade durability for speed on a
    /// throwaway test cluster. None for a cluster whose data matters.
    public let serverSettings: [String: String]
    let logger: Logger

    /// `baseDirectory` holds the cluster (`<base>/data`), its log and its socket.
    public init(
        baseDirectory: String, port: Int = 55432, serverSettings: [String: String] = [:],
        logger: Logger = Logger(label: "postgres.embedded")
    ) {
        self.serverSettings = serverSettings
        var base = URL(fileURLWithPath: baseDirectory).standardizedFileURL.path
        if Self.runningAsRoot && !Self.postgresUserCanReach(base) {
            // The postgres user cannot traverse the working folder (e.g. under /root): keep the cluster
            // in a folder of its own, named after the working folder so that each checkout has one.
            base = "/tmp/patron-services-" + String(Self.fnv1a(base), radix: 16)
        }
        self.dataDirectory = base + "/data"
        // Socket paths are limited to 107 bytes; fall back to a short folder for deep checkouts.
        let socket = base + "/run"
        self.socketDirectory = socket.utf8.count < 90 ? socket : "/tmp/ps-" + String(Self.fnv1a(base), radix: 16)
        self.port = port
        self.logger = logger
    }

    /// libpq keywords reaching the cluster as `user`.
    public func configuration(user: String = "postgres", database: String = "postgres") -> PostgresConfiguration {
        PostgresConfiguration(parameters: [
            "host": socketDirectory, "port": String(port), "user": user, "dbname": database,
        ])
    }

    /// Creates the cluster if needed and starts it unless it is already running.
    /// Returns true when this call started it (and so should stop it).
    @discardableResult
    public func start() throws -> Bool {
        let base = URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().path
        return try withFileLock(base + "/.lock") {
            try prepareDirectories(base: base)
            if !FileManager.default.fileExists(atPath: dataDirectory + "/PG_VERSION") {
                logger.info("creating embedded PostgreSQL cluster", metadata: ["data": "\(dataDirectory)"])
                try run(
                    Self.binary("initdb"),
                    ["-D", dataDirectory, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"])
                let settings = """

                    # patron-services embedded cluster
                    listen_addresses = ''
                    unix_socket_directories = '\(socketDirectory)'
                    unix_socket_permissions = 0700
                    port = \(port)
                    max_connections = 300
                    shared_buffers = 256MB
                    timezone = 'UTC'
                    log_timezone = 'UTC'
                    """
                let conf = dataDirectory + "/postgresql.conf"
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
                try handle.seekToEnd()
                try handle.write(contentsOf: Data(settings.utf8))
                try handle.close()
            }
            if isRunning() { return false }
            logger.info("starting embedded PostgreSQL", metadata: ["socket": "\(socketDirectory)", "port": "\(port)"])
            var arguments = ["start", "-w", "-t", "60", "-D", dataDirectory, "-l", base + "/postgres.log"]
            if !serverSettings.isEmpty {
                arguments += ["-o", serverSettings.sorted { $0.key < $1.key }.map { "-c \($0.key)=\($0.value)" }.joined(separator: " ")]
            }
            try run(Self.binary("pg_ctl"), arguments)
            return true
        }
    }

    /// Stops the cluster (fast shutdown: running transactions are rolled back).
    public func stop() throws {
        guard isRunning() else { return }
        try run(Self.binary("pg_ctl"), ["stop", "-w", "-m", "fast", "-D", dataDirectory])
    }

    /// Restarts the cluster, dropping every connection (used to test reconnection).
    public func restart() throws {
        try run(Self.binary("pg_ctl"), ["restart", "-w", "-m", "fast", "-D", dataDirectory, "-l",
            URL(fileURLWithPath: dataDirectory).deletingLastPathComponent().path + "/postgres.log"])
    }

    public func isRunning() -> Bool {
        FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid")
            && (try? run(Self.binary("pg_ctl"), ["status", "-D", dataDirectory])) != nil
    }

    // MARK: Helpers

    static var runningAsRoot: Bool { geteuid() == 0 }

    private func prepareDirectories(base: String) throws {
        for directory in [base, socketDirectory] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            if Self.runningAsRoot { try Self.runProcess("/bin/chown", ["postgres:postgres", directory]) }
        }
        if Self.runningAsRoot { try Self.runProcess("/bin/chmod", ["0700", socketDirectory]) }
    }

    /// Runs a PostgreSQL program, as the `postgres` user when we are root.
    @discardableResult
    func run(_ executable: String, _ arguments: [String]) throws -> String {
        if Self.runningAsRoot {
            return try Self.runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", executable] + arguments)
        }
        return try Self.runProcess(executable, arguments)
    }

    /// Runs a program to completion with `posix_spawn` and `waitpid`, its output in a temporary file.
    ///
    /// Not Foundation's `Process`: `pg_ctl start` leaves a daemon behind, and `Process` was seen to
    /// never notice its child exiting in that case. A file rather than a pipe, so that the daemon cannot
    /// hold our end open either. Blocks the calling thread: used only at start-up and shutdown.
    @discardableResult
    public static func runProcess(_ executable: String, _ arguments: [String]) throws -> String {
        let outputPath = NSTemporaryDirectory() + "patron-services-\(UUID().uuidString).out"
        defer { try? FileManager.default.removeItem(atPath: outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // The child must not inherit the signal mask of whichever thread we run on (Swift's runtime
        // blocks some signals): pgbench -T, for one, relies on SIGALRM.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGALRM, SIGTERM, SIGINT, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard spawned == 0 else {
            throw EmbeddedPostgresError(command: executable, output: "cannot start: \(String(cString: strerror(spawned)))")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        // WIFEXITED && WEXITSTATUS == 0, spelled out since the C macros do not import.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            throw EmbeddedPostgresError(command: ([executable] + arguments).joined(separator: " "), output: text)
        }
        return text
    }

    /// Finds a PostgreSQL server program: `PG_BINDIR`, then Debian's versioned folders, then `PATH`.
    public static func binary(_ name: String) -> String {
        var candidates: [String] = []
        if let bindir = ProcessInfo.processInfo.environment["PG_BINDIR"] { candidates.append(bindir + "/" + name) }
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []
        for version in versions.sorted(by: { (Int($0) ?? 0) > (Int($1) ?? 0) }) {
            candidates.append("/usr/lib/postgresql/\(version)/bin/\(name)")
        }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            candidates.append("\(directory)/\(name)")
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? name
    }

    static func postgresUserCanReach(_ path: String) -> Bool {
        var directory = URL(fileURLWithPath: path)
        while !FileManager.default.fileExists(atPath: directory.path) { directory.deleteLastPathComponent() }
        return (try? runProcess("/usr/sbin/runuser", ["-u", "postgres", "--", "test", "-x", directory.path])) != nil
    }

    static func fnv1a(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return hash
    }

    /// Serialises cluster creation and start between processes (two test runs, serve and tests).
    private func withFileLock<T>(_ path: String, _ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(
            atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let descriptor = open(path, O_CREAT | O_RDWR, 0o600)
        guard descriptor >= 0 else { return try body() }
        defer { close(descriptor) }
        flock(descriptor, LOCK_EX)
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }
}

/// A PostgreSQL program failed while setting up the embedded cluster.
public struct EmbeddedPostgresError: Error, CustomStringConvertible {
    public var command: String
    public var output: String
    public var description: String { "`\(command)` failed: \(output)" }
}
