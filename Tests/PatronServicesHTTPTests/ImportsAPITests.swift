import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@Suite("Imports through the staff API: an upload answered with its import job")
struct ImportsAPITests {
    func upload(_ client: any TestClientProtocol, _ query: String, token: String, body: String) async throws -> TestResponse {
        try await client.execute(uri: "/staff/v1/imports?\(query)", method: .post,
            headers: [.authorization: "Bearer \(token)", .contentType: "text/csv"], body: ByteBuffer(string: body))
    }

    @Test("a staff upload is answered with an import job resource (status, counts, rejects) that can be polled, and stays within the library")
    func uploadAndPoll() async throws {
        let f = try await DemoFixture.make()
        let admin = f.tokens["RPL/library_admin"]!
        try await withApp(database: f.database) { client async throws in
            var response = try await upload(client, "kind=patron-types", token: admin, body: "local_code,patron_type\nADL,ADULT\n,ADULT\n")
            #expect(response.status == .created, "\(String(buffer: response.body))")
            #expect(response.object["status"] as? String == "applied")
            #expect(response.object["accepted"] as? Int == 1 && response.object["rejected"] as? Int == 1)
            let id = try #require(response.object["importId"] as? Int)
            response = try await client.call(.get, "/staff/v1/imports/\(id)", token: admin)
            #expect(response.status == .ok)
            #expect(((response.object["rejects"] as? [[String: Any]])?.first?["code"]) as? String == "required")
            #expect(try await client.call(.get, "/staff/v1/imports", token: admin).array.count == 1)
            // Another library's administrator sees neither the job nor its rejects.
            #expect(try await client.call(.get, "/staff/v1/imports/\(id)", token: f.tokens["LDL/library_admin"]!).status == .notFound)
            #expect(try await client.call(.get, "/staff/v1/imports", token: f.tokens["LDL/library_admin"]!).array.isEmpty)
            // Only administrators import; bad requests are 4xx and load nothing.
            #expect(try await upload(client, "kind=patrons", token: f.tokens["RPL/circulation_staff"]!, body: "barcode\n").status == .forbidden)
            #expect(try await upload(client, "kind=shoes", token: admin, body: "x\n").status == .badRequest)
            response = try await upload(client, "kind=patrons&dryRun=true", token: admin, body: "barcode,shoe_size\nX,1\n")
            #expect(response.status == .unprocessableContent)
            #expect(try response.problem().code == "unreadable_file")
            response = try await upload(client, "kind=holdings", token: admin, body: "<collection><record>")
            #expect(response.status == .unprocessableContent)
            response = try await upload(client, "kind=patrons", token: admin, body: "barcode,first_name\n\"unterminated,A\nB,C,D\n")
            #expect(response.status == .unprocessableContent, "a file COPY cannot read is a 422, not a 500")
            #expect(try response.problem().code == "unreadable_file")
            response = try await upload(client, "kind=patrons&dryRun=true", token: admin,
                body: "barcode,first_name,last_name,branch,patron_type\nAPI-0001,Ann,Upload,RPL-MAIN,ADL\n")
            #expect(response.object["status"] as? String == "checked")
            #expect(response.object["accepted"] as? Int == 1)
        }
        #expect(try await f.adminScalar("select count(*) from ps.patron where barcode = 'API-0001'", as: Int.self) == 0, "a dry run applies nothing")
    }
}
