extension Array where Element == Double {
    /// The middle value (the upper of the two middle ones for an even count); 0 for no values.
    var median: Double {
        let sorted = sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }
}

extension Array where Element == Duration {
    /// The middle duration in seconds, as `[Double].median`.
    var medianSeconds: Double {
        map(\.seconds).median
    }
}

extension Duration {
    /// The duration in seconds, for the benches' figures.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
