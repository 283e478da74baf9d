import Foundation
import Hummingbird
import PatronServices
import Postgres

/// Settings inherited system → library → branch: the effective values for a branch with where each
/// came from, and saving a value at one level (audited).
struct SettingsController {
    let db: Database

    struct SettingChange: Decodable {
        var name: String
        var level: SettingLevel
        var institutionId: Int64?
        var branchId: Int64?
        /// The new value; `null` clears the level's value so the level above applies again.
        var value: DecodedJSON?
    }

    func register(_ endpoints: Endpoints) {
        endpoints.on(.get, "settings/branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, SettingsQueries.branchSettings(try context.id("id")), notFound: "branch")
        }
        endpoints.on(.put, "settings", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(SettingChange.self, context: context)
            let value = try body.value.map { try PostgresJSON(encoding: $0) }
            let scope = body.level.scope(institution: body.institutionId, branch: body.branchId)
            return try await db.staffJSON(request, context, SettingsQueries.saveSetting(name: body.name, level: body.level,
                institution: scope.institution, branch: scope.branch, value: value))
        }
    }
}
