import CLibPQ
import Foundation
import Synchronization

/// A thread that waits, with epoll, for connections' sockets to become readable or writable, and that
/// is also a `TaskExecutor`: tasks that prefer it run on this thread between waits. There is one per
/// core (``group``).
///
/// The hot query path drives libpq in non-blocking mode from the calling task: it sends, then awaits
/// readiness on a reactor instead of parking a thread per connection in a blocking read. A task running
/// on another executor pays two thread hand-offs per statement (to the reactor and back). A task that
/// prefers a reactor (each HTTP connection's task does, see `ReactorChildChannel`; batch jobs use
/// ``PostgresPool/withEventLoop(_:)``) pays none: its send, its wait and its resumption all happen on
/// that reactor's thread, the way pgbench and SwiftNIO multiplex their connections. A wait is armed on
/// the reactor of the thread that asks (``forWaiting(_:)``), so a task is resumed where it runs.
public final class PostgresReactor: TaskExecutor, Sendable {
    /// One reactor per core: each HTTP connection's task is given one in turn (``next()``), so the
    /// service's Swift work spreads over the cores as SwiftNIO's event loops do.
    public static let group: [PostgresReactor] = (0..<max(1, ProcessInfo.processInfo.activeProcessorCount)).map {
        PostgresReactor(index: $0)
    }
    private static let turn = Atomic<Int>(0)
    /// Which reactor's epoll set holds each descriptor: a pooled connection is used by tasks on every
    /// reactor in turn, and its socket must be in one set only, or a stale registration would wake the
    /// wrong thread.
    private static let owners = Mutex<[Int32: Int]>([:])

    /// The reactors in turn, for a new HTTP connection or batch job.
    public static func next() -> PostgresReactor {
        group[turn.add(1, ordering: .relaxed).oldValue % group.count]
    }

    /// The reactor whose thread is running the caller, if any.
    public static var current: PostgresReactor? {
        let me = UInt64(pthread_self())
        return group.first { $0.threadID.load(ordering: .relaxed) == me }
    }

    /// The reactor for new work that prefers one: the caller's own, so that it stays on its thread, or
    /// else the next in turn.
    public static var currentOrNext: PostgresReactor { current ?? next() }

    /// Where a wait on `fd` is armed: the caller's own reactor, so that the task resumes without a
    /// hand-off, or (for a task on Swift's global pool) one chosen by the descriptor.
    public static func forWaiting(_ fd: Int32) -> PostgresReactor {
        current ?? group[Int(fd) % group.count]
    }

    /// Takes `fd` out of whichever epoll set holds it, before its connection (or whoever waited on it)
    /// closes it.
    public static func forget(_ fd: Int32) {
        if let owner = owners.withLock({ $0.removeValue(forKey: fd) }) {
            epoll_ctl(group[owner].epoll, EPOLL_CTL_DEL, fd, nil)
        }
    }

    /// What a wait is for: bytes to read, or room to write.
    public enum Interest: Sendable {
        case readable, writable
    }

    private let index: Int
    private let epoll: Int32
    /// An eventfd that wakes `epoll_wait` when a job is enqueued from another thread.
    private let wakeup: Int32
    /// Waiting continuations by file descriptor; a connection has at most one wait outstanding.
    private let waiters = Mutex<[Int32: Waiter]>([:])
    private let jobs = Mutex<[UnownedJob]>([])
    private let threadID = Atomic<UInt64>(0)

    private init(index: Int) {
        self.index = index
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event)
        Thread { [self] in self.loop() }.start()
    }

    private var onReactorThread: Bool { threadID.load(ordering: .relaxed) == UInt64(pthread_self()) }

    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        let first = jobs.withLock { jobs -> Bool in
            jobs.append(unowned)
            return jobs.count == 1
        }
        if first && !onReactorThread {
            var one: UInt64 = 1
            _ = write(wakeup, &one, 8)
        }
    }

    /// Suspends until `fd` is ready (or an error/hang-up is reported on it, which the caller then reads).
    /// Any non-blocking descriptor will do, not only libpq's: a socket the caller reads and writes itself.
    public func wait(_ fd: Int32, for interest: Interest) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            arm(fd, interest, Waiter(continuation: continuation, reading: nil))
        }
    }

    /// Suspends until libpq holds a whole result for `conn` (PQisBusy is 0) or reading fails, whichever the
    /// caller then finds out. A large answer (a report page is 186 KB) arrives in a dozen chunks: this
    /// thread reads each one as it comes and re-arms, and resumes the task once, where ``wait(_:for:)``
    /// would hand every chunk to the task and back (two thread switches each: a page's futex wake-ups in
    /// the service went from 23 to 8).
    func waitForResult(_ conn: OpaquePointer, socket fd: Int32) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            arm(fd, .readable, Waiter(continuation: continuation, reading: ReadingConnection(conn: conn)))
        }
    }

    private func arm(_ fd: Int32, _ interest: Interest, _ waiter: Waiter) {
        waiters.withLock { $0[fd] = waiter }
        if !rearm(fd, interest) {
            waiters.withLock { $0.removeValue(forKey: fd) }?.continuation.resume()
        }
    }

    /// Adds or re-arms `fd` for one event of `interest` in this reactor's set, moving it from another
    /// reactor's set if it was there; false when epoll refuses it. The other reactor has no wait on `fd`
    /// (a connection has one user, whose previous wait has ended), so nothing is lost in the move.
    private func rearm(_ fd: Int32, _ interest: Interest) -> Bool {
        var event = epoll_event()
        event.events = (interest == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue) | EPOLLONESHOT.rawValue
            | EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        let previous = Self.owners.withLock { $0.updateValue(index, forKey: fd) }
        if let previous, previous != index { epoll_ctl(Self.group[previous].epoll, EPOLL_CTL_DEL, fd, nil) }
        if epoll_ctl(epoll, previous == index ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) == 0 { return true }
        // ENOENT: the descriptor was closed and reused since; ADD it afresh.
        return epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) == 0
    }

    /// A readable event for a task waiting on `fd`: resumes it, unless it waits for a whole result that
    /// has not arrived yet, in which case this thread reads what came and waits for more.
    private func deliver(_ fd: Int32, events: UInt32) {
        guard let waiter = waiters.withLock({ $0[fd] }) else { return }
        let failed = events & (EPOLLERR.rawValue | EPOLLHUP.rawValue) != 0
        if let reading = waiter.reading, !failed, PQconsumeInput(reading.conn) == 1, PQisBusy(reading.conn) == 1, rearm(fd, .readable) {
            return
        }
        waiters.withLock { $0.removeValue(forKey: fd) }?.continuation.resume()
    }

    /// Names the calling thread `pg-reactor-N` for `top -H`, `ps -L` and perf. Linux keeps 15 bytes and
    /// refuses a longer name outright: with Foundation's `Thread.name` and "postgres-reactor-N" the threads
    /// kept their creator's name ("…root.default-qos"), like Dispatch's workers. Glibc's
    /// `pthread_setname_np` is not visible to Swift, and `/proc/thread-self/comm` is the same call.
    private static func nameThread(_ index: Int) {
        try? "pg-reactor-\(index)".write(toFile: "/proc/thread-self/comm", atomically: false, encoding: .utf8)
    }

    private func loop() {
        threadID.store(UInt64(pthread_self()), ordering: .relaxed)
        Self.nameThread(index)
        var events = [epoll_event](repeating: epoll_event(), count: 128)
        while true {
            let ready = jobs.withLock { jobs -> [UnownedJob] in
                defer { jobs.removeAll(keepingCapacity: true) }
                return jobs
            }
            for job in ready { job.runSynchronously(on: asUnownedTaskExecutor()) }
            let pending = jobs.withLock { !$0.isEmpty }
            let count = epoll_wait(epoll, &events, Int32(events.count), pending ? 0 : -1)
            if count <= 0 { continue }  // EINTR or nothing ready
            for index in 0..<Int(count) {
                let fd = events[index].data.fd
                if fd == wakeup {
                    var value: UInt64 = 0
                    _ = read(wakeup, &value, 8)
                } else {
                    deliver(fd, events: events[index].events)
                }
            }
        }
    }

    /// A suspended task, and the connection whose result it waits for, if it does.
    private struct Waiter {
        let continuation: CheckedContinuation<Void, Never>
        let reading: ReadingConnection?
    }

    /// A libpq connection read on this thread while its task is suspended in ``waitForResult(_:socket:)``.
    /// libpq allows one thread at a time on a connection: the task does not touch it until it is
    /// resumed, and the resumption orders this thread's reads before the task's next call.
    private struct ReadingConnection: @unchecked Sendable {
        let conn: OpaquePointer
    }
}
