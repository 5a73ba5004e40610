import Crypto
import Foundation

/// A request as AWS Signature Version 4 sees it.
public struct SigV4Request: Sendable {
    public var method: String
    /// The path as sent on the wire (already percent-encoded where the protocol needs it).
    public var path: String
    /// Query parameters, not encoded; the signer and the transport encode them the same way.
    public var query: [(String, String)]
    /// Headers in the order given; `Host` must be among them. The signer adds its own.
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(method: String, path: String, query: [(String, String)] = [], headers: [(String, String)], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
    }

    /// The value of the first header with this name (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }

    /// The query string as sent on the wire, encoded like the canonical query.
    public var encodedQuery: String { AWSPercentEncoding.formEncode(query) }
}

/// The parts of a signature, kept so tests can compare each with the published vectors.
public struct SigV4Signature: Sendable, Hashable {
    public var canonicalRequest: String
    public var stringToSign: String
    public var signature: String
    public var authorization: String
}

/// AWS Signature Version 4 (HMAC-SHA256), as in
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
public struct SigV4Signer: Sendable {
    public var service: String
    public var region: String
    /// S3 signs the path exactly as sent and requires `x-amz-content-sha256`; every other service
    /// normalises the path and encodes it once more.
    public var isS3: Bool

    public init(service: String, region: String, isS3: Bool = false) {
        self.service = service
        self.region = region
        self.isS3 = isS3
    }

    /// Headers a proxy or the HTTP stack may change in flight, so they are never signed.
    private static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "content-length", "connection", "expect", "x-amzn-trace-id", "transfer-encoding",
    ]

    /// Adds `X-Amz-Date`, the session token, the payload hash (S3) and `Authorization` to the request.
    @discardableResult
    public func sign(_ request: inout SigV4Request, credentials: AWSCredentials, date: Date) -> SigV4Signature {
        let amzDate = AWSTimestamp.amzDate(date)
        if request.header("x-amz-date") == nil { request.headers.append(("X-Amz-Date", amzDate)) }
        if let token = credentials.sessionToken, request.header("x-amz-security-token") == nil {
            request.headers.append(("X-Amz-Security-Token", token))
        }
        let payloadHash = Self.hex(SHA256.hash(data: request.body))
        if isS3, request.header("x-amz-content-sha256") == nil {
            request.headers.append(("x-amz-content-sha256", payloadHash))
        }
        let result = signature(for: request, credentials: credentials, amzDate: amzDate, payloadHash: payloadHash)
        request.headers.append(("Authorization", result.authorization))
        return result
    }

    /// Computes the signature of a request whose headers are complete (used by `sign` and the vector tests).
    public func signature(for request: SigV4Request, credentials: AWSCredentials, amzDate: String, payloadHash: String? = nil)
        -> SigV4Signature
    {
        let payloadHash = payloadHash ?? Self.hex(SHA256.hash(data: request.body))
        let (canonicalHeaders, signedHeaders) = Self.canonicalHeaders(request.headers)
        let canonicalRequest = [
            request.method.uppercased(),
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            canonicalHeaders,
            signedHeaders,
            payloadHash,
        ].joined(separator: "\n")

        let dateStamp = String(amzDate.prefix(8))
        let scope = "\(dateStamp)/\(region)/\(service)/aws4_request"
        let stringToSign = [
            "AWS4-HMAC-SHA256", amzDate, scope, Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")

        let key = signingKey(secret: credentials.secretAccessKey, dateStamp: dateStamp)
        let signature = Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key))
        let authorization =
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(signedHeaders), Signature=\(signature)"
        return SigV4Signature(
            canonicalRequest: canonicalRequest, stringToSign: stringToSign, signature: signature, authorization: authorization)
    }

    private func signingKey(secret: String, dateStamp: String) -> SymmetricKey {
        func hmac(_ key: SymmetricKey, _ data: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(data.utf8), using: key))
        }
        let kDate = hmac(SymmetricKey(data: Array("AWS4\(secret)".utf8)), dateStamp)
        return hmac(hmac(hmac(kDate, region), service), "aws4_request")
    }

    /// S3: the path as sent. Others: dot segments and empty segments removed, then encoded again
    /// (so `%3A` on the wire is `%253A` here, as AWS computes it).
    func canonicalURI(_ path: String) -> String {
        if path.isEmpty { return "/" }
        if isS3 { return path }
        var segments: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = segments.popLast()
            default: segments.append(segment)
            }
        }
        var normalized = "/" + segments.joined(separator: "/")
        if path.hasSuffix("/"), !segments.isEmpty { normalized += "/" }
        return AWSPercentEncoding.encode(normalized, keepSlash: true)
    }

    static func canonicalQuery(_ query: [(String, String)]) -> String {
        query.map { (AWSPercentEncoding.encode($0.0), AWSPercentEncoding.encode($0.1)) }
            .sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            .map { "\($0.0)=\($0.1)" }
            .joined(separator: "&")
    }

    /// Lower-case names, sorted; repeated headers joined by commas in order; values trimmed with
    /// inner runs of spaces collapsed. Returns the block (each line ends in a newline) and the names.
    static func canonicalHeaders(_ headers: [(String, String)]) -> (String, String) {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let lower = name.lowercased()
            if unsignedHeaders.contains(lower) { continue }
            values[lower, default: []].append(collapseSpaces(value))
        }
        let names = values.keys.sorted()
        var block = ""
        for name in names { block += "\(name):\(values[name]!.joined(separator: ","))\n" }
        return (block, names.joined(separator: ";"))
    }

    private static func collapseSpaces(_ value: String) -> String {
        var out = ""
        out.reserveCapacity(value.utf8.count)
        var pendingSpace = false
        for ch in value.trimmingCharacters(in: .whitespaces) {
            if ch == " " || ch == "\t" {
                pendingSpace = true
            } else {
                if pendingSpace { out.append(" ") }
                pendingSpace = false
                out.append(ch)
            }
        }
        return out
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let table = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in digest {
            out.append(table[Int(b >> 4)])
            out.append(table[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// AWS's compact UTC timestamps, computed without a formatter (formatters are neither cheap nor Sendable).
enum AWSTimestamp {
    /// `20150830T123600Z`
    static func amzDate(_ date: Date) -> String {
        let secs = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let rem = secs - days * 86_400
        let (y, m, d) = civil(fromDays: days)
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)\(two(m))\(two(d))T\(two(rem / 3600))\(two(rem % 3600 / 60))\(two(rem % 60))Z"
    }

    /// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm).
    private static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Parses the ISO 8601 times STS returns: `2026-11-22T04:26:39Z`, with any number of fraction
    /// digits (moto writes six) and `Z` or a `±hh:mm` offset.
    static func parseISO8601(_ s: String) -> Date? {
        let b = Array(s.utf8)
        func num(_ from: Int, _ count: Int) -> Int64? {
            guard from + count <= b.count else { return nil }
            var v: Int64 = 0
            for i in from..<from + count {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                v = v * 10 + Int64(b[i] - 0x30)
            }
            return v
        }
        guard b.count >= 19, b[4] == 0x2D, b[7] == 0x2D, b[10] == 0x54 || b[10] == 0x74, b[13] == 0x3A, b[16] == 0x3A,
            let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2), let sec = num(17, 2),
            (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, sec < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if i < b.count, b[i] == 0x2E {
            i += 1
            var scale = 0.1
            while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
        }
        var offset: Int64 = 0
        if i < b.count, b[i] == 0x5A || b[i] == 0x7A {
            i += 1
        } else if i + 6 <= b.count, b[i] == 0x2B || b[i] == 0x2D, let oh = num(i + 1, 2), b[i + 3] == 0x3A, let om = num(i + 4, 2) {
            offset = (oh * 3600 + om * 60) * (b[i] == 0x2B ? 1 : -1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let seconds = days(fromCivil: y, mo, d) * 86_400 + h * 3600 + mi * 60 + sec - offset
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// A proleptic Gregorian date to days since 1970-01-01 (H. Hinnant's algorithm).
    private static func days(fromCivil y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
