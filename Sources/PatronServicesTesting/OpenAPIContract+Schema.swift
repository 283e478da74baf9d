import Foundation
import PatronServices

extension OpenAPIContract {
    func validate(_ value: DecodedJSON, _ node: [String: Any], at path: String, into problems: inout [String]) {
        let schema = resolve(node)
        if let all = schema["allOf"] as? [[String: Any]] {
            for part in all { validate(value, part, at: path, into: &problems) }
        }
        for key in ["anyOf", "oneOf"] {
            guard let choices = schema[key] as? [[String: Any]] else { continue }
            let passing = choices.filter { choice in
                var scratch: [String] = []
                validate(value, choice, at: path, into: &scratch)
                return scratch.isEmpty
            }.count
            if passing == 0 || (key == "oneOf" && passing > 1) { problems.append("\(path): matches \(passing) of the \(key) choices") }
        }
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }), !types.contains(where: value.matches) {
            problems.append("\(path): \(value.typeName), declared \(types.joined(separator: "|"))")
            return
        }
        if let allowed = (schema["enum"] as? [Any])?.map({ $0 is NSNull ? "null" : "\($0)" }), let text = value.scalarText, !allowed.contains(text) {
            problems.append("\(path): \(text) is not one of \(allowed)")
        }
        switch value {
        case .string(let text):
            if let format = schema["format"] as? String {
                let pattern = format == "date-time" ? #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"#
                    : format == "date" ? #"^\d{4}-\d{2}-\d{2}$"# : nil
                if let pattern, text.range(of: pattern, options: .regularExpression) == nil {
                    problems.append("\(path): \(text) is not a \(format)")
                }
            }
        case .int(let number):
            if let minimum = schema["minimum"] as? Int, number < minimum { problems.append("\(path): \(number) < minimum \(minimum)") }
            if let maximum = schema["maximum"] as? Int, number > maximum { problems.append("\(path): \(number) > maximum \(maximum)") }
        case .array(let items):
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() { validate(item, itemSchema, at: "\(path)[\(index)]", into: &problems) }
            }
        case .object(let members):
            let properties = (schema["properties"] as? [String: Any]) ?? [:]
            for name in (schema["required"] as? [String]) ?? [] where members[name] == nil {
                problems.append("\(path): required property \(name) is missing")
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[name] as? [String: Any] {
                    validate(member, propertySchema, at: "\(path).\(name)", into: &problems)
                } else if let extra = schema["additionalProperties"] as? [String: Any] {
                    validate(member, extra, at: "\(path).\(name)", into: &problems)
                } else if (schema["additionalProperties"] as? Bool) == false {
                    problems.append("\(path): property \(name) is not declared")
                }
            }
        default:
            break
        }
    }
}

/// What the schema checks need to know of a decoded value.
extension DecodedJSON {
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .int: "integer"
        case .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }

    func matches(_ type: String) -> Bool {
        type == typeName || (type == "number" && typeName == "integer")
    }

    /// The value as YAML would have read it from an `enum` list.
    var scalarText: String? {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): String(value)
        case .string(let value): value
        default: nil
        }
    }
}
