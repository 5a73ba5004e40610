import Foundation
import KubeCore
import Logging

/// One JSON object per line on stderr, the shape log pipelines expect from controllers:
/// `{"ts":"...","level":"info","logger":"vtag.discovery","msg":"...", <metadata>}`.
struct JSONLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level
    let label: String
    let write: @Sendable (String) -> Void

    init(label: String, level: Logger.Level, write: @escaping @Sendable (String) -> Void = JSONLogHandler.stderr) {
        self.label = label
        self.logLevel = level
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(
        level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
        file: String, function: String, line: UInt
    ) {
        var fields: [String: JSONValue] = [
            "ts": .string(KubeTime.formatMicro(Date())),
            "level": .string(level.rawValue),
            "logger": .string(label),
            "msg": .string(message.description),
        ]
        let merged = explicit.map { metadata.merging($0) { _, new in new } } ?? metadata
        for (key, value) in merged where fields[key] == nil { fields[key] = Self.json(value) }
        if level >= .error { fields["caller"] = .string("\((file as NSString).lastPathComponent):\(line)") }
        write(String(decoding: JSONValue.object(fields).serialized(), as: UTF8.self))
    }

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(d.mapValues(json))
        }
    }

    @Sendable static func stderr(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
