import Foundation
import HTTPTypes
import PatronServices
import Postgres
import Testing

@testable import PatronServicesHTTP

@Suite("Domain enums: one spelling shared by the API and SQL")
struct DomainEnumTests {
    struct Change: Decodable { var level: SettingLevel }

    @Test("an unknown value is a 422 on its field, naming the allowed values")
    func unknownValue() throws {
        do {
            _ = try JSONDecoder.api().decode(Change.self, from: Data(#"{"level": "county"}"#.utf8))
            Issue.record("decoded an unknown level")
        } catch let error as DecodingError {
            let problem = Problem.fromDecoding(error)
            #expect(problem.status == .unprocessableContent)
            #expect(problem.errors.map(\.field) == ["level"])
            #expect(problem.errors.map(\.code) == ["invalid"])
            #expect(problem.errors.first?.message == "One of: system, library or branch.")
        }
    }

    @Test("values bind as the text SQL checks for")
    func bindsRawValues() {
        let query: PostgresQuery = "select \(LoanClaim.claimedNeverHad), \(BillKind.overdueFine), \(ChangeField.notificationMethod)"
        #expect(query.binds == ["claimed_never_had", "overdue_fine", "notification_method"])
        #expect(query.sql == "select $1, $2, $3")
    }

    @Test("the API decoder reads ISO 8601 date-times")
    func iso8601() throws {
        struct Due: Decodable { var dueAt: Date }
        let due = try JSONDecoder.api().decode(Due.self, from: Data(#"{"dueAt": "2026-11-25T10:00:00Z"}"#.utf8))
        #expect(due.dueAt == Date(timeIntervalSince1970: 1_795_600_800))
    }

    @Test("role lists: supervisors may override, circulation staff may not")
    func roleLists() {
        #expect(StaffRole.supervisors.contains(.circulationSupervisor))
        #expect(!StaffRole.supervisors.contains(.circulationStaff))
        #expect(StaffRole.readers.count == StaffRole.allCases.count)
    }
}
