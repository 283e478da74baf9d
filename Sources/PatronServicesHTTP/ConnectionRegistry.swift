import NIOCore
import Synchronization

/// The open client connections, shared by every connection's ``ConnectionGuard``: how many there are,
/// and which are waiting for a request head (idle, or slow to send one) and since when. At the limit a
/// newcomer takes the place of the connection that has waited longest, so a flood of idle connections
/// cannot keep `/health` or a library's desk out; only when every connection is busy with a request is
/// the newcomer refused.
final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        /// When the connection began waiting for a request head (an ever-growing tick, so the order
        /// is exact); nil while it is busy with a request.
        var waitingSince: UInt64?
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var tick: UInt64 = 0

        mutating func nextTick() -> UInt64 {
            tick += 1
            return tick
        }
    }

    private let state = Mutex(State())

    init() {}

    var count: Int { state.withLock { $0.entries.count } }

    /// Admits `channel` (waiting for its first request head), under `limit` or in place of the longest
    /// waiting connection, which is closed. False when every connection is busy.
    func admit(_ channel: any Channel, limit: Int) -> Bool {
        let (admitted, evicted) = state.withLock { state -> (Bool, (any Channel)?) in
            var evicted: (any Channel)?
            if state.entries.count >= limit {
                let waiting = state.entries.compactMap { key, entry in entry.waitingSince.map { (key, $0) } }
                guard let oldest = waiting.min(by: { $0.1 < $1.1 }) else { return (false, nil) }
                evicted = state.entries.removeValue(forKey: oldest.0)?.channel
            }
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: state.nextTick())
            return (true, evicted)
        }
        evicted?.close(promise: nil)
        return admitted
    }

    /// Marks `channel` busy with a request (false) or waiting for the next request head (true).
    func setWaiting(_ channel: any Channel, _ waiting: Bool) {
        state.withLock { state in
            let since = waiting ? state.nextTick() : nil
            state.entries[ObjectIdentifier(channel)]?.waitingSince = since
        }
    }

    func remove(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }
}
