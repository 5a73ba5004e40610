import Discovery
import Foundation
import K8sClient
import TaggingAPI

/// Builds the gcp and azure providers of DefaultProviders: credentials from the job's Secret, else the
/// operator's workload identity (read from its environment as Google's and Microsoft's libraries do).
enum GCPAndAzureProviders {
    static func gcp(_ job: DiscoveryJob, _ references: ReferenceReader,
                    environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any DiscoveryProvider {
        let namespace = job.namespace ?? ""
        guard let settings = job.spec.gcp else {
            throw ReconcileError.providerSetup(reason: "MissingSettings", message: "provider gcp needs spec.gcp with at least one scope")
        }
        guard let ref = settings.credentialsSecretRef else {
            return GCPAssetProvider(settings: settings, credentials: .metadataServer(environment: environment))
        }
        let secret = try await credentialsSecret(namespace, ref.name, field: "spec.gcp.credentialsSecretRef.name", references)
        guard let text = secret.string(ref.effectiveKey), !text.isEmpty else {
            throw ReconcileError.providerSetup(reason: "SecretKeyMissing", message: "Secret \(namespace)/\(ref.name) needs a non-empty key \"\(ref.effectiveKey)\" holding a service-account key file (JSON)")
        }
        do {
            let key = try GCPServiceAccountKey(json: Data(text.utf8), source: "Secret \(namespace)/\(ref.name) key \(ref.effectiveKey)")
            return GCPAssetProvider(settings: settings, credentials: .serviceAccountKey(key))
        } catch {
            throw ReconcileError.providerSetup(reason: "InvalidCredentials", message: error.description)
        }
    }

    static func azure(_ job: DiscoveryJob, _ references: ReferenceReader,
                      environment: [String: String] = ProcessInfo.processInfo.environment) async throws -> any DiscoveryProvider {
        let namespace = job.namespace ?? ""
        guard let settings = job.spec.azure else {
            throw ReconcileError.providerSetup(reason: "MissingSettings", message: "provider azure needs spec.azure with subscriptions or managementGroups")
        }
        guard let ref = settings.credentialsSecretRef else {
            do {
                return AzureResourceGraphProvider(settings: settings, credentials: try AzureCredentials.workloadIdentity(environment: environment))
            } catch {
                throw ReconcileError.providerSetup(reason: "NoCredentials", message: error.description)
            }
        }
        let secret = try await credentialsSecret(namespace, ref.name, field: "spec.azure.credentialsSecretRef.name", references)
        let keys = [ref.effectiveTenantIDKey, ref.effectiveClientIDKey, ref.effectiveClientSecretKey]
        let values = keys.map { secret.string($0) ?? "" }
        guard values.allSatisfy({ !$0.isEmpty }) else {
            throw ReconcileError.providerSetup(reason: "SecretKeyMissing", message: "Secret \(namespace)/\(ref.name) needs non-empty keys \(keys.map { "\"\($0)\"" }.joined(separator: ", "))")
        }
        return AzureResourceGraphProvider(
            settings: settings, credentials: AzureCredentials(tenantID: values[0], clientID: values[1], proof: .clientSecret(values[2])))
    }

    /// The Secret a job names, or an error naming it and the field to fix.
    private static func credentialsSecret(
        _ namespace: String, _ name: String, field: String, _ references: ReferenceReader
    ) async throws -> Secret {
        guard let secret = try await references.secret(namespace, name) else {
            throw ReconcileError.providerSetup(reason: "SecretNotFound", message: "credentials Secret \(namespace)/\(name) not found: create it or fix \(field)")
        }
        return secret
    }
}
