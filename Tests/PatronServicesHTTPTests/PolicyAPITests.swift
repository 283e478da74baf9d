import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Patron Type Policies through the staff API")
struct PolicyAPITests {
    @Test("Edit Policy: every limit nullable as No Limit, validation errors are 422 with the offending fields, Last Modified and history kept")
    func editPolicy() async throws {
        let fixture = try await DemoFixture.make()
        let admin = fixture.tokens["RPL/library_admin"]!
        let type = try await fixture.adminScalar("select patron_type_id from ps.patron_type where institution_id = \(fixture.institutions["RPL"]!) and code = 'ADULT'", as: Int64.self)
        try await withApp(database: fixture.database) { client async throws in
            var response = try await client.call(.get, "/staff/v1/patron-type-policies", token: admin)
            #expect(response.array.allSatisfy { $0["status"] as? String == "category_without_policy" })
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(type)", token: admin,
                json: #"{"maxItemsOverdue": 5, "maxLoanValueMinor": 50000, "maxDaysOverdue": null}"#)
            #expect(response.status == .ok)
            #expect(response.object["maxItemsOverdue"] as? Int == 5)
            #expect(response.object["blockRenewalWhenExceeded"] as? Bool == true, "selected by default")
            #expect(response.object["maxSuspensionMinutes"] is NSNull, "No Limit by default")
            let firstModified = try #require(response.object["lastModified"] as? String)
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(type)", token: admin,
                json: #"{"maxItemsOverdue": -1, "maxClaimedLost": 1.5, "replyToFirst": "patron_type", "colour": "blue"}"#)
            #expect(response.status == .unprocessableContent)
            let fields = Set(try response.problem().errors?.map(\.field) ?? [])
            #expect(fields == ["maxItemsOverdue", "maxClaimedLost", "replyToSecond", "colour"])
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(type)", token: admin,
                json: #"{"replyToFirst": "patron_type", "replyToSecond": "branch", "maxItemsOverdue": null}"#)
            #expect(response.status == .ok)
            #expect(response.object["maxItemsOverdue"] is NSNull)
            #expect((response.object["lastModified"] as? String ?? "") >= firstModified)
            response = try await client.call(.get, "/staff/v1/patron-type-policies/\(type)/history", token: admin)
            #expect(response.array.count == 3, "created, given its first values, edited")
            response = try await client.call(.get, "/staff/v1/patron-type-policies", token: admin)
            #expect(response.array.first { $0["patronTypeId"] as? Int == Int(type) }?["status"] as? String == "none")
            // Another institution's admin cannot see or edit it.
            response = try await client.call(.put, "/staff/v1/patron-type-policies/\(type)", token: fixture.tokens["LDL/library_admin"]!,
                json: #"{"maxItemsOverdue": 1}"#)
            #expect(response.status == .notFound)
            response = try await client.call(.get, "/staff/v1/patron-type-policies/\(type)", token: fixture.tokens["LDL/library_admin"]!)
            #expect(response.status == .notFound)
        }
    }
}
