import Hummingbird
import PatronServices
import Postgres

/// Libraries, branches and circulation groups.
struct OrganisationController {
    let db: Database

    struct NewLibrary: Decodable {
        var code: String
        var name: String
        var currency: String
        var timeZone: String
    }

    struct LibraryChanges: Decodable {
        var name: String?
        var currency: String?
        var timeZone: String?
        var replyToEmail: String?
    }

    struct NewBranch: Decodable {
        var institutionId: Int64
        var code: String
        var name: String
        var timeZone: String
        var staffEmail: String?
    }

    struct BranchChanges: Decodable {
        var name: String?
        var timeZone: String?
        var staffEmail: String?
    }

    struct Move: Decodable { var institutionId: Int64 }
    struct NewGroup: Decodable { var name: String }

    func register(_ endpoints: Endpoints) {
        typealias Q = OrganisationQueries
        endpoints.on(.get, "libraries", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.libraries)
        }
        endpoints.on(.post, "libraries", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewLibrary.self, context: context)
            return try await db.staffJSON(request, context,
                Q.createLibrary(code: body.code, name: body.name, currency: body.currency, timeZone: body.timeZone), status: .created)
        }
        endpoints.on(.get, "libraries/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.library(try context.id("id")), notFound: "library")
        }
        endpoints.on(.patch, "libraries/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(LibraryChanges.self, context: context)
            return try await db.staffJSON(request, context, Q.updateLibrary(try context.id("id"), name: body.name, currency: body.currency,
                timeZone: body.timeZone, replyToEmail: body.replyToEmail), notFound: "library")
        }
        endpoints.on(.delete, "libraries/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, Q.deleteLibrary(try context.id("id")), notFound: "library")
        }
        endpoints.on(.get, "branches", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.branches(institution: try request.queryID("institutionId")))
        }
        endpoints.on(.post, "branches", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(NewBranch.self, context: context)
            return try await db.staffJSON(request, context, Q.createBranch(institution: body.institutionId, code: body.code,
                name: body.name, timeZone: body.timeZone, staffEmail: body.staffEmail), status: .created)
        }
        endpoints.on(.get, "branches/:id", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.branch(try context.id("id")), notFound: "branch")
        }
        endpoints.on(.patch, "branches/:id", roles: StaffRole.admins) { request, context in
            let body = try await request.decodeJSON(BranchChanges.self, context: context)
            return try await db.staffJSON(request, context,
                Q.updateBranch(try context.id("id"), name: body.name, timeZone: body.timeZone, staffEmail: body.staffEmail), notFound: "branch")
        }
        endpoints.on(.post, "branches/:id/move", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(Move.self, context: context)
            return try await db.staffJSON(request, context, Q.moveBranch(try context.id("id"), to: body.institutionId), notFound: "branch")
        }
        endpoints.on(.delete, "branches/:id", roles: StaffRole.admins) { request, context in
            try await db.staffJSON(request, context, Q.deleteBranch(try context.id("id")), notFound: "branch")
        }
        endpoints.on(.get, "circulation-groups", roles: StaffRole.readers) { request, context in
            try await db.staffJSON(request, context, Q.circulationGroups)
        }
        endpoints.on(.post, "circulation-groups", roles: [.consortiumAdmin]) { request, context in
            let body = try await request.decodeJSON(NewGroup.self, context: context)
            return try await db.staffJSON(request, context, Q.createCirculationGroup(name: body.name), status: .created)
        }
        endpoints.on(.delete, "circulation-groups/:id", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context, Q.deleteCirculationGroup(try context.id("id")), notFound: "circulation group")
        }
        endpoints.on(.put, "circulation-groups/:id/members/:institutionId", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context,
                Q.addMember(group: try context.id("id"), institution: try context.id("institutionId")), notFound: "circulation group or library")
        }
        endpoints.on(.delete, "circulation-groups/:id/members/:institutionId", roles: [.consortiumAdmin]) { request, context in
            try await db.staffJSON(request, context,
                Q.removeMember(group: try context.id("id"), institution: try context.id("institutionId")), notFound: "membership")
        }
    }
}
