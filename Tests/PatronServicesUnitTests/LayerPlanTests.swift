import Foundation
import Testing

@testable import Postgres

@Suite("The rule layer's order, as layers.txt states it")
struct LayerPlanTests {
    /// A temporary sql/ folder with `files` (path → text).
    func folder(_ files: [String: String]) throws -> String {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("layer-\(UUID().uuidString)").path
        for (path, text) in files {
            let url = URL(fileURLWithPath: root + "/" + path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test("folders apply in the stated order, their files in name order; a file named alone applies where it is named, once")
    func order() throws {
        let root = try folder([
            "layers.txt": "# the layer\nschema ps\nbase/z_first.sql\nbase\nrules  # comment\n",
            "base/a.sql": "select 1;", "base/z_first.sql": "select 2;", "rules/b.sql": "select 3;", "rules/notes.txt": "not sql",
        ])
        let plan = try LayerPlan(directory: root)
        #expect(plan.schemas == ["ps"])
        #expect(plan.scripts.map(\.name) == ["base/z_first.sql", "base/a.sql", "rules/b.sql"])
        #expect(plan.scripts.allSatisfy { $0.kind == .layer })
    }

    @Test("a schema line that is not a plain identifier, or a missing folder, is refused")
    func refusals() throws {
        #expect(throws: MigrationError.self) { try LayerPlan(directory: try folder(["layers.txt": "schema ps; drop table x\n"])) }
        #expect(throws: MigrationError.self) { try LayerPlan(directory: try folder(["layers.txt": "missing\n"])) }
    }

    @Test("no layers.txt: no layer")
    func none() throws {
        let plan = try LayerPlan(directory: try folder(["migrations/0001_a.sql": "select 1;"]))
        #expect(plan.scripts.isEmpty && plan.schemas.isEmpty)
    }
}
