import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// MARC 21 in MARCXML (`<record><datafield tag="876"><subfield code="p">…`), namespaced or not.
public enum MARCXML {
    public struct Malformed: Error, CustomStringConvertible, Sendable {
        public let reason: String
        public var description: String { "MARCXML: \(reason)" }
    }

    public static func records(_ data: Data) throws -> [MARCRecord] {
        let reader = Reader()
        let parser = XMLParser(data: data)
        parser.delegate = reader
        parser.shouldProcessNamespaces = true
        guard parser.parse() else {
            throw Malformed(reason: parser.parserError.map { "\($0.localizedDescription) at line \(parser.lineNumber)" } ?? "cannot parse")
        }
        return reader.records
    }

    private final class Reader: NSObject, XMLParserDelegate {
        var records: [MARCRecord] = []
        var fields: [MARCRecord.Field]?
        var field: MARCRecord.Field?
        var code: Character?
        var text = ""

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]) {
            switch name {
            case "record": fields = []
            case "datafield": field = MARCRecord.Field(tag: attributes["tag"] ?? "", subfields: [])
            case "subfield":
                code = attributes["code"]?.first
                text = ""
            default: break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if code != nil { text += string }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch name {
            case "subfield":
                if let code { field?.subfields.append((code, text)) }
                code = nil
            case "datafield":
                if let field { fields?.append(field) }
                field = nil
            case "record":
                if let fields { records.append(MARCRecord(fields: fields)) }
                fields = nil
            default: break
            }
        }
    }
}
