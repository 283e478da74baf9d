import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to a test server on loopback, for what an HTTP client will not do: stay
/// silent, send half a request, hold a connection open. Blocking calls; use from a detached task.
public final class RawSocket: @unchecked Sendable {
    // @unchecked Sendable: one test task uses a socket at a time; the descriptor never changes.
    let fd: Int32

    /// Connects to 127.0.0.1:`port`; reads give up after `readTimeoutSeconds`.
    public init(port: Int, readTimeoutSeconds: Int = 20) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawSocketError.failed("socket") }
        var timeout = timeval(tv_sec: readTimeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw RawSocketError.failed("connect")
        }
    }

    deinit { close(fd) }

    public func send(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Sends a request and reads its response's status line (the first line), leaving the connection open.
    public func statusLine(of request: String) -> String? {
        send(request)
        var received: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            if byte == UInt8(ascii: "\n") { return String(decoding: received, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
            received.append(byte)
        }
        return nil
    }

    /// Reads until the server closes the connection (true), or the read timeout passes (false).
    /// Whatever the server sent before closing is returned too.
    public func readUntilClosed() -> (closed: Bool, text: String) {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { return (true, String(decoding: received, as: UTF8.self)) }
            if count < 0 { return (errno == ECONNRESET, String(decoding: received, as: UTF8.self)) }
            received += buffer[0..<count]
        }
    }
}

public enum RawSocketError: Error {
    case failed(String)
}
