import Foundation
import K8sClient
import KubeCore
import TaggingAPI

/// `plan --job` runs discovery from the caller's machine, where a gcp or azure job's workload identity does
/// not exist. When the file holds no Secret for the job, the caller's own credentials go through the job's
/// Secret path, read from the variables Google's and Microsoft's tools use.
enum PlanCloudCredentials {
    static let secretName = "kubectl-vtag-plan-environment"

    /// Points the job at a Secret made from the environment when it names none in `secrets`
    /// (GOOGLE_APPLICATION_CREDENTIALS for gcp; AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET for azure).
    static func substitute(_ job: inout DiscoveryJob, secrets: inout [Secret], environment env: [String: String]) throws {
        func inFile(_ name: String?) -> Bool { name.map { n in secrets.contains { $0.metadata.name == n } } ?? false }
        switch job.spec.provider {
        case .gcp:
            guard !inFile(job.spec.gcp?.credentialsSecretRef?.name), let path = env["GOOGLE_APPLICATION_CREDENTIALS"], !path.isEmpty else { return }
            let text: String
            do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
                throw CLIError.manifest(file: path, message: "GOOGLE_APPLICATION_CREDENTIALS names a file that cannot be read: \(error.localizedDescription)")
            }
            Console.current.note("note: plan uses the service-account key in GOOGLE_APPLICATION_CREDENTIALS (\(path))")
            secrets.append(Secret(metadata: ObjectMeta(name: secretName), stringData: [GCPCredentialsSecretRef.defaultKey: text]))
            job.spec.gcp?.credentialsSecretRef = GCPCredentialsSecretRef(name: secretName)
        case .azure:
            guard !inFile(job.spec.azure?.credentialsSecretRef?.name) else { return }
            let names = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET"]
            let values = names.map { env[$0] ?? "" }
            guard values.allSatisfy({ !$0.isEmpty }) else { return }
            Console.current.note("note: plan uses the service principal in AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET")
            secrets.append(Secret(metadata: ObjectMeta(name: secretName), stringData: [
                AzureCredentialsSecretRef.defaultTenantIDKey: values[0], AzureCredentialsSecretRef.defaultClientIDKey: values[1],
                AzureCredentialsSecretRef.defaultClientSecretKey: values[2],
            ]))
            job.spec.azure?.credentialsSecretRef = AzureCredentialsSecretRef(name: secretName)
        default:
            return
        }
    }
}
