import Foundation
import KubeCore
import NIOCore
import NIOFoundationCompat

/// One event of a watch answer.
public enum WatchEvent<Object: Sendable>: Sendable {
    case added(Object)
    case modified(Object)
    case deleted(Object)
    /// The server's progress mark: nothing to apply, but watching can resume from here.
    case bookmark(resourceVersion: String)
    /// The server ended the watch with a Status (code 410: the resourceVersion is too old).
    case error(StatusResponse)
}

/// Decodes one watch line straight into a typed event, in one pass over the tape (no keyed container per
/// event): the `type` field decides how `object` is decoded (T, a Status for ERROR, only metadata for
/// BOOKMARK, whose object lacks the kind's required fields).
struct WatchEventEnvelope<Object: Decodable & Sendable> {
    var event: WatchEvent<Object>

    struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    init(tape: TapeBox, at node: Int) throws {
        var type: Int?, object: Int?
        try tape.readFields(of: node, as: Self.self, watchEventKeys) { k, v in
            if k == 0 { type = v } else { object = v }
        }
        let typeNode = try tape.required(type, "type", in: node)
        func decoded<T: Decodable>(_: T.Type) throws -> T { try tape.decodeValue(T.self, at: try tape.required(object, "object", in: node)) }
        switch try tape.string(typeNode) {
        case "ADDED": event = .added(try decoded(Object.self))
        case "MODIFIED": event = .modified(try decoded(Object.self))
        case "DELETED": event = .deleted(try decoded(Object.self))
        case "BOOKMARK": event = .bookmark(resourceVersion: try decoded(BookmarkObject.self).metadata?.resourceVersion ?? "")
        case "ERROR": event = .error(try decoded(StatusResponse.self))
        case let unknown: throw tape.corrupted(typeNode, "unknown watch event type \"\(unknown)\"")
        }
    }
}

private let watchEventKeys: [StaticString] = ["type", "object"]

/// Decodes watch lines with one reusable decoder.
public struct WatchEventDecoder<Object: Decodable & Sendable> {
    let decoder = KubeJSONDecoder()

    public init() {}

    public func decode(_ line: ByteBuffer) throws -> WatchEvent<Object> {
        do {
            return try decoder.reading(line) { try WatchEventEnvelope<Object>(tape: $0, at: 0).event }
        } catch {
            let preview = String(decoding: line.readableBytesView.prefix(200), as: UTF8.self)
            throw KubeClientError.decoding(type: "WatchEvent<\(Object.self)>", message: "\(error) in line starting \(preview)")
        }
    }
}
