import KubeCore
import Foundation

/// A throwaway CA, a server certificate for 127.0.0.1/::1/localhost and a client certificate
/// (CN=cert-user, O=system:masters), all signed by the CA. Made with the `openssl` CLI.
public struct TestCertificates: Sendable {
    public var directory: String
    public var caCertPath: String
    public var caKeyPath: String
    public var serverCertPath: String
    public var serverKeyPath: String
    public var clientCertPath: String
    public var clientKeyPath: String

    public var caCert: String
    public var serverCert: String
    public var serverKey: String
    public var clientCert: String
    public var clientKey: String

    /// Generates a fresh set in `directory` (created if missing).
    public static func generate(in directory: String) throws -> TestCertificates {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func p(_ n: String) -> String { (directory as NSString).appendingPathComponent(n) }
        let ext = p("server.ext")
        try "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
            .write(toFile: ext, atomically: true, encoding: .utf8)
        let clientExt = p("client.ext")
        try "extendedKeyUsage=clientAuth\n".write(toFile: clientExt, atomically: true, encoding: .utf8)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try runOpenSSL(["req", "-x509"] + ec + ["-keyout", p("ca.key"), "-out", p("ca.crt"), "-days", "3650",
                        "-subj", "/CN=vtag-test-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"])
        for (name, subj, extFile) in [("server", "/CN=kube-apiserver", ext), ("client", "/O=system:masters/CN=cert-user", clientExt)] {
            try runOpenSSL(["req"] + ec + ["-keyout", p("\(name).key"), "-out", p("\(name).csr"), "-subj", subj])
            try runOpenSSL(["x509", "-req", "-in", p("\(name).csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"),
                            "-CAcreateserial", "-out", p("\(name).crt"), "-days", "3650", "-extfile", extFile])
        }
        func read(_ n: String) throws -> String { try String(contentsOfFile: p(n), encoding: .utf8) }
        return TestCertificates(
            directory: directory, caCertPath: p("ca.crt"), caKeyPath: p("ca.key"),
            serverCertPath: p("server.crt"), serverKeyPath: p("server.key"),
            clientCertPath: p("client.crt"), clientKeyPath: p("client.key"),
            caCert: try read("ca.crt"), serverCert: try read("server.crt"), serverKey: try read("server.key"),
            clientCert: try read("client.crt"), clientKey: try read("client.key"))
    }

    /// One set per process: openssl takes a noticeable time and every test starts a server.
    static func shared() throws -> TestCertificates {
        try sharedCertificates.withLock { cached in
            if let c = cached { return c }
            let dir = NSTemporaryDirectory() + "vtag-test-ca-\(getpid())-\(UUID().uuidString.prefix(8))"
            let c = try generate(in: dir)
            cached = c
            return c
        }
    }

    static func runOpenSSL(_ args: [String]) throws {
        let proc = Process()
        proc.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        proc.arguments = ["openssl"] + args
        let errPipe = Pipe()
        proc.standardError = errPipe
        proc.standardOutput = FileHandle.nullDevice
        do {
            try proc.run()
        } catch {
            throw TestServerError("cannot run `openssl` (\(error)); install it (apt-get install openssl)")
        }
        let err = errPipe.fileHandleForReading.readDataToEndOfFile()
        proc.waitUntilExit()
        guard proc.terminationStatus == 0 else {
            throw TestServerError("openssl \(args.prefix(2).joined(separator: " ")) failed: \(String(decoding: err, as: UTF8.self))")
        }
    }
}

private let sharedCertificates = Locked<TestCertificates?>(nil)
