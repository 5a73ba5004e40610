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

/// Decodes one watch line straight into a typed event, in one pass over the bytes: the `type` field
/// decides how `object` is decoded (T, a Status for ERROR, only metadata for BOOKMARK, whose object
/// lacks the kind's required fields).
struct WatchEventEnvelope<Object: Decodable & Sendable>: Decodable {
    var event: WatchEvent<Object>

    enum CodingKeys: String, CodingKey { case type, object }

    struct BookmarkObject: Decodable {
        struct Meta: Decodable { var resourceVersion: String? }
        var metadata: Meta?
    }

    init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        switch type {
        case "ADDED": event = .added(try c.decode(Object.self, forKey: .object))
        case "MODIFIED": event = .modified(try c.decode(Object.self, forKey: .object))
        case "DELETED": event = .deleted(try c.decode(Object.self, forKey: .object))
        case "BOOKMARK":
            let b = try c.decode(BookmarkObject.self, forKey: .object)
            event = .bookmark(resourceVersion: b.metadata?.resourceVersion ?? "")
        case "ERROR": event = .error(try c.decode(StatusResponse.self, forKey: .object))
        default:
            throw DecodingError.dataCorruptedError(forKey: .type, in: c, debugDescription: "unknown watch event type \"\(type)\"")
        }
    }
}

/// Decodes watch lines with one reusable decoder.
public struct WatchEventDecoder<Object: Decodable & Sendable> {
    let decoder = KubeJSONDecoder()

    public init() {}

    public func decode(_ line: ByteBuffer) throws -> WatchEvent<Object> {
        do {
            return try decoder.decode(WatchEventEnvelope<Object>.self, from: line).event
        } catch {
            let preview = String(decoding: line.readableBytesView.prefix(200), as: UTF8.self)
            throw KubeClientError.decoding(type: "WatchEvent<\(Object.self)>", message: "\(error) in line starting \(preview)")
        }
    }
}
