import Foundation
import Testing

@testable import PatronServicesHTTP

@Suite("Strict ISO 8601 date-times")
struct StrictDateTests {
    @Test("real date-times parse, with their offset and fraction")
    func valid() {
        #expect(StrictDate.parse("2026-11-25T10:00:00Z") == Date(timeIntervalSince1970: 1_795_600_800))
        #expect(StrictDate.parse("2026-11-25T12:00:00+02:00") == Date(timeIntervalSince1970: 1_795_600_800))
        #expect(StrictDate.parse("2026-11-25T10:00:00.5Z") == Date(timeIntervalSince1970: 1_795_600_800.5))
        #expect(StrictDate.parse("2024-02-29T00:00:00Z") != nil)
    }

    @Test("impossible or incomplete ones do not: no rolling 30 February into March")
    func invalid() {
        for text in ["2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-25T24:00:00Z",
                     "2026-11-25T10:00:00", "2026-11-25", "1899-12-31T00:00:00Z", "10000-01-01T00:00:00Z", "2026-11-25T10:00:00+25:00"] {
            #expect(StrictDate.parse(text) == nil, "\(text)")
        }
    }
}
