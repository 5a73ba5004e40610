import Foundation
import KubeCore
import KubeTestServer
import Testing
import VTagTestSupport
@testable import K8sClient

/// A throwaway custom resource with a status subresource, for tests of CRD paths.
struct ClientWidget: HasStatus, Equatable {
    static let resource = ResourceDescriptor(group: "test.vtag.dev", version: "v1", kind: "ClientWidget", plural: "widgets", namespaced: true)
    var apiVersion: String?
    var kind: String?
    var metadata: ObjectMeta
    var spec: Spec
    var status: Status?

    struct Spec: Codable, Sendable, Equatable {
        var size: Int
        var color: String?
    }

    struct Status: Codable, Sendable, Equatable {
        var phase: String?
        var observedGeneration: Int64?
    }

    init(name: String, size: Int, color: String? = nil) {
        apiVersion = Self.resource.apiVersion
        kind = Self.resource.kind
        metadata = ObjectMeta(name: name)
        spec = Spec(size: size, color: color)
    }
}

enum TestCRD {
    static let widgets = ThrowawayCRD(
        group: "test.vtag.dev", kind: "ClientWidget", plural: "widgets", singular: "widget",
        spec: "{type: object, required: [size], properties: {size: {type: integer, minimum: 0}, color: {type: string, enum: [red, green, blue]}}}",
        status: "{type: object, properties: {phase: {type: string}, observedGeneration: {type: integer, format: int64}}}"
    ).yaml
}

/// Starts a test server (with the widget CRD), hands a client for its default kubeconfig to `body`,
/// and shuts the server down whatever happens.
func withServer<R>(
    _ options: KubeAPITestServer.Options = .init(), retry: RetryPolicy = RetryPolicy(initialBackoff: .milliseconds(10), maxBackoff: .milliseconds(50)),
    http2: Bool = false, _ body: (KubeAPITestServer, KubeClient) async throws -> R
) async throws -> R {
    let dir = try ScratchDir()
    defer { dir.cleanup() }
    var options = options
    options.crdFiles.append(try dir.write("widgets.yaml", TestCRD.widgets))
    let server = try await KubeAPITestServer.start(options)
    do {
        var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
        config.retry = retry
        config.http2 = http2
        let client = try KubeClient(configuration: config)
        let result = try await body(server, client)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// A name no other test uses.
func uniqueName(_ prefix: String) -> String { "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())" }

/// Waits (bounded) until `condition` holds.
func eventually(timeout: Duration = .seconds(60), _ condition: () async throws -> Bool) async throws -> Bool {
    try await waitUntil(timeout: timeout, poll: .milliseconds(20), condition)
}

