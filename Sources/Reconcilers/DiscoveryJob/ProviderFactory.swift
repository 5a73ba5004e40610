import Discovery
import Foundation
import K8sClient
import TaggingAPI

/// Reads what a job references (credential Secrets, inventory ConfigMaps) by name — the operator
/// may `get` them, never list or watch them.
public struct ReferenceReader: Sendable {
    public var secret: @Sendable (_ namespace: String, _ name: String) async throws -> Secret?
    public var configMap: @Sendable (_ namespace: String, _ name: String) async throws -> ConfigMap?

    public init(
        secret: @escaping @Sendable (String, String) async throws -> Secret?,
        configMap: @escaping @Sendable (String, String) async throws -> ConfigMap?
    ) {
        self.secret = secret
        self.configMap = configMap
    }

    public init(client: KubeClient) {
        self.init(
            secret: { ns, name in try await Api<Secret>(client: client, namespace: ns).getOptional(name) },
            configMap: { ns, name in try await Api<ConfigMap>(client: client, namespace: ns).getOptional(name) })
    }
}

/// Builds the provider a job asks for. Injectable so tests can substitute a provider.
public typealias ProviderFactory = @Sendable (_ job: DiscoveryJob, _ references: ReferenceReader) async throws -> any DiscoveryProvider
