import Configuration
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import PatronServices
import Postgres
import ServiceLifecycle

/// Builds the whole application from configuration: database (embedded or configured), pool,
/// middleware, routes. Tests call this with an in-memory configuration (and may pass the logger whose
/// lines they read).
public func buildApplication(reader: ConfigReader, logger: Logger? = nil) async throws -> some ApplicationProtocol {
    let configuration = AppConfiguration(reader: reader)
    LargeBufferReuse.apply()
    var logger = logger ?? Logger(label: "patron-services")
    logger.logLevel = configuration.logLevel
    let database = try await DatabaseProvider.resolve(configuration, logger: logger)
    let pool = PostgresPool(configuration: configuration.poolConfiguration(database.app), logger: logger)
    let metrics = AppMetrics()
    let routes = RouteTable()
    let router = try buildRouter(configuration: configuration, pool: pool, metrics: metrics, routes: routes)

    var services: [any Service] = []
    if let cluster = database.embedded, database.startedEmbedded {
        services.append(EmbeddedClusterService(cluster: cluster, logger: logger))
    }
    services.append(pool)
    if configuration.noticeJobsIntervalSeconds > 0 {
        services.append(NoticeJobService(pool: pool, interval: .seconds(configuration.noticeJobsIntervalSeconds), logger: logger))
    }
    if let delivery = configuration.noticeDelivery {
        services.append(NoticeDeliveryService(
            pool: pool, configuration: delivery, interval: .seconds(configuration.noticeDeliveryIntervalSeconds), metrics: metrics,
            logger: logger, name: "serve-\(ProcessInfo.processInfo.processIdentifier)"))
    } else {
        logger.warning("smtp.host is not set: notices are queued but not sent")
    }
    let registry = ConnectionRegistry()
    let limits = ConnectionGuard.Limits(
        maxConnections: configuration.maxConnections, headerTimeout: .configured(seconds: configuration.requestHeaderTimeoutSeconds),
        bodyTimeout: .configured(seconds: configuration.requestBodyTimeoutSeconds), idleTimeout: .configured(seconds: configuration.idleTimeoutSeconds))
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in
            ReactorChildChannel(inner: HTTP1Channel(
                responder: responder, configuration: .init(additionalChannelHandlers: [ConnectionGuard(registry: registry, limits: limits)])))
        },
        configuration: ApplicationConfiguration(address: .hostname(configuration.host, port: configuration.port), serverName: "patron-services"),
        services: services,
        logger: logger)
}

func buildRouter(configuration: AppConfiguration, pool: PostgresPool, metrics: AppMetrics, routes: RouteTable) throws
    -> Router<AppRequestContext>
{
    let router = Router(context: AppRequestContext.self)
    let keyOrigins = PACOriginDirectory(pool: pool)
    router.addMiddleware {
        RequestIDMiddleware()
        MetricsMiddleware(metrics: metrics)
        AccessLogMiddleware()
        SecurityHeadersMiddleware(strictTransportSecurity: configuration.strictTransportSecurity)
        CORSMiddleware(allowedOrigins: Set(configuration.corsAllowedOrigins), routes: routes, keyOrigins: keyOrigins)
        ProblemMiddleware(routes: routes)
        BodyLimitMiddleware(limit: configuration.maxBodyBytes, routes: routes)
    }
    let system = Endpoints(table: routes, prefix: "")
    SystemController(pool: pool, metrics: metrics, openAPI: try OpenAPIDocument.text()).register(system)
    router.addRoutes(system.collection)

    let db = Database(pool: pool)
    let staff = Endpoints(table: routes, prefix: "/staff/v1")
    OrganisationController(db: db).register(staff)
    PatronsController(db: db).register(staff)
    AccessController(db: db, keyOrigins: keyOrigins).register(staff)
    SettingsController(db: db).register(staff)
    AccountUpdatesController(db: db).registerStaff(staff)
    CirculationController(db: db).register(staff)
    CirculationController(db: db).registerLoans(staff)
    PolicyController(db: db).register(staff)
    BillsController(db: db).register(staff)
    CirculationController(db: db).registerSuspensions(staff)
    MembershipController(db: db).register(staff)
    LimitsController(db: db).register(staff)
    ItemsController(db: db).register(staff)
    ImportsController(db: db, maxImportBytes: configuration.maxImportBytes).register(staff)
    NoticesController(db: db).register(staff)
    PrintNoticesController(db: db).register(staff)
    ReportsController(db: db).register(staff)
    router.addRoutes(staff.collection, atPath: "/staff/v1")

    let pac = Endpoints(table: routes, prefix: "/pac/v1")
    PACController(db: db).register(pac)
    AccountUpdatesController(db: db).registerPAC(pac)
    router.addRoutes(pac.collection, atPath: "/pac/v1")
    return router
}
