import Foundation
import Testing

@testable import Discovery

/// The published AWS Signature Version 4 test suite
/// (https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html): each case's
/// canonical request, string to sign and Authorization header, for the suite's credentials.
struct SigV4Vector: Sendable, CustomTestStringConvertible {
    var name: String
    var method: String
    var path: String
    var query: [(String, String)] = []
    var headers: [(String, String)]
    var body: String = ""
    var creq: String
    var sts: String
    var authz: String

    var testDescription: String { name }
}

private let host = ("Host", "example.amazonaws.com")
private let date = ("X-Amz-Date", "20150830T123600Z")
private let scope = "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
private let credential = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
private let emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
private let suiteToken =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="

let sigV4Vectors: [SigV4Vector] = [
    SigV4Vector(
        name: "get-vanilla", method: "GET", path: "/", headers: [host, date],
        creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    SigV4Vector(
        name: "get-vanilla-query-order-key-case", method: "GET", path: "/", query: [("Param2", "value2"), ("Param1", "value1")],
        headers: [host, date],
        creq: "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    SigV4Vector(
        name: "get-vanilla-query-order-key", method: "GET", path: "/", query: [("Param1", "value2"), ("Param1", "Value1")],
        headers: [host, date],
        creq: "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "704b4cef673542d84cdff252633f065e8daeba5f168b77116f8b1bcaf3d38f89",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"),
    SigV4Vector(
        name: "get-vanilla-query-unreserved", method: "GET", path: "/",
        query: [
            (
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
                "-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            )
        ], headers: [host, date],
        creq:
            "GET\n/\n-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "c30d4703d9f799439be92736156d47ccfb2d879ddf56f5befa6d1d6aab979177",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"),
    SigV4Vector(
        name: "get-vanilla-utf8-query", method: "GET", path: "/", query: [("ሴ", "bar")], headers: [host, date],
        creq: "GET\n/\n%E1%88%B4=bar\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "eb30c5bed55734080471a834cc727ae56beb50e5f39d1bff6d0d38cb192a7073",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"),
    SigV4Vector(
        name: "get-header-value-trim", method: "GET", path: "/",
        headers: [host, ("My-Header1", " value1"), ("My-Header2", " \"a   b   c\""), date],
        creq:
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\nx-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n\(emptyHash)",
        sts: scope + "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
        authz: credential
            + "SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"),
    SigV4Vector(
        name: "get-header-key-duplicate", method: "GET", path: "/",
        headers: [host, ("My-Header1", "value2"), ("My-Header1", "value2"), ("My-Header1", "value1"), date],
        creq:
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value2,value2,value1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\(emptyHash)",
        sts: scope + "dc7f04a3abfde8d472b0ab1a418b741b7c67174dad1551b4117b15527fbe966c",
        authz: credential + "SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"),
    SigV4Vector(
        name: "get-header-value-order", method: "GET", path: "/",
        headers: [host, ("My-Header1", "value4"), ("My-Header1", "value1"), ("My-Header1", "value3"), ("My-Header1", "value2"), date],
        creq:
            "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value4,value1,value3,value2\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\(emptyHash)",
        sts: scope + "31ce73cd3f3d9f66977ad3dd957dc47af14df92fcd8509f59b349e9137c58b86",
        authz: credential + "SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"),
    SigV4Vector(
        name: "get-unreserved", method: "GET", path: "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        headers: [host, date],
        creq:
            "GET\n/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "6a968768eefaa713e2a6b16b589a8ea192661f098f37349f4e2c0082757446f9",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    SigV4Vector(
        name: "get-utf8", method: "GET", path: "/ሴ", headers: [host, date],
        creq: "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    SigV4Vector(
        name: "get-space", method: "GET", path: "/example space/", headers: [host, date],
        creq: "GET\n/example%20space/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "63ee75631ed7234ae61b5f736dfc7754cdccfedbff4b5128a915706ee9390d86",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=652487583200325589f1fba4c7e578f72c47cb61beeca81406b39ddec1366741"),
    SigV4Vector(
        name: "get-slashes", method: "GET", path: "//example//", headers: [host, date],
        creq: "GET\n/example/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "cb96b4ac96d501f7c5c15bc6d67b3035061cfced4af6585ad927f7e6c985c015",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84"),
    SigV4Vector(
        name: "get-relative-relative", method: "GET", path: "/example1/example2/../..", headers: [host, date],
        creq: "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    SigV4Vector(
        name: "get-slash-pointless-dot", method: "GET", path: "/./example", headers: [host, date],
        creq: "GET\n/example\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "214d50c111a8edc4819da6a636336472c916b5240f51e9a51b5c3305180cf702",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=ef75d96142cf21edca26f06005da7988e4f8dc83a165a80865db7089db637ec5"),
    SigV4Vector(
        name: "post-vanilla", method: "POST", path: "/", headers: [host, date],
        creq: "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    SigV4Vector(
        name: "post-vanilla-query", method: "POST", path: "/", query: [("Param1", "value1")], headers: [host, date],
        creq: "POST\n/\nParam1=value1\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(emptyHash)",
        sts: scope + "9d659678c1756bb3113e2ce898845a0a79dbbc57b740555917687f1b3340fbbd",
        authz: credential + "SignedHeaders=host;x-amz-date, Signature=28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    SigV4Vector(
        name: "post-header-value-case", method: "POST", path: "/", headers: [host, ("My-Header1", "VALUE1"), date],
        creq:
            "POST\n/\n\nhost:example.amazonaws.com\nmy-header1:VALUE1\nx-amz-date:20150830T123600Z\n\nhost;my-header1;x-amz-date\n\(emptyHash)",
        sts: scope + "d51ced243e649e3de6ef63afbbdcbca03131a21a7103a1583706a64618606a93",
        authz: credential + "SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"),
    SigV4Vector(
        name: "post-x-www-form-urlencoded", method: "POST", path: "/",
        headers: [("Content-Type", "application/x-www-form-urlencoded"), host, date], body: "Param1=value1",
        creq:
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        sts: scope + "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
        authz: credential + "SignedHeaders=content-type;host;x-amz-date, Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
    SigV4Vector(
        name: "post-x-www-form-urlencoded-parameters", method: "POST", path: "/",
        headers: [("Content-Type", "application/x-www-form-urlencoded; charset=utf8"), host, date], body: "Param1=value1",
        creq:
            "POST\n/\n\ncontent-type:application/x-www-form-urlencoded; charset=utf8\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
        sts: scope + "2e1cf7ed91881a30569e46552437e4156c823447bf1781b921b5d486c568dd1c",
        authz: credential + "SignedHeaders=content-type;host;x-amz-date, Signature=1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe"),
    SigV4Vector(
        name: "post-sts-header-before", method: "POST", path: "/", headers: [host, date, ("X-Amz-Security-Token", suiteToken)],
        creq:
            "POST\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\nx-amz-security-token:\(suiteToken)\n\nhost;x-amz-date;x-amz-security-token\n\(emptyHash)",
        sts: scope + "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
        authz: credential
            + "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"),
]

private let suiteCredentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
private let suiteSigner = SigV4Signer(service: "service", region: "us-east-1")

@Suite("SigV4 against the published test suite")
struct AWSSigV4Tests {
    @Test(arguments: sigV4Vectors)
    func vector(_ v: SigV4Vector) {
        let request = SigV4Request(method: v.method, path: v.path, query: v.query, headers: v.headers, body: Array(v.body.utf8))
        let signature = suiteSigner.signature(for: request, credentials: suiteCredentials, amzDate: "20150830T123600Z")
        #expect(signature.canonicalRequest == v.creq)
        #expect(signature.stringToSign == v.sts)
        #expect(signature.authorization == v.authz)
    }

    /// `sign` adds X-Amz-Date from the clock (formatted without a formatter) and the Authorization header.
    @Test func signAddsDateAndAuthorization() throws {
        var request = SigV4Request(method: "GET", path: "/", headers: [("Host", "example.amazonaws.com")])
        let when = try #require(AWSTimestamp.parseISO8601("2015-08-30T12:36:00Z"))
        suiteSigner.sign(&request, credentials: suiteCredentials, date: when)
        #expect(request.header("x-amz-date") == "20150830T123600Z")
        #expect(request.header("authorization") == sigV4Vectors[0].authz)
    }

    /// A session token is added and signed, as in the suite's post-sts-header-before case.
    @Test func signAddsAndSignsSessionToken() throws {
        var request = SigV4Request(method: "POST", path: "/", headers: [("Host", "example.amazonaws.com")])
        var temporary = suiteCredentials
        temporary.sessionToken = suiteToken
        let when = try #require(AWSTimestamp.parseISO8601("2015-08-30T12:36:00Z"))
        suiteSigner.sign(&request, credentials: temporary, date: when)
        #expect(request.header("x-amz-security-token") == suiteToken)
        #expect(request.header("authorization") == sigV4Vectors.first { $0.name == "post-sts-header-before" }!.authz)
    }

    /// Non-S3 services sign an already-encoded path encoded once more (Lambda's ARN in the path);
    /// S3 signs the path as sent and adds the payload hash header.
    @Test func pathEncodingDiffersForS3() {
        let wire = "/2017-03-31/tags/" + AWSPercentEncoding.encode("arn:aws:lambda:us-east-1:1:function:f")
        #expect(wire == "/2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A1%3Afunction%3Af")
        #expect(SigV4Signer(service: "lambda", region: "us-east-1").canonicalURI(wire).contains("arn%253Aaws%253Alambda"))
        #expect(SigV4Signer(service: "s3", region: "us-east-1", isS3: true).canonicalURI("/my-bucket/a%20b") == "/my-bucket/a%20b")

        var request = SigV4Request(method: "GET", path: "/", query: [("tagging", "")], headers: [("Host", "b.s3.amazonaws.com")])
        SigV4Signer(service: "s3", region: "us-east-1", isS3: true).sign(&request, credentials: suiteCredentials, date: Date())
        #expect(request.header("x-amz-content-sha256") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(request.header("authorization")?.contains("x-amz-content-sha256") == true)
    }

    @Test(arguments: [
        (0.0, "19700101T000000Z"), (951_782_400, "20000229T000000Z"), (1_440_938_160, "20150830T123600Z"),
        (4_102_444_799, "20991231T235959Z"),
    ])
    func amzDate(_ seconds: Double, _ expected: String) {
        #expect(AWSTimestamp.amzDate(Date(timeIntervalSince1970: seconds)) == expected)
    }
}
