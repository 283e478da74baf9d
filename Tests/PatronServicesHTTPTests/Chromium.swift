import Foundation

/// Headless Chromium, the browser a person would print the notices from: prints a page to PDF and
/// counts the PDF's pages.
enum Chromium {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static var executable: String? {
        ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func pageCount(html: String) throws -> Int {
        guard let executable else { throw Failure(description: "chromium is not installed (apt-get install chromium)") }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("print-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let page = folder.appendingPathComponent("batch.html")
        let pdf = folder.appendingPathComponent("batch.pdf")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer", "--user-data-dir=\(folder.path)/profile",
                             "--print-to-pdf=\(pdf.path)", page.absoluteString]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard let data = FileManager.default.contents(atPath: pdf.path), !data.isEmpty else {
            throw Failure(description: "chromium wrote no PDF (exit \(process.terminationStatus))")
        }
        // Each page is an object "/Type /Page" (the tree's root is "/Type /Pages").
        let text = String(decoding: data, as: UTF8.self)
        let pages = text.components(separatedBy: "/Type /Page").count - 1 - (text.components(separatedBy: "/Type /Pages").count - 1)
        return pages
    }
}
