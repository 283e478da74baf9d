import ArgumentParser
import Foundation
import Glibc
import Postgres
import Synchronization

/// The reference that tells what the service's HTTP stack costs: the eligibility request's very pipeline
/// (`begin`, the staff token's authentication, the eligibility statement and `commit`, one round trip on a
/// pool configured as the service's) behind the least HTTP/1.1 loop that answers wrk's keep-alive
/// requests. It runs on the Postgres reactors: the thread that reads a request head sends the pipeline,
/// waits for the answer and writes the response with one `write`.
///
/// No SwiftNIO, no Hummingbird, no middleware, and no validation beyond what wrk sends: a measuring
/// instrument, not a server. `bench eligibility` prints its figures beside the service's.
final class BareHTTPLoop: Sendable {
    let port: Int
    private let listener: Int32
    private let stopped = Atomic<Bool>(false)

    /// Listens on 127.0.0.1:`port`.
    init(port: Int) throws {
        self.port = port
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var on: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        let bound = withLoopbackAddress(port: port) { bind(listener, $0, $1) }
        guard bound == 0, listen(listener, 1024) == 0 else {
            close(listener)
            throw ValidationError("the bare HTTP loop cannot listen on port \(port): errno \(errno)")
        }
    }

    /// Accepts connections until ``stop()``, each served by a task on the next reactor in turn, as the
    /// service's connections are; returns when the last connection has closed.
    func run(pool: PostgresPool) async {
        await withTaskExecutorPreference(PostgresReactor.next()) {
            await withDiscardingTaskGroup { group in
                while !stopped.load(ordering: .relaxed) {
                    let fd = accept(listener, nil, nil)
                    guard fd >= 0 else {
                        if errno == EAGAIN || errno == EINTR { await PostgresReactor.forWaiting(listener).wait(listener, for: .readable) }
                        continue
                    }
                    _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
                    var on: Int32 = 1
                    setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                    group.addTask(executorPreference: PostgresReactor.next()) { await Self.serve(fd, pool: pool) }
                }
            }
        }
        PostgresReactor.forget(listener)
        close(listener)
    }

    /// Ends ``run(pool:)``'s accepting: shutting the listener down wakes its wait.
    func stop() {
        stopped.store(true, ordering: .relaxed)
        shutdown(listener, Int32(SHUT_RDWR))
    }

    /// Answers the requests of one connection in turn until the client closes it.
    private static func serve(_ fd: Int32, pool: PostgresPool) async {
        defer {
            PostgresReactor.forget(fd)
            close(fd)
        }
        var buffer = [UInt8](repeating: 0, count: 65_536)
        var (start, filled) = (0, 0)  // the unanswered bytes are buffer[start..<filled]
        while true {
            while let end = headEnd(buffer, start, filled) {
                let head = String(decoding: buffer[start..<end], as: UTF8.self)
                start = end + 4
                guard await write(fd, await respond(to: head, pool: pool)) else { return }
            }
            if start == filled { (start, filled) = (0, 0) }
            if filled == buffer.count, start > 0 {
                buffer.withUnsafeMutableBytes { $0.baseAddress!.copyMemory(from: $0.baseAddress! + start, byteCount: filled - start) }
                (start, filled) = (0, filled - start)
            }
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) {
                await PostgresReactor.forWaiting(fd).wait(fd, for: .readable)
                continue
            }
            guard count > 0 else { return }  // closed, failed, or a head larger than the buffer
            filled += count
        }
    }

    /// `GET /staff/v1/patrons/{id}/eligibility?branchId={branch}` with a bearer token, as the service
    /// answers it (checkout), run as the service runs it; 400 for anything else, 404 for no answer.
    private static func respond(to head: String, pool: PostgresPool) async -> [UInt8] {
        let lines = head.split(separator: "\r\n")
        let target = lines.first?.split(separator: " ").dropFirst().first ?? ""
        let path = target.split(separator: "?").first?.split(separator: "/") ?? []
        let branch = target.split(separator: "?").dropFirst().first?.split(separator: "&")
            .first { $0.hasPrefix("branchId=") }.flatMap { Int64($0.dropFirst(9)) }
        let token = lines.dropFirst().first { $0.lowercased().hasPrefix("authorization: bearer ") }.map { String($0.dropFirst(22)) }
        guard path.count == 5, path[2] == "patrons", path[4] == "eligibility", let patron = Int64(path[3]), let branch, let token else { return response("400 Bad Request", "") }
        let statements = LoadRunner.eligibilityPipeline(token: token, patron: patron, branch: branch)
        do {
            let results = try await pool.withConnection { try await $0.pipeline(statements) }
            guard let text = results[statements.count - 2].first?.values.first ?? nil else { return response("404 Not Found", "") }
            return response("200 OK", text)
        } catch {
            return response("500 Internal Server Error", "")
        }
    }

    private static func response(_ status: String, _ body: String) -> [UInt8] {
        Array("HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)".utf8)
    }

    /// Where the first request head in `buffer[start..<filled]` ends (its blank line), if it is all there.
    private static func headEnd(_ buffer: [UInt8], _ start: Int, _ filled: Int) -> Int? {
        guard filled - start >= 4 else { return nil }
        return (start...(filled - 4)).first { buffer[$0] == 13 && buffer[$0 + 1] == 10 && buffer[$0 + 2] == 13 && buffer[$0 + 3] == 10 }
    }

    /// Writes all of `bytes`, waiting for room when the socket's buffer is full; false when the
    /// connection failed.
    private static func write(_ fd: Int32, _ bytes: [UInt8]) async -> Bool {
        var offset = 0
        while offset < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 && (errno == EAGAIN || errno == EINTR) {
                await PostgresReactor.forWaiting(fd).wait(fd, for: .writable)
                continue
            }
            guard count > 0 else { return false }
            offset += count
        }
        return true
    }
}
