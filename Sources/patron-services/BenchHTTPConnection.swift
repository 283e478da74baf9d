import ArgumentParser
import Foundation
import Glibc

/// One keep-alive HTTP/1.1 connection to the service on loopback, with blocking calls: the benchmarks'
/// own client, for sign-ins, setup and the open-loop generator (each of whose threads owns one).
/// Answers must carry Content-Length, as every answer of the service does.
final class BenchHTTPConnection {
    struct Answer {
        var status: Int
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        self.port = port
        try connect()
    }

    deinit { if fd >= 0 { close(fd) } }

    private func connect() throws {
        if fd >= 0 { close(fd) }
        buffer.removeAll(keepingCapacity: true)
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var timeout = timeval(tv_sec: 10, tv_usec: 0)  // as wrk's --timeout
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let connected = withLoopbackAddress(port: port) { Glibc.connect(fd, $0, $1) }
        guard connected == 0 else { throw ValidationError("cannot connect to 127.0.0.1:\(port)") }
    }

    /// The bytes of a request: `method path`, the headers, and a JSON body if given.
    static func request(_ method: String, _ path: String, headers: [(String, String)] = [], json: String? = nil) -> [UInt8] {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let json { text += "Content-Type: application/json\r\nContent-Length: \(json.utf8.count)\r\n\r\n\(json)" } else { text += "\r\n" }
        return Array(text.utf8)
    }

    /// Sends `request` and reads its answer. A failed exchange (reset, timeout, unreadable answer)
    /// throws, and the connection is opened again for the next one.
    func exchange(_ request: [UInt8]) throws -> Answer {
        do {
            try send(request)
            return try readAnswer()
        } catch {
            try? connect()
            throw error
        }
    }

    private func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { throw ValidationError("send failed (errno \(errno))") }
            offset += sent
        }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { throw ValidationError(count == 0 ? "connection closed" : "receive failed (errno \(errno))") }
        buffer.append(contentsOf: chunk[0..<count])
    }

    private func readAnswer() throws -> Answer {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while headerEnd == nil {
            if buffer.count >= 4 {
                headerEnd = (0...(buffer.count - 4)).first { buffer[$0..<($0 + 4)].elementsEqual(separator) }
            }
            if headerEnd == nil { try fill() }
        }
        let head = String(decoding: buffer[0..<headerEnd!], as: UTF8.self).split(separator: "\r\n")
        guard let statusLine = head.first, statusLine.split(separator: " ").count > 1,
            let status = Int(statusLine.split(separator: " ")[1])
        else { throw ValidationError("unreadable status line") }
        let length = head.dropFirst().compactMap { line -> Int? in
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespaces))
        }.first ?? 0
        let bodyStart = headerEnd! + 4
        while buffer.count < bodyStart + length { try fill() }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return Answer(status: status, body: body)
    }
}
