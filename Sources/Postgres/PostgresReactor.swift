import CLibPQ
import Foundation
import Synchronization

/// One thread that waits, with epoll, for any connection's socket to become readable or writable and
/// resumes the task waiting for it.
///
/// The hot query path drives libpq in non-blocking mode from the calling task: it sends, then awaits
/// readiness here instead of parking a thread per connection in a blocking read. Under load one
/// `epoll_wait` returns many ready sockets at once, the way pgbench multiplexes its connections.
final class PostgresReactor: Sendable {
    static let shared = PostgresReactor()

    enum Interest {
        case readable, writable
    }

    private let epoll: Int32
    /// Waiting continuations by file descriptor; a connection has at most one wait outstanding.
    private let waiters = Mutex<[Int32: CheckedContinuation<Void, Never>]>([:])
    /// Descriptors added to the epoll set (then re-armed with EPOLL_CTL_MOD).
    private let registered = Mutex<Set<Int32>>([])

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        let thread = Thread { [self] in self.loop() }
        thread.name = "postgres-reactor"
        thread.start()
    }

    /// Suspends until `fd` is ready (or an error/hang-up is reported on it, which the caller then reads).
    func wait(_ fd: Int32, for interest: Interest) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            waiters.withLock { $0[fd] = continuation }
            var event = epoll_event()
            event.events = (interest == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue) | EPOLLONESHOT.rawValue
                | EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
            event.data.fd = fd
            let isNew = registered.withLock { $0.insert(fd).inserted }
            if epoll_ctl(epoll, isNew ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) != 0 {
                // ENOENT: the descriptor was closed and reused since; ADD it afresh.
                if epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0 {
                    waiters.withLock { $0.removeValue(forKey: fd) }?.resume()
                }
            }
        }
    }

    /// Forgets a descriptor before its connection closes it.
    func forget(_ fd: Int32) {
        if registered.withLock({ $0.remove(fd) }) != nil {
            epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        }
    }

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            let count = epoll_wait(epoll, &events, Int32(events.count), -1)
            if count < 0 { continue }  // EINTR
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                waiters.withLock { $0.removeValue(forKey: fd) }?.resume()
            }
        }
    }
}
