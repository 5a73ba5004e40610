import Discovery
import Foundation
import K8sClient
import TaggingAPI

/// The providers the operator ships: each DiscoveryJob provider kind mapped to its Discovery
/// implementation, with the job's references (credential Secret, inventory ConfigMap) resolved by name.
public enum DefaultProviders {
    public static let factory: ProviderFactory = { job, references in
        let namespace = job.namespace ?? ""
        switch job.spec.provider {
        case .simulated:
            guard let settings = job.spec.simulated else {
                throw ReconcileError.providerSetup(reason: "MissingSettings", message: "provider simulated needs spec.simulated (count, seed, clouds)")
            }
            return SimulatedProvider(settings: settings)

        case .inventory:
            guard let settings = job.spec.inventory else {
                throw ReconcileError.providerSetup(reason: "MissingSettings", message: "provider inventory needs spec.inventory.configMapRef")
            }
            let ref = settings.configMapRef
            guard let configMap = try await references.configMap(namespace, ref.name) else {
                throw ReconcileError.providerSetup(reason: "ConfigMapNotFound", message: "inventory ConfigMap \(namespace)/\(ref.name) not found: create it or fix spec.inventory.configMapRef.name")
            }
            guard let text = configMap.data?[ref.key] ?? configMap.binaryData?[ref.key].map({ String(decoding: $0, as: UTF8.self) }) else {
                let keys = Array((configMap.data ?? [:]).keys).sorted().joined(separator: ", ")
                throw ReconcileError.providerSetup(reason: "ConfigMapKeyMissing", message: "ConfigMap \(namespace)/\(ref.name) has no key \"\(ref.key)\" (it has: \(keys.isEmpty ? "none" : keys))")
            }
            let format = settings.format ?? (ref.key.hasSuffix(".json") ? .json : ref.key.hasSuffix(".csv") ? .csv : nil)
            return InventoryProvider(text: text, format: format, source: "ConfigMap \(namespace)/\(ref.name) key \(ref.key)")

        case .gcp:
            return try await GCPAndAzureProviders.gcp(job, references)

        case .azure:
            return try await GCPAndAzureProviders.azure(job, references)

        case .aws:
            guard let settings = job.spec.aws else {
                throw ReconcileError.providerSetup(reason: "MissingSettings", message: "provider aws needs spec.aws with at least one region")
            }
            let credentials = try await awsCredentials(settings, namespace: namespace, references: references)
            return AWSProvider(settings: settings, credentials: credentials)
        }
    }
}
