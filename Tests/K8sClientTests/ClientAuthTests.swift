import Foundation
import KubeCore
import KubeTestServer
import Testing
@testable import K8sClient

/// The kubeconfig matrix, end to end: every way of authenticating and trusting the server, through
/// real TLS on loopback.
@Suite("kubeconfig matrix against the test server")
struct ClientAuthTests {
    enum Case: String, CaseIterable, Sendable {
        case tokenCAData, tokenFileCAFile, clientCertFilesCAData, clientCertDataCAFile, execCAData, tokenInsecure
    }

    @Test(arguments: Case.allCases)
    func authenticatesAndTrusts(_ c: Case) async throws {
        try await withServer { server, _ in
            let dir = try ScratchDir()
            defer { dir.cleanup() }
            let kubeconfig = dir.path + "/kubeconfig"
            switch c {
            case .tokenCAData: try server.writeKubeconfig(to: kubeconfig, user: .token("test-token"), trust: .caData)
            case .tokenFileCAFile:
                let token = try dir.write("token", "test-token\n")
                try server.writeKubeconfig(to: kubeconfig, user: .tokenFile(token), trust: .caFile)
            case .clientCertFilesCAData: try server.writeKubeconfig(to: kubeconfig, user: .clientCertFiles, trust: .caData)
            case .clientCertDataCAFile: try server.writeKubeconfig(to: kubeconfig, user: .clientCertData, trust: .caFile)
            case .execCAData:
                let plugin = try dir.write("plugin.sh", """
                    #!/bin/sh
                    echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"test-token","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
                    """, executable: true)
                try server.writeKubeconfig(to: kubeconfig, user: .exec(command: plugin), trust: .caData)
            case .tokenInsecure: try server.writeKubeconfig(to: kubeconfig, user: .token("test-token"), trust: .insecure)
            }
            let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: kubeconfig, environment: [:]))
            let api = Api<ConfigMap>(client: client, namespace: "default")
            let name = uniqueName("auth")
            let created = try await api.create(ConfigMap(metadata: ObjectMeta(name: name), data: ["case": c.rawValue]))
            #expect(created.metadata.uid != nil)
            #expect(try await api.get(name).data == ["case": c.rawValue])
            let seen = server.requests().filter { $0.resource == "configmaps" }
            #expect(seen.count == 2)
            #expect(seen.allSatisfy { $0.user != nil && $0.user != "system:anonymous" })
        }
    }

    @Test func untrustedServerIsATransportError() async throws {
        try await withServer { server, _ in
            let dir = try ScratchDir()
            defer { dir.cleanup() }
            var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            config.tls.caPEM = Array(Fixture.certificatePEM.utf8)  // trusts a CA that did not sign the server
            config.retry = .none
            let client = try KubeClient(configuration: config)
            let error = await #expect(throws: KubeClientError.self) { try await Api<ConfigMap>(client: client, namespace: "default").list() }
            #expect(error?.isTransport == true)
        }
    }

    @Test func badTokenIsUnauthorized() async throws {
        try await withServer { server, _ in
            var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            config.auth = .token("not-a-token")
            let client = try KubeClient(configuration: config)
            let error = await #expect(throws: KubeClientError.self) { try await Api<ConfigMap>(client: client, namespace: "default").list() }
            #expect(error?.isUnauthorized == true)
        }
    }

    @Test func rotatedTokenFileIsUsed() async throws {
        try await withServer(.init(tokens: ["t-alice": "alice", "t-bob": "bob"], requireAuth: true)) { server, _ in
            let dir = try ScratchDir()
            defer { dir.cleanup() }
            let token = try dir.write("token", "t-alice")
            var config = try ClientConfiguration.load(kubeconfigPath: server.kubeconfigPath, environment: [:])
            config.auth = .tokenFile(token)
            let client = try KubeClient(configuration: config)
            let api = Api<ConfigMap>(client: client, namespace: "default")
            _ = try await api.list()
            #expect(server.requests().last?.user == "alice")
            let next = try dir.write("token.next", "t-bob")
            #expect(rename(next, token) == 0)
            _ = try await api.list()
            #expect(server.requests().last?.user == "bob")
        }
    }

    @Test func execPluginRunsAgainAfter401() async throws {
        try await withServer { server, _ in
            let dir = try ScratchDir()
            defer { dir.cleanup() }
            // First run answers a token the server refuses; the second a good one.
            let plugin = try dir.write("plugin.sh", """
                #!/bin/sh
                n=$(cat "$(dirname "$0")/count" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$(dirname "$0")/count"
                if [ $n -eq 1 ]; then t=stale; else t=test-token; fi
                echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"'$t'","expirationTimestamp":"2999-01-01T00:00:00Z"}}'
                """, executable: true)
            let kubeconfig = dir.path + "/kubeconfig"
            try server.writeKubeconfig(to: kubeconfig, user: .exec(command: plugin))
            let client = try KubeClient(configuration: ClientConfiguration.load(kubeconfigPath: kubeconfig, environment: [:]))
            let api = Api<ConfigMap>(client: client, namespace: "default")
            _ = try await api.list()
            _ = try await api.list()
            let runs = try String(contentsOfFile: dir.path + "/count", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(runs == "2")
            #expect(server.requests().map(\.responseStatus) == [401, 200, 200])
        }
    }
}
