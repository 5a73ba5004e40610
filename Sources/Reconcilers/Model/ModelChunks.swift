import Crypto
import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// How a stored model is laid out in ConfigMaps: the model's JSON split into chunks, each in
/// `binaryData["model"]` of one ConfigMap named `BASE`, `BASE-1`, `BASE-2`, ... Every chunk carries
/// the model version, the chunk count and the SHA-256 of the whole payload, so a reader can tell a
/// complete, consistent set from a half-written or damaged one.
enum ModelChunks {
    static let dataKey = "model"

    enum Annotation {
        static let version = "vtag.dev/model-version"
        static let chunks = "vtag.dev/model-chunks"
        static let index = "vtag.dev/model-chunk"
        static let sha256 = "vtag.dev/model-sha256"
        static let size = "vtag.dev/model-bytes"
    }

    /// Label on every chunk (value: the base name), to find stale chunks with one list.
    static let modelLabel = "vtag.dev/model"

    /// Raw bytes per chunk. binaryData is base64 on the wire, and some servers count the encoded size
    /// against ConfigMap's 1 MiB limit: 672 KiB raw is 896 KiB encoded.
    static let defaultChunkBytes = 672 * 1024

    static func name(base: String, index: Int) -> String { index == 0 ? base : "\(base)-\(index)" }

    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    /// The ConfigMaps holding `payload`, chunk 0 first.
    static func split(_ payload: Data, version: String, base: String, namespace: String, chunkBytes: Int) -> [ConfigMap] {
        let size = max(1, chunkBytes)
        let count = max(1, (payload.count + size - 1) / size)
        let digest = sha256(payload)
        return (0..<count).map { i in
            let start = payload.startIndex + i * size
            let piece = payload[start..<min(payload.endIndex, start + size)]
            let meta = ObjectMeta(
                name: name(base: base, index: i), namespace: namespace,
                labels: [modelLabel: ResourceNaming.labelValue(base), VTag.Label.managedBy: "vtag"],
                annotations: [
                    Annotation.version: version, Annotation.chunks: String(count), Annotation.index: String(i),
                    Annotation.sha256: digest, Annotation.size: String(payload.count),
                ])
            return ConfigMap(metadata: meta, binaryData: [dataKey: Data(piece)])
        }
    }

    /// The chunk count and version the first chunk announces.
    static func header(_ head: ConfigMap) throws(ReconcileError) -> (count: Int, version: String) {
        let a = head.metadata.annotations ?? [:]
        guard let count = a[Annotation.chunks].flatMap(Int.init), count >= 1, count <= 10_000 else {
            throw .modelChunkUnannotated(configMap: head.name, annotation: Annotation.chunks)
        }
        guard let version = a[Annotation.version], !version.isEmpty else {
            throw .modelChunkUnannotated(configMap: head.name, annotation: Annotation.version)
        }
        return (count, version)
    }

    /// Joins chunks (index order, nil for a missing one) after checking they belong together and
    /// that the whole matches the recorded SHA-256.
    static func join(_ chunks: [ConfigMap?], base: String) throws(ReconcileError) -> Data {
        guard let head = chunks.first ?? nil else { throw .modelChunkMissing(configMap: base, index: 0, count: chunks.count) }
        let (count, version) = try header(head)
        guard let digest = head.metadata.annotations?[Annotation.sha256], !digest.isEmpty else {
            throw .modelChunkUnannotated(configMap: head.name, annotation: Annotation.sha256)
        }
        var payload = Data()
        for i in 0..<count {
            let cmName = name(base: base, index: i)
            guard i < chunks.count, let chunk = chunks[i] else { throw .modelChunkMissing(configMap: cmName, index: i, count: count) }
            let found = chunk.metadata.annotations?[Annotation.version] ?? ""
            guard found == version, chunk.metadata.annotations?[Annotation.sha256] == digest else {
                throw .modelChunksMixed(configMap: cmName, expected: version, found: found.isEmpty ? "(none)" : found)
            }
            guard let piece = chunk.binaryData?[dataKey] else { throw .modelChunkEmpty(configMap: cmName, key: dataKey) }
            payload.append(piece)
        }
        let actual = sha256(payload)
        guard actual == digest else { throw .modelChecksumMismatch(expected: digest, actual: actual, bytes: payload.count) }
        return payload
    }
}
