import Foundation
import Glibc
import Logging

/// Writes log lines to a descriptor from a thread of its own, so that a request never waits for the log.
///
/// Written in place, every request's access-log line was a `write` under a process-wide lock: when the
/// reader of standard output stopped (a log shipper that stalls, `serve | less` paused), the pipe filled
/// and every request blocked in its logging, the whole service with it. Here a line is appended to a
/// buffer of at most `capacity` bytes and the writer thread writes what has gathered, waiting up to
/// `batchDelay` after the first line so that a busy service writes many lines a call. Error lines and
/// above are written at once. When the buffer is full a line is dropped and counted, and the next write
/// begins with a line that says how many were lost.
///
/// A writer's thread lives as long as the process: the service has one, standard output's.
public final class LogWriter: @unchecked Sendable {
    // @unchecked Sendable: every stored var is read and written only with `condition` locked.
    public let descriptor: Int32
    let capacity: Int
    let batchDelay: TimeInterval
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var dropped = 0
    private var urgent = false
    private var writerIdle = false
    /// Bytes accepted and bytes written (or given up on), so ``flush()`` knows when its lines are out.
    private var accepted = 0
    private var finished = 0

    /// Standard output's writer, shared by every handler that does not name another.
    public static let standardOutput = LogWriter(descriptor: STDOUT_FILENO)

    /// - Parameters:
    ///   - capacity: bytes held for the writer at most (4 MiB: some 20,000 access-log lines).
    ///   - batchDelay: how long the writer gathers lines after the first before writing them.
    public init(descriptor: Int32, capacity: Int = 4 << 20, batchDelay: TimeInterval = 0.05) {
        self.descriptor = descriptor
        self.capacity = max(1, capacity)
        self.batchDelay = batchDelay
        let thread = Thread { [self] in run() }
        thread.name = "log-writer"
        thread.start()
    }

    /// Hands one whole line (with its newline) to the writer; never waits for the descriptor.
    func append(_ line: [UInt8], urgent: Bool) {
        condition.lock()
        defer { condition.unlock() }
        guard pending.count + line.count <= capacity else {
            dropped += 1
            return
        }
        pending.append(contentsOf: line)
        accepted += line.count
        if urgent { self.urgent = true }
        // broadcast, not signal: a flush() may be waiting on the same condition, and must not take the wake-up.
        if writerIdle || urgent { condition.broadcast() }
    }

    /// Waits until every line appended before the call has been written, or `limit` has passed (at
    /// shutdown, where a stalled reader must not keep the process from exiting); true when they were.
    @discardableResult
    public func flush(waitingAtMost limit: TimeInterval = .infinity) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        let target = accepted
        // Foundation's `wait(until:)` traps on `.distantFuture` (its seconds overflow a timespec).
        let deadline = limit.isFinite ? Date(timeIntervalSinceNow: limit) : nil
        urgent = true
        condition.broadcast()
        while finished < target {
            if let deadline {
                if !condition.wait(until: deadline) { return finished >= target }
            } else {
                condition.wait()
            }
        }
        return true
    }

    private func run() {
        while true {
            condition.lock()
            while pending.isEmpty && dropped == 0 {
                writerIdle = true
                condition.wait()
                writerIdle = false
            }
            if !urgent { _ = condition.wait(until: Date(timeIntervalSinceNow: batchDelay)) }
            let lines = pending
            let lost = dropped
            pending.removeAll(keepingCapacity: true)
            dropped = 0
            urgent = false
            condition.unlock()

            if lost > 0 { write(Self.droppedLine(lost)) }
            write(lines)

            condition.lock()
            finished += lines.count
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Writes all of `bytes`, unless the descriptor is gone, in which case they are lost, as a full
    /// pipe's would be.
    private func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let count = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if count < 0 && errno == EINTR { continue }
                guard count > 0 else { return }
                written += count
            }
        }
    }

    /// The line that says how many lines the full buffer turned away.
    static func droppedLine(_ count: Int) -> [UInt8] {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        var line = JSONLogHandler.line(
            seconds: Int(time.tv_sec), milliseconds: Int(time.tv_nsec) / 1_000_000, level: .warning, label: "patron-services",
            message: "log lines dropped: the log's reader fell behind", metadata: ["log.dropped": "\(count)"])
        line.append(0x0A)
        return line
    }
}
