import Foundation

/// A throwaway self-signed certificate for 127.0.0.1 and localhost, made with the `openssl` command, so
/// a test can run a TLS server that a client verifies properly (by trusting exactly this certificate).
public struct TestCertificate: Sendable {
    public let certificate: String
    public let key: String
    let directory: URL

    public static func make() throws -> TestCertificate {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("test-cert-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let certificate = directory.appendingPathComponent("cert.pem").path
        let key = directory.appendingPathComponent("key.pem").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", certificate, "-days", "2",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SMTPSink.SinkError(message: "openssl req exited with \(process.terminationStatus) (is openssl installed?)")
        }
        return TestCertificate(certificate: certificate, key: key, directory: directory)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
