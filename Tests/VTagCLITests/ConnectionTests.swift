import ArgumentParser
import Foundation
import K8sClient
import KubeCore
import KubeTestServer
import TaggingAPI
import Testing
@testable import VTagCLI

@Suite("kubectl conventions and errors")
struct ConnectionTests {
    @Test("no reachable server: the error names the server URL and the kubeconfig")
    func unreachable() async throws {
        let dir = try temporaryDirectory("unreachable")
        defer { try? FileManager.default.removeItem(at: dir) }
        // A port nothing listens on: bind one, then close it.
        let server = try await KubeAPITestServer.start(.init())
        let path = dir.appendingPathComponent("config").path
        try server.writeKubeconfig(to: path, user: .token("test-token"))
        let url = server.url
        try await server.shutdown()
        let r = await runCLI(["status", "--kubeconfig", path])
        let text = message(r.error)
        #expect(text.contains("cannot reach the Kubernetes API server at \(url)"), "\(text)")
        #expect(text.contains(path))
    }

    @Test("a bad --context and a missing kubeconfig are errors naming them")
    func badConfig() async throws {
        try await TestCluster.with { c in
            let r = await c.cli(["status", "--context", "prod"])
            #expect(message(r.error).contains("no context named \"prod\""), "\(message(r.error))")
        }
        let r = await runCLI(["export", "--kubeconfig", "/nonexistent/kubeconfig"])
        #expect(message(r.error).contains("/nonexistent/kubeconfig"))
    }

    @Test("-n overrides the context's namespace, which is the default; --context picks a context")
    func namespaces() async throws {
        try await TestCluster.with { c in
            let dir = try temporaryDirectory("ctx")
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("config").path
            try c.server.writeKubeconfig(to: path, user: .token("test-token"), context: "team", namespace: "kube-public")
            _ = try await Api<CloudResource>(client: c.client, namespace: "kube-public").create(CloudResource(
                metadata: ObjectMeta(name: "aws-x", namespace: "kube-public"), spec: CloudResourceSpec(provider: "aws", id: "x", type: "s3:bucket")))
            let inContext = await runCLI(["export", "--kubeconfig", path, "--context", "team"])
            #expect(inContext.out.contains("aws,x,s3:bucket"), "\(inContext.out) \(message(inContext.error))")
            let overridden = await runCLI(["export", "--kubeconfig", path, "-n", "default"])
            #expect(!overridden.out.contains("aws,x"))
        }
    }

    @Test("the credentials refused: the error says to log in again")
    func unauthorized() async throws {
        try await TestCluster.with { c in
            let dir = try temporaryDirectory("auth")
            defer { try? FileManager.default.removeItem(at: dir) }
            let path = dir.appendingPathComponent("config").path
            try c.server.writeKubeconfig(to: path, user: .token("wrong"))
            let r = await runCLI(["status", "--kubeconfig", path])
            #expect(message(r.error).contains("did not accept your credentials"), "\(message(r.error))")
        }
    }

    @Test("every command's --help has an example", arguments: [
        "plan", "approve", "deny", "discover", "import", "export", "tag", "untag", "status", "audit", "eval",
    ])
    func help(command: String) throws {
        let text = KubectlVTag.helpMessage(for: try #require(KubectlVTag.configuration.subcommands.first { $0.configuration.commandName == command }))
        #expect(text.contains("kubectl vtag \(command)"), "\(text)")
        if !["plan", "eval"].contains(command) {
            #expect(text.contains("--kubeconfig") && text.contains("--context") && text.contains("--namespace"))
        }
    }
}
