import Foundation
@testable import K8sClient

/// A scratch directory for one test, removed by `cleanup()`.
struct ScratchDir {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "k8sclient-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    @discardableResult
    func write(_ name: String, _ text: String, executable: Bool = false) throws -> String {
        let full = path + "/" + name
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: full))
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: full) }
        return full
    }

    func cleanup() { try? FileManager.default.removeItem(atPath: path) }
}

/// A self-signed certificate and key (fixture only; trusted by nothing).
enum Fixture {
    static let certificatePEM = """
        -----BEGIN CERTIFICATE-----
        MIIBjzCCATWgAwIBAgIUFliQ1hghjclvVjBl7zIfIJyf9DAwCgYIKoZIzj0EAwIw
        HDEaMBgGA1UEAwwRdnRhZy10ZXN0LWZpeHR1cmUwIBcNMjYxMTIyMDMzMDQ3WhgP
        MjEyNjEwMjkwMzMwNDdaMBwxGjAYBgNVBAMMEXZ0YWctdGVzdC1maXh0dXJlMFkw
        EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAExBo+/uKV/+mEKavMhVooD1eicLHwDiK5
        QVKQrjD97U4ukxDf7+1T/eyxWd9jHlRcpLI1I95qvwTkVex9LqXGtqNTMFEwHQYD
        VR0OBBYEFOuy1Du9Eki2WSVSh7WG4WCYX0e5MB8GA1UdIwQYMBaAFOuy1Du9Eki2
        WSVSh7WG4WCYX0e5MA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIg
        W8zbZMJz7NUaFOoSVCXljVVWNfwh4RfRT5XlovXhyMgCIQCydRX4tu/Gp1xuDNJb
        9+c+D+JIsNqVdc/iQ3cU3khDMg==
        -----END CERTIFICATE-----

        """

    static let keyPEM = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgM0wpbvplLNk9Kj/x
        Ir/2HykK9WPHwbQDETAq0HeGSRyhRANCAATEGj7+4pX/6YQpq8yFWigPV6JwsfAO
        IrlBUpCuMP3tTi6TEN/v7VP97LFZ32MeVFyksjUj3mq/BORV7H0upca2
        -----END PRIVATE KEY-----

        """

    static var certificateBase64: String { Data(certificatePEM.utf8).base64EncodedString() }
    static var keyBase64: String { Data(keyPEM.utf8).base64EncodedString() }
}
