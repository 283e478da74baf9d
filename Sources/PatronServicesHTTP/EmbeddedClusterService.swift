import Logging
import Postgres
import ServiceLifecycle

/// Stops the embedded cluster at graceful shutdown, after the pool has closed (it is listed before
/// the pool, and service groups shut down in reverse order).
struct EmbeddedClusterService: Service {
    let cluster: EmbeddedPostgres
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        logger.info("stopping embedded PostgreSQL")
        try cluster.stop()
    }
}
