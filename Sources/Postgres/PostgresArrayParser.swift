/// Splits a one-dimensional array literal such as `{1,NULL,"a \"b\""}` into element texts.
enum PostgresArrayParser {
    static func parse(_ text: String) throws -> [String?] {
        var utf8 = Substring(text).utf8[...]
        // Arrays with non-default lower bounds print as "[0:2]={...}".
        if utf8.first == UInt8(ascii: "["), let equals = utf8.firstIndex(of: UInt8(ascii: "=")) {
            utf8 = utf8[utf8.index(after: equals)...]
        }
        guard utf8.first == UInt8(ascii: "{"), utf8.last == UInt8(ascii: "}") else {
            throw PostgresError.decoding("not an array literal")
        }
        let body = Array(utf8.dropFirst().dropLast())
        if body.isEmpty { return [] }
        var elements: [String?] = []
        var index = 0
        while index <= body.count {
            if index < body.count, body[index] == UInt8(ascii: "\"") {
                var bytes: [UInt8] = []
                index += 1
                while index < body.count, body[index] != UInt8(ascii: "\"") {
                    if body[index] == UInt8(ascii: "\\") { index += 1 }
                    guard index < body.count else { throw PostgresError.decoding("unterminated array element") }
                    bytes.append(body[index])
                    index += 1
                }
                index += 1  // closing quote
                elements.append(String(decoding: bytes, as: UTF8.self))
            } else {
                let start = index
                while index < body.count, body[index] != UInt8(ascii: ",") {
                    if body[index] == UInt8(ascii: "{") { throw PostgresError.decoding("multi-dimensional arrays are not supported") }
                    index += 1
                }
                let raw = String(decoding: body[start..<index], as: UTF8.self)
                elements.append(raw == "NULL" ? nil : raw)
            }
            index += 1  // the comma (or one past the end)
        }
        return elements
    }
}
