import Discovery
import Foundation
import K8sClient
import KubeCore
import Reconcilers
import TaggingAPI

/// Where `plan` gets its resources: an inventory file, a simulated estate, or a DiscoveryJob manifest run
/// locally through the operator's own provider code (DefaultProviders).
enum EstateSource {
    case inventory(path: String)
    case simulated(count: Int, seed: Int64, clouds: [String])
    case job(path: String)

    /// What the resources came from, for the report's first line.
    var description: String {
        switch self {
        case .inventory(let path): "inventory \(path)"
        case .simulated(let count, let seed, let clouds): "a simulated estate of \(count) resources (seed \(seed), \(clouds.joined(separator: ", ")))"
        case .job(let path): "the DiscoveryJob in \(path), run locally"
        }
    }

    /// Everything the provider found (sorted by provider and id, so output never depends on listing
    /// order) and the parts that failed (kept going without them).
    struct Loaded {
        var resources: [CloudResourceSpec]
        var failures: [DiscoveryFailure]
        var provider: String
    }

    func load() async throws -> Loaded {
        let provider = try await makeProvider()
        var specs: [CloudResourceSpec] = []
        var failures: [DiscoveryFailure] = []
        for try await event in provider.discover() {
            switch event {
            case .resources(let page): specs += page
            case .failure(let f): failures.append(f)
            }
        }
        specs.sort { ($0.provider, $0.id) < ($1.provider, $1.id) }
        return Loaded(resources: specs, failures: failures, provider: provider.description)
    }

    func makeProvider() async throws -> any DiscoveryProvider {
        switch self {
        case .inventory(let path):
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
                throw DiscoveryError.inventoryUnreadable(source: path, reason: (error as NSError).localizedDescription)
            }
            return InventoryProvider(data: data, format: InventoryReader.format(ofPath: path), source: path)
        case .simulated(let count, let seed, let clouds):
            return SimulatedProvider(settings: SimulatedDiscoverySettings(count: count, seed: seed, clouds: clouds))
        case .job(let path):
            return try await Self.jobProvider(path: path)
        }
    }

    /// The provider for the one DiscoveryJob in `path`. Secrets and ConfigMaps it references are read
    /// from the same file (there is no cluster); AWS jobs use the caller's AWS environment credentials.
    static func jobProvider(path: String) async throws -> any DiscoveryProvider {
        let docs = try ManifestFiles.documents(inFile: path)
        let jobs = docs.filter { $0.kind == "DiscoveryJob" }
        guard jobs.count == 1, let doc = jobs.first else {
            throw CLIError.manifest(file: path, message: jobs.isEmpty
                ? "holds no DiscoveryJob (kind: DiscoveryJob, apiVersion: \(VTag.apiVersion))"
                : "holds \(jobs.count) DiscoveryJobs (\(jobs.map(\.name).joined(separator: ", "))): put the one to plan in a file of its own")
        }
        var job = try doc.decode(DiscoveryJob.self)
        let violations = job.spec.admissionViolations()
        if !violations.isEmpty {
            throw CLIError.manifest(file: path, line: doc.line, message: "DiscoveryJob \"\(doc.name)\" would be refused: "
                + violations.map(\.description).joined(separator: "; "))
        }
        var secrets = try docs.filter { $0.kind == "Secret" }.map { try $0.decode(Secret.self) }
        if job.spec.provider == .aws {
            if let ref = job.spec.aws?.credentialsSecretRef {
                Console.current.note("note: plan uses your AWS environment credentials (AWS_ACCESS_KEY_ID, ...), not the Secret \(ref.name) the job names")
            }
            // The caller's key pair goes through the job's own Secret path; without one, the operator's
            // default chain (web identity) is tried, and its error says what to set.
            let env = ProcessEnvironment.current
            if let id = env["AWS_ACCESS_KEY_ID"], !id.isEmpty, let key = env["AWS_SECRET_ACCESS_KEY"], !key.isEmpty {
                var data = [AWSCredentialsSecretRef.defaultAccessKeyIDKey: id, AWSCredentialsSecretRef.defaultSecretAccessKeyKey: key]
                if let token = env["AWS_SESSION_TOKEN"], !token.isEmpty { data[AWSCredentialsSecretRef.defaultSessionTokenKey] = token }
                let name = "kubectl-vtag-plan-environment"
                secrets.append(Secret(metadata: ObjectMeta(name: name), stringData: data))
                job.spec.aws?.credentialsSecretRef = AWSCredentialsSecretRef(name: name)
            } else {
                job.spec.aws?.credentialsSecretRef = nil
            }
        }
        try PlanCloudCredentials.substitute(&job, secrets: &secrets, environment: ProcessEnvironment.current)
        let configMaps = try docs.filter { $0.kind == "ConfigMap" }.map { try $0.decode(ConfigMap.self) }
        let references = ReferenceReader(
            secret: { [secrets] _, name in secrets.first { $0.metadata.name == name } },
            configMap: { _, name in configMaps.first { $0.metadata.name == name } })
        do {
            return try await DefaultProviders.factory(job, references)
        } catch let error as ReconcileError {
            switch error.reason {
            case "ConfigMapNotFound":
                let ref = job.spec.inventory?.configMapRef
                throw CLIError.manifest(file: path, line: doc.line, message: "the job reads ConfigMap \(ref?.name ?? "?") key \(ref?.key ?? "?"), which is not in this file: with no cluster, put the ConfigMap in the same file as the job (after a --- line), or plan the inventory file itself with --inventory")
            case "NoCredentials" where job.spec.provider == .azure:
                throw CLIError.manifest(file: path, line: doc.line, message: "no Azure credentials: plan --job runs the discovery from this machine; put the job's Secret in the same file, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET in the environment")
            case "NoCredentials":
                throw CLIError.manifest(file: path, line: doc.line, message: "no AWS credentials: plan --job runs the discovery from this machine; set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary credentials) in the environment")
            default:
                throw CLIError.manifest(file: path, line: doc.line, message: error.description)
            }
        }
    }
}
