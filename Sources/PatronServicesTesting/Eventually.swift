import Testing

/// Waits for a state, not for time: polls `condition` (a millisecond apart) until it holds, and records
/// an issue if it has not after `seconds`, far longer than any state a test waits for takes to be reached.
public func eventually(seconds: Int = 10, _ condition: () async throws -> Bool,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
    let deadline = ContinuousClock.now + .seconds(seconds)
    while try await !condition() {
        if ContinuousClock.now > deadline {
            Issue.record("condition not reached within \(seconds) s", sourceLocation: sourceLocation)
            return
        }
        try await Task.sleep(for: .milliseconds(1))
    }
}
