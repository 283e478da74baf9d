import ArgumentParser
import Foundation
import Logging
import Postgres

/// `patron-services token create|list|revoke` and `pac-client create|list|revoke`.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Issue, list and revoke staff tokens.",
        subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a staff token (printed once).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "consortium_admin, library_admin, circulation_supervisor, circulation_staff or report_reader.") var role: String
        @Option(help: "Institution id (not for consortium_admin).") var institution: Int64?
        @Option(help: "A label to recognise the token by.") var label: String = ""
        @Option(help: "Days until it expires.") var expiresInDays: Int?

        func run() async throws {
            let database = try await OwnerDatabase.open(options, logger: Logger(label: "token"))
            defer { database.finish() }
            let connection = try await database.connect()
            let expires = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
            let row = try await connection.query(
                "select * from ps.create_staff_token(\(role), \(institution), \(label), \(expires), 'cli')").single()
            say("token \(try row.decode("token_id", as: Int64.self)): \(try row.decode("token", as: String.self))")
            await connection.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List staff tokens (never their secrets).")
        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let database = try await OwnerDatabase.open(options, logger: Logger(label: "token"))
            defer { database.finish() }
            let connection = try await database.connect()
            for row in try await connection.query("select token_id, role, institution_id, label, revoked_at is not null as revoked from ps.staff_tokens()") {
                say("\(try row.decode("token_id", as: Int64.self))\t\(try row.decode("role", as: String.self))\t"
                    + "\(try row.decode("institution_id", as: Int64?.self).map(String.init) ?? "-")\t\(try row.decode("label", as: String.self))"
                    + (try row.decode("revoked", as: Bool.self) ? "\trevoked" : ""))
            }
            await connection.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a staff token.")
        @OptionGroup var options: ConfigOptions
        @Argument var tokenID: Int64

        func run() async throws {
            let database = try await OwnerDatabase.open(options, logger: Logger(label: "token"))
            defer { database.finish() }
            let connection = try await database.connect()
            let revoked = try await connection.query("select ps.revoke_staff_token(\(tokenID))").scalar(Bool?.self) ?? false
            say(revoked ? "revoked" : "no such token")
            await connection.close()
            if !revoked { throw ExitCode(1) }
        }
    }
}

struct PACClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pac-client", abstract: "Issue and revoke PAC client keys.", subcommands: [Create.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a PAC client key for a connection branch (printed once).")
        @OptionGroup var options: ConfigOptions
        @Option(help: "The connection branch id.") var branch: Int64
        @Option(help: "A label.") var label: String = ""

        func run() async throws {
            let database = try await OwnerDatabase.open(options, logger: Logger(label: "pac-client"))
            defer { database.finish() }
            let connection = try await database.connect()
            let row = try await connection.query("select * from ps.create_pac_client(\(branch), \(label), 'cli', null)").single()
            say("client \(try row.decode("client_id", as: Int64.self)): \(try row.decode("client_key", as: String.self))")
            await connection.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a PAC client key.")
        @OptionGroup var options: ConfigOptions
        @Argument var clientID: Int64

        func run() async throws {
            let database = try await OwnerDatabase.open(options, logger: Logger(label: "pac-client"))
            defer { database.finish() }
            let connection = try await database.connect()
            let revoked = try await connection.query("select ps.revoke_pac_client(\(clientID))").scalar(Bool?.self) ?? false
            say(revoked ? "revoked" : "no such client")
            await connection.close()
            if !revoked { throw ExitCode(1) }
        }
    }
}
