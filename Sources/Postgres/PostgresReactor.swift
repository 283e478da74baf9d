import CLibPQ
import Foundation
import Synchronization

/// One thread that waits, with epoll, for connections' sockets to become readable or writable, and
/// that is also a `TaskExecutor`: tasks that prefer it run on this thread between waits.
///
/// The hot query path drives libpq in non-blocking mode from the calling task: it sends, then awaits
/// readiness here instead of parking a thread per connection in a blocking read. A task running on
/// another executor pays two thread hand-offs per statement (to this thread and back). A task that
/// prefers this executor (``PostgresPool/withEventLoop(_:)``) pays none: its send, its wait and its
/// resumption all happen on this thread, the way pgbench and SwiftNIO multiplex their connections.
public final class PostgresReactor: TaskExecutor, Sendable {
    public static let shared = PostgresReactor()

    enum Interest {
        case readable, writable
    }

    private let epoll: Int32
    /// An eventfd that wakes `epoll_wait` when a job is enqueued from another thread.
    private let wakeup: Int32
    /// Waiting continuations by file descriptor; a connection has at most one wait outstanding.
    private let waiters = Mutex<[Int32: Waiter]>([:])
    /// Descriptors added to the epoll set (then re-armed with EPOLL_CTL_MOD).
    private let registered = Mutex<Set<Int32>>([])
    private let jobs = Mutex<[UnownedJob]>([])
    private let threadID = Atomic<UInt64>(0)

    private init() {
        epoll = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeup = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.fd = wakeup
        epoll_ctl(epoll, EPOLL_CTL_ADD, wakeup, &event)
        let thread = Thread { [self] in self.loop() }
        thread.name = "postgres-reactor"
        thread.start()
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
    func wait(_ fd: Int32, for interest: Interest) async {
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

    /// Adds or re-arms `fd` for one event of `interest`; false when epoll refuses it.
    private func rearm(_ fd: Int32, _ interest: Interest) -> Bool {
        var event = epoll_event()
        event.events = (interest == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue) | EPOLLONESHOT.rawValue
            | EPOLLERR.rawValue | EPOLLHUP.rawValue | EPOLLRDHUP.rawValue
        event.data.fd = fd
        let isNew = registered.withLock { $0.insert(fd).inserted }
        if epoll_ctl(epoll, isNew ? EPOLL_CTL_ADD : EPOLL_CTL_MOD, fd, &event) == 0 { return true }
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

    /// Forgets a descriptor before its connection closes it.
    func forget(_ fd: Int32) {
        if registered.withLock({ $0.remove(fd) }) != nil {
            epoll_ctl(epoll, EPOLL_CTL_DEL, fd, nil)
        }
    }

    private func loop() {
        threadID.store(UInt64(pthread_self()), ordering: .relaxed)
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
