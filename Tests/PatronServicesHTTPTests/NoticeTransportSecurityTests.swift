import Foundation
import Mail
import PatronServices
import PatronServicesTesting
import Postgres
import Testing

/// Notices over an encrypted, authenticated submission server (aiosmtpd with a throwaway certificate):
/// STARTTLS and implicit TLS with the certificate verified, SMTP AUTH, and nothing sent in clear text
/// or to a server the service does not trust.
@Suite("Notices leave the building: TLS and SMTP authentication")
struct NoticeTransportSecurityTests {
    static let user = "notices"
    static let password = "s3cret-relay-password"

    static func secured(_ security: SMTPConfiguration.Security, _ certificate: TestCertificate, password: String = password) -> (inout SMTPConfiguration) -> Void {
        { configuration in
            configuration.security = security
            configuration.username = user
            configuration.password = password
            configuration.caFile = certificate.certificate
        }
    }

    @Test("STARTTLS with SMTP AUTH: the server's certificate verified, the notices delivered")
    func startTLSWithAuthentication() async throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--starttls", certificate.certificate, certificate.key, "--auth", "\(Self.user):\(Self.password)"])
        try await NoticeDeliveryTests.submitChangeRequest(n)
        let counts = try await n.deliver(port: sink.port, smtp: Self.secured(.starttls, certificate))
        #expect(counts.sent == 2)
        #expect(try sink.messages().count == 2)
        #expect(try await n.notices().allSatisfy { $0.status == "sent" })
    }

    @Test("implicit TLS (smtps) with SMTP AUTH: delivered")
    func implicitTLSWithAuthentication() async throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--tls", certificate.certificate, certificate.key, "--auth", "\(Self.user):\(Self.password)"])
        try await NoticeDeliveryTests.submitChangeRequest(n)
        #expect(try await n.deliver(port: sink.port, smtp: Self.secured(.tls, certificate)).sent == 2)
        #expect(try sink.messages().map(\.rcptTos).flatMap { $0 }.contains(NoticeFixture.primary))
    }

    @Test("a wrong SMTP password leaves the notices waiting with the server's 535, and fixing it sends them")
    func wrongPasswordIsTemporary() async throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--starttls", certificate.certificate, certificate.key, "--auth", "\(Self.user):\(Self.password)"])
        try await NoticeDeliveryTests.submitChangeRequest(n)
        let denied = try await n.deliver(port: sink.port, smtp: Self.secured(.starttls, certificate, password: "wrong"))
        #expect(denied.temporary == 2 && denied.sent == 0 && denied.permanent == 0,
                "a misconfigured password is the service's fault, not the message's: nothing goes dead")
        #expect(try sink.messages().isEmpty)
        #expect(try await n.notices().allSatisfy { $0.status == "pending" })
        let error = try await n.fixture.adminScalar("select min(last_error) from ps.outbox", as: String.self)
        #expect(error.contains("curl 67"), "the last error names the refused login: \(error)")
        #expect(!error.contains("wrong"), "the password is never written down")
        try await n.elapseBackoff()
        #expect(try await n.deliver(port: sink.port, smtp: Self.secured(.starttls, certificate)).sent == 2)
        #expect(try sink.messages().count == 2)
    }

    @Test("security starttls against a server that offers no STARTTLS: nothing is sent in clear text, the notices wait")
    func noClearTextFallback() async throws {
        let certificate = try TestCertificate.make()
        defer { certificate.remove() }
        let n = try await NoticeFixture.make()
        let plain = try SMTPSink.start()
        try await NoticeDeliveryTests.submitChangeRequest(n)
        let counts = try await n.deliver(port: plain.port, smtp: Self.secured(.starttls, certificate))
        #expect(counts.temporary == 2 && counts.sent == 0)
        #expect(try plain.messages().isEmpty, "no message reached a server that would not encrypt")
        #expect(try await n.notices().allSatisfy { $0.status == "pending" })
    }

    @Test("a server whose certificate is not trusted gets nothing")
    func untrustedCertificateGetsNothing() async throws {
        let trusted = try TestCertificate.make()
        let impostor = try TestCertificate.make()
        defer { trusted.remove(); impostor.remove() }
        let n = try await NoticeFixture.make()
        let sink = try SMTPSink.start(["--tls", impostor.certificate, impostor.key, "--auth", "\(Self.user):\(Self.password)"])
        try await NoticeDeliveryTests.submitChangeRequest(n)
        let counts = try await n.deliver(port: sink.port, smtp: Self.secured(.tls, trusted))
        #expect(counts.temporary == 2 && counts.sent == 0)
        #expect(try sink.messages().isEmpty)
        let error = try await n.fixture.adminScalar("select min(last_error) from ps.outbox", as: String.self)
        #expect(error.contains("curl 60"), "the last error says the certificate failed verification: \(error)")
    }
}
