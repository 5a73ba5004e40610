import Foundation
import Testing
@testable import K8sClient

@Suite("kubeconfig parsing and resolution")
struct KubeconfigTests {
    func config(cluster: String = "c1", server: String = "https://127.0.0.1:6443", extraCluster: String = "", user: String = "token: abc", namespace: String = "team-a") -> String {
        """
        apiVersion: v1
        kind: Config
        current-context: ctx
        clusters:
        - name: \(cluster)
          cluster:
            server: \(server)
        \(extraCluster)
        users:
        - name: u1
          user:
            \(user)
        contexts:
        - name: ctx
          context:
            cluster: \(cluster)
            user: u1
            namespace: \(namespace)
        """
    }

    @Test func resolvesServerTokenAndNamespace() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config())
        let c = try Kubeconfig.load(paths: [path]).resolve()
        #expect(c.server.absoluteString == "https://127.0.0.1:6443")
        #expect(c.auth == .token("abc"))
        #expect(c.namespace == "team-a")
        #expect(c.source.contains(path))
    }

    @Test func mergesFilesFirstOneWins() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let first = try dir.write("a", """
            current-context: from-a
            clusters:
            - name: shared
              cluster:
                server: https://first.example:443
            contexts:
            - name: from-a
              context: {cluster: shared, namespace: a}
            """)
        let second = try dir.write("b", """
            current-context: from-b
            clusters:
            - name: shared
              cluster:
                server: https://second.example:443
            - name: only-b
              cluster:
                server: https://only-b.example:443
            contexts:
            - name: from-b
              context: {cluster: only-b, namespace: b}
            - name: from-a
              context: {cluster: only-b, namespace: ignored}
            """)
        let merged = try Kubeconfig.load(paths: [first, second])
        #expect(merged.currentContext?.value == "from-a")
        let a = try merged.resolve()
        #expect(a.server.host == "first.example")
        #expect(a.namespace == "a")
        // --context picks an entry that only the second file defines.
        let b = try merged.resolve(context: "from-b")
        #expect(b.server.host == "only-b.example")
        #expect(b.namespace == "b")
    }

    @Test func missingKubeconfigListEntriesAreSkipped() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config())
        let c = try ClientConfiguration.load(environment: ["KUBECONFIG": "\(dir.path)/absent:\(path)"])
        #expect(c.auth == .token("abc"))
    }

    @Test func caPathIsRelativeToTheKubeconfigDirectory() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        try dir.write("certs/ca.pem", Fixture.certificatePEM)
        let path = try dir.write("config", config(extraCluster: "    certificate-authority: certs/ca.pem"))
        let c = try Kubeconfig.load(paths: [path]).resolve()
        #expect(c.tls.caPEM == Array(Fixture.certificatePEM.utf8))
    }

    @Test func caDataAndClientCertificateData() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let user = """
            client-certificate-data: \(Fixture.certificateBase64)
                client-key-data: \(Fixture.keyBase64)
            """
        let path = try dir.write("config", config(extraCluster: "    certificate-authority-data: \(Fixture.certificateBase64)", user: user))
        let c = try Kubeconfig.load(paths: [path]).resolve()
        #expect(c.tls.caPEM == Array(Fixture.certificatePEM.utf8))
        #expect(c.tls.clientCertificatePEM == Array(Fixture.certificatePEM.utf8))
        #expect(c.tls.clientKeyPEM == Array(Fixture.keyPEM.utf8))
        #expect(c.auth == AuthSource.none)
        // The material builds a usable TLS configuration.
        _ = try c.tls.makeTLSConfiguration()
    }

    @Test func unknownContextNamesTheContextAndKnownOnes() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config())
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve(context: "nope") }
        #expect(error.configurationProblem?.context == "nope")
        #expect(error.description.contains("known: ctx"))
    }

    @Test func contextPointingAtMissingClusterNamesFileContextAndField() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        var text = config()
        text = text.replacingOccurrences(of: "cluster: c1\n    user", with: "cluster: ghost\n    user")
        let path = try dir.write("config", text)
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.file == path)
        #expect(error.configurationProblem?.context == "ctx")
        #expect(error.configurationProblem?.field == "contexts[ctx].context.cluster")
        #expect(error.description.contains("ghost"))
    }

    @Test func badBase64CANamesTheField() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(extraCluster: "    certificate-authority-data: '%%%not-base64'"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "clusters[c1].cluster.certificate-authority-data")
        #expect(error.configurationProblem?.file == path)
    }

    @Test func caDataThatIsNotPEMIsRefused() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let notPEM = Data("hello".utf8).base64EncodedString()
        let path = try dir.write("config", config(extraCluster: "    certificate-authority-data: \(notPEM)"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.description.contains("PEM"))
    }

    @Test func missingCAFileNamesThePath() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(extraCluster: "    certificate-authority: nowhere/ca.pem"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "clusters[c1].cluster.certificate-authority")
        #expect(error.description.contains(dir.path + "/nowhere/ca.pem"))
    }

    @Test func wrongYAMLTypeNamesTheFieldPath() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(server: "[a, b]"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]) }
        #expect(error.configurationProblem?.file == path)
        #expect(error.configurationProblem?.field == "clusters[0].cluster.server")
    }

    @Test func serverThatIsNotAURLIsRefused() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(server: "ftp://x"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "clusters[c1].cluster.server")
    }

    @Test func certificateWithoutKeyIsRefused() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(user: "client-certificate-data: \(Fixture.certificateBase64)"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "users[u1].user.client-key")
    }

    @Test func unsupportedExecVersionIsRefused() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let user = """
            exec:
                  apiVersion: client.authentication.k8s.io/v1alpha1
                  command: foo
            """
        let path = try dir.write("config", config(user: user))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "users[u1].user.exec.apiVersion")
    }

    @Test func missingTokenFileIsRefused() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("config", config(user: "tokenFile: missing-token"))
        let error = try #require(throws: KubeClientError.self) { try Kubeconfig.load(paths: [path]).resolve() }
        #expect(error.configurationProblem?.field == "users[u1].user.tokenFile")
        #expect(error.description.contains(dir.path + "/missing-token"))
    }

    @Test func explicitFileThatDoesNotExist() throws {
        let error = try #require(throws: KubeClientError.self) { try ClientConfiguration.load(kubeconfigPath: "/nonexistent/kubeconfig", environment: [:]) }
        #expect(error.configurationProblem?.file == "/nonexistent/kubeconfig")
    }

    @Test func resolutionOrderExplicitThenKubeconfigThenInClusterThenHome() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let explicit = try dir.write("explicit", config(namespace: "explicit"))
        let env = try dir.write("env", config(namespace: "env"))
        try dir.write("home/.kube/config", config(namespace: "home"))
        let sa = dir.path + "/sa"
        try dir.write("sa/token", "sa-token\n")
        try dir.write("sa/namespace", "in-cluster")
        let inCluster = ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"]
        var all = inCluster
        all["KUBECONFIG"] = env
        all["HOME"] = dir.path + "/home"
        #expect(try ClientConfiguration.load(kubeconfigPath: explicit, environment: all, serviceAccountDirectory: sa).namespace == "explicit")
        #expect(try ClientConfiguration.load(environment: all, serviceAccountDirectory: sa).namespace == "env")
        all["KUBECONFIG"] = nil
        #expect(try ClientConfiguration.load(environment: all, serviceAccountDirectory: sa).namespace == "in-cluster")
        all.removeValue(forKey: "KUBERNETES_SERVICE_HOST")
        #expect(try ClientConfiguration.load(environment: all, serviceAccountDirectory: sa).namespace == "home")
        all["HOME"] = dir.path + "/nobody"
        #expect(throws: KubeClientError.self) { try ClientConfiguration.load(environment: all, serviceAccountDirectory: sa) }
    }

    @Test func inClusterConfiguration() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        try dir.write("token", "t1")
        try dir.write("ca.crt", Fixture.certificatePEM)
        try dir.write("namespace", "ops\n")
        let c = try ClientConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "fd00::1", "KUBERNETES_SERVICE_PORT": "6443"], directory: dir.path)
        #expect(c.server.absoluteString == "https://[fd00::1]:6443")
        #expect(c.namespace == "ops")
        #expect(c.auth == .tokenFile(dir.path + "/token"))
        #expect(c.tls.caPEM == Array(Fixture.certificatePEM.utf8))
    }

    @Test func inClusterWithoutTokenNamesTheFile() throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let error = try #require(throws: KubeClientError.self) {
            try ClientConfiguration.inCluster(environment: ["KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"], directory: dir.path)
        }
        #expect(error.configurationProblem?.file == dir.path + "/token")
    }
}
