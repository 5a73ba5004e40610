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

    @Test func missingPluginNamesItselfAndItsInstallHint() async throws {
        var config = ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: "vtag-no-such-credential-plugin")
        config.installHint = "install it from the vendor's site"
        let spec = ExecSpec(config: config, kubeconfigDirectory: "/", cluster: nil, source: "test")
        let provider = CredentialProvider(auth: .exec(spec), tls: TLSSettings())
        let error = await #expect(throws: KubeClientError.self) { try await provider.current() }
        #expect(error?.configurationProblem?.field == "exec.command")
        #expect(error?.description.contains("vtag-no-such-credential-plugin") == true)
        #expect(error?.description.contains("No such file") == true)
        #expect(error?.description.contains("install it from the vendor's site") == true)
    }

    /// A plugin that prints far more than a pipe holds on both streams still finishes: both are read at once.
    @Test func chattyPluginDoesNotBlockOnFullPipes() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        try dir.write("chatty.sh", """
            #!/bin/sh
            i=0
            while [ $i -lt 3000 ]; do echo "progress line $i of a plugin that talks a lot" >&2; i=$((i+1)); done
            printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"chatty"},"padding":"'
            head -c 200000 /dev/zero | tr '\\0' 'x'
            printf '"}'
            """, executable: true)
        let spec = ExecSpec(config: ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: dir.path + "/chatty.sh"),
                            kubeconfigDirectory: dir.path, cluster: nil, source: "test")
        let provider = CredentialProvider(auth: .exec(spec), tls: TLSSettings())
        #expect(try await provider.current().authorization == "Bearer chatty")
    }

    /// The operator holds sockets and files open; a plugin must not inherit them (it could keep a
    /// connection alive after we close it, or read what it should not).
    @Test func pluginInheritsNoDescriptorOfOurs() async throws {
        let dir = try ScratchDir()
        defer { dir.cleanup() }
        let held = open(try dir.write("held", "secret"), O_RDONLY)  // no O_CLOEXEC, as a careless library would
        #expect(held > 2)
        defer { close(held) }
        try dir.write("fds.sh", """
            #!/bin/sh
            if [ -e /proc/self/fd/\(held) ]; then echo "descriptor \(held) inherited" >&2; exit 9; fi
            echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"clean"}}'
            """, executable: true)
        let spec = ExecSpec(config: ExecConfig(apiVersion: "client.authentication.k8s.io/v1", command: dir.path + "/fds.sh"),
                            kubeconfigDirectory: dir.path, cluster: nil, source: "test")
        let provider = CredentialProvider(auth: .exec(spec), tls: TLSSettings())
        #expect(try await provider.current().authorization == "Bearer clean")
    }
}
