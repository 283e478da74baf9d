import Postgres

/// Which browser origins some live PAC client key lists (`ps.pac_origin_known`), for CORS: a preflight
/// carries no key, so it is let through when any key lists its origin, and the actual request is then
/// checked against its own key in SQL (`ps.live_pac_client`). Answers are remembered for 30 seconds, at
/// most 1,000 origins, so a page's preflights do not each cost a query; this process forgets them when
/// its staff API changes a key's origins (another process within 30 seconds).
actor PACOriginDirectory {
    let pool: PostgresPool
    private var remembered: [String: (known: Bool, until: ContinuousClock.Instant)] = [:]
    static let lifetime: Duration = .seconds(30)
    static let capacity = 1_000

    init(pool: PostgresPool) {
        self.pool = pool
    }

    /// Forgets every answer: a key's origins changed.
    func forget() {
        remembered.removeAll()
    }

    /// True when a live PAC client key lists `origin`; false as well when the database cannot say.
    func isKnown(_ origin: String) async -> Bool {
        let now = ContinuousClock.now
        if let entry = remembered[origin], entry.until > now { return entry.known }
        let known = (try? await pool.withConnection { connection in
            try await connection.query("select ps.pac_origin_known(\(origin))").scalar(Bool.self)
        }) ?? false
        if remembered.count >= Self.capacity { remembered.removeAll(keepingCapacity: true) }
        remembered[origin] = (known, now + Self.lifetime)
        return known
    }
}
