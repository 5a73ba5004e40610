import Foundation
import Testing
@testable import K8sClient

@Suite("credentials: token files and exec plugins")
struct CredentialTests {
    @Test func tokenFileIsReReadWhenItChanges() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let path = try dir.write("token", "first\n")
        let provider = CredentialProvider(auth: .tokenFile(path), tls: TLSSettings())
        #expect(try await provider.current().authorization == "Bearer first")
        // Rotation as the kubelet does it: a new file swapped in (new inode).
        let next = try dir.write("token.new", "second")
        #expect(rename(next, path) == 0)
        #expect(try await provider.current().authorization == "Bearer second")
    }

    /// A plugin that counts its runs in a file and answers a token with the given expiry.
    func plugin(_ dir: ScratchDir, expiry: String?, version: String = "client.authentication.k8s.io/v1") throws -> ExecSpec {
        let expiryField = expiry.map { #","expirationTimestamp":"\#($0)""# } ?? ""
        try dir.write("plugin.sh", """
            #!/bin/sh
            n=$(cat "$(dirname "$0")/count" 2>/dev/null || echo 0)
            n=$((n+1))
            echo $n > "$(dirname "$0")/count"
            case "$KUBERNETES_EXEC_INFO" in *'"interactive":false'*) ;; *) echo "no exec info" >&2; exit 3;; esac
            echo '{"apiVersion":"\(version)","kind":"ExecCredential","status":{"token":"tok-'$n'"\(expiryField)}}'
            """, executable: true)
        return ExecSpec(
            config: ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: "./plugin.sh"),
            kubeconfigDirectory: dir.path, cluster: nil, source: dir.path + "/kubeconfig")
    }

    @Test func execPluginAnswerIsCachedUntilExpiry() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let provider = CredentialProvider(auth: .exec(try plugin(dir, expiry: "2999-01-01T00:00:00Z")), tls: TLSSettings())
        #expect(try await provider.current().authorization == "Bearer tok-1")
        #expect(try await provider.current().authorization == "Bearer tok-1")
        // A 401 invalidates the cache: the plugin runs again.
        await provider.invalidate()
        #expect(try await provider.current().authorization == "Bearer tok-2")
    }

    @Test func expiredExecCredentialIsRefreshed() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let provider = CredentialProvider(auth: .exec(try plugin(dir, expiry: "2000-01-01T00:00:00Z")), tls: TLSSettings())
        #expect(try await provider.current().authorization == "Bearer tok-1")
        #expect(try await provider.current().authorization == "Bearer tok-2")
    }

    @Test func execPluginWithWrongVersionIsAClearError() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let provider = CredentialProvider(auth: .exec(try plugin(dir, expiry: nil, version: "client.authentication.k8s.io/v1beta1")), tls: TLSSettings())
        let error = await #expect(throws: KubeClientError.self) { try await provider.current() }
        #expect(error?.configurationProblem?.field == "exec")
        #expect(error?.description.contains("apiVersion") == true)
    }

    @Test func failingPluginReportsItsStderr() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        try dir.write("fail.sh", "#!/bin/sh\necho 'please log in first' >&2\nexit 7\n", executable: true)
        let spec = ExecSpec(config: ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: dir.path + "/fail.sh"),
                            kubeconfigDirectory: dir.path, cluster: nil, source: "test")
        let provider = CredentialProvider(auth: .exec(spec), tls: TLSSettings())
        let error = await #expect(throws: KubeClientError.self) { try await provider.current() }
        #expect(error?.configurationProblem?.field == "exec")
        #expect(error?.description.contains("please log in first") == true)
        #expect(error?.description.contains("status 7") == true)
    }
}
