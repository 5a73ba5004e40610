import ArgumentParser
import AsyncHTTPClient
import Foundation
import K8sClient
import KubeCore
import NIOCore
import TaggingAPI

/// kubectl's connection flags, shared by every cluster command.
struct ClusterOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Path to the kubeconfig file (default: KUBECONFIG, else ~/.kube/config).", valueName: "PATH"))
    var kubeconfig: String?

    @Option(name: .long, help: "The kubeconfig context to use (default: its current-context).")
    var context: String?

    @Option(name: [.short, .long], help: "Namespace (default: the context's namespace, else default).")
    var namespace: String?

    /// Like K8sClient's shared client, but a refused or unreachable server fails the request at once
    /// instead of retrying the connection until the request deadline: a person is waiting.
    static let httpClient: HTTPClient = {
        var config = HTTPClient.Configuration()
        config.timeout = .init(connect: .seconds(5), read: nil)
        config.redirectConfiguration = .disallow
        config.decompression = .disabled
        config.connectionPool.retryConnectionEstablishment = false
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: config)
    }()

    /// Connects the way kubectl would: --kubeconfig, else KUBECONFIG, else in-cluster, else ~/.kube/config.
    func connect() throws -> ClusterSession {
        let configuration: ClientConfiguration
        do { configuration = try ClientConfiguration.load(kubeconfigPath: kubeconfig, context: context) } catch {
            throw CLIError("cannot load the Kubernetes configuration: \(error)")
        }
        var c = configuration
        c.userAgent = "kubectl-vtag/0.1"
        // Interactive: fail fast instead of retrying for a minute when the cluster is down.
        c.requestTimeout = .seconds(30)
        let client: KubeClient
        do { client = try KubeClient(configuration: c, httpClient: Self.httpClient) } catch {
            throw CLIError("cannot use the Kubernetes configuration: \(error)")
        }
        return ClusterSession(client: client, namespace: namespace ?? configuration.namespace, kubeconfigPath: kubeconfig)
    }
}

/// A connected client and the namespace commands act in.
struct ClusterSession: Sendable {
    let client: KubeClient
    let namespace: String
    let kubeconfigPath: String?

    var server: String { client.configuration.server.absoluteString }
    var source: String { client.configuration.source }

    func api<T: KubernetesObject>(_ type: T.Type) -> Api<T> { Api<T>(client: client, namespace: namespace) }

    /// Namespaced, or every namespace with -A.
    func api<T: KubernetesObject>(_ type: T.Type, allNamespaces: Bool) -> Api<T> {
        allNamespaces ? Api<T>.all(client) : Api<T>(client: client, namespace: namespace)
    }

    /// Runs `body`, turning what the API server answered into errors a person can act on.
    func run<R>(_ what: Operation, _ body: () async throws -> R) async throws -> R {
        do { return try await body() } catch let error as KubeClientError {
            throw explain(error, what)
        }
    }

    /// What a request was doing, for error messages: the verb and resource RBAC checks.
    struct Operation {
        var verb: String
        var resource: String
        var name: String?
        var allNamespaces = false
        /// What grants the right, when it is not one of the people roles' plain verbs.
        var rbacHint: String?

        init(_ verb: String, _ resource: String, _ name: String? = nil, allNamespaces: Bool = false, rbacHint: String? = nil) {
            self.verb = verb
            self.resource = resource
            self.name = name
            self.allNamespaces = allNamespaces
            self.rbacHint = rbacHint
        }
    }

    /// The vtag ClusterRole (manifests/rbac-people.yaml) that grants `verb` on `resource`.
    static func role(granting verb: String, on resource: String) -> String? {
        switch (resource, verb) {
        case (_, "get"), (_, "list"), (_, "watch"): return resource == "tagapprovals/status" ? "vtag-approver" : "vtag-viewer"
        case ("tagapprovals/status", _): return "vtag-approver"
        case ("cloudresources", "patch"), ("discoveryjobs", _), ("taggingrules", _): return "vtag-editor"
        default: return nil
        }
    }

    func explain(_ error: KubeClientError, _ op: Operation) -> CLIError {
        let scope = op.allNamespaces ? "in all namespaces" : "in namespace \(namespace)"
        let target = op.name.map { "\(Self.kind(of: op.resource)) \"\($0)\"" } ?? op.resource
        switch error {
        case .transport(_, _, let message):
            return CLIError("cannot reach the Kubernetes API server at \(server) (from \(source)): \(message). Check that the cluster is running and that --kubeconfig/--context point at it (kubectl cluster-info).")
        case .unauthorized:
            return CLIError("the API server at \(server) did not accept your credentials (\(source)): log in again or refresh the token in the kubeconfig.")
        case .forbidden(let status):
            var text = "forbidden: you may not \(op.verb) \(op.resource) \(scope) (\(status.message ?? "no detail"))."
            if let hint = op.rbacHint {
                text += " " + hint
            } else if let role = Self.role(granting: op.verb, on: op.resource) {
                text += " The ClusterRole \(role) grants it: kubectl create rolebinding NAME --clusterrole=\(role) --user=YOU -n \(op.allNamespaces ? "NAMESPACE" : namespace) (a namespace admin can bind it)."
            } else {
                text += " None of vtag's people roles grants it (manifests/rbac-people.yaml); ask a namespace admin."
            }
            return CLIError(text)
        case .notFound(let status):
            if status.details?.name == nil, op.name == nil || (status.message ?? "").contains("could not find the requested resource") {
                return CLIError("the API server at \(server) does not know \(op.resource).\(VTag.group): the vtag CRDs are not installed in this cluster (kubectl apply -f crds/).")
            }
            return CLIError("\(target) not found \(scope) (kubectl get \(op.resource) -n \(namespace) lists them).")
        case .invalid(let status, let causes):
            let detail = causes.compactMap { c in c.message.map { "\(c.field ?? "?"): \($0)" } }.joined(separator: "; ")
            return CLIError("the API server refused to \(op.verb) \(target): \(status.message ?? "")\(detail.isEmpty || (status.message ?? "").contains(detail) ? "" : " [\(detail)]")")
        case .conflict(let status):
            return CLIError("\(target) changed while it was being written (\(status.message ?? "conflict")); run the command again.")
        default:
            return CLIError("\(op.verb) \(target) \(scope) failed: \(error)")
        }
    }

    static func kind(of resource: String) -> String {
        switch resource.split(separator: "/").first.map(String.init) ?? resource {
        case "cloudresources": "CloudResource"
        case "tagapprovals": "TagApproval"
        case "discoveryjobs": "DiscoveryJob"
        case "taggingrules": "TaggingRule"
        default: resource
        }
    }

    /// Who the person is, for status.decidedBy: the API server's answer to a SelfSubjectReview, else the
    /// kubeconfig context's user name, else the login name.
    func whoAmI() async -> String {
        let body = #"{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}"#
        if let r = try? await client.send(.init(
                method: .POST, path: "/apis/authentication.k8s.io/v1/selfsubjectreviews",
                body: .init(string: body), verb: "create", idempotent: true)),
           let v = try? JSONValue.parseFast(Data(r.body.readableBytesView)),
           let name = v[path: "status", "userInfo", "username"]?.stringValue, !name.isEmpty {
            return name
        }
        if let user = kubeconfigUser(), !user.isEmpty { return user }
        return ProcessInfo.processInfo.environment["USER"] ?? "unknown"
    }

    func kubeconfigUser() -> String? {
        var paths: [String] = []
        if let kubeconfigPath { paths = [kubeconfigPath] } else if let list = ProcessInfo.processInfo.environment["KUBECONFIG"], !list.isEmpty {
            paths = list.split(separator: ":").map(String.init)
        } else if let home = ProcessInfo.processInfo.environment["HOME"] {
            paths = [home + "/.kube/config"]
        }
        guard let config = try? Kubeconfig.load(paths: paths, skipMissing: true) else { return nil }
        // The context in use is named in the configuration's source: `kubeconfig FILE context "NAME"`.
        let name = source.split(separator: "\"").dropFirst().first.map(String.init) ?? config.currentContext?.value
        return name.flatMap { config.contexts[$0]?.value.user }
    }
}

/// table or json, for cluster commands.
enum ClusterOutput: String, ExpressibleByArgument, CaseIterable { case table, json }

/// JSON as kubectl prints it: indented, keys sorted, dates RFC 3339.
enum JSONOutput {
    static func string<T: Encodable>(_ value: T) throws -> String {
        let encoder = KubeJSON.encoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
    }
}
