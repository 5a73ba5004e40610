import Foundation
import Testing
import TaggingAPI

@Suite struct ResourceNamingTests {
    static let dnsLabel = try! NSRegularExpression(pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")

    static func isDNSLabel(_ s: String) -> Bool {
        s.count <= 63 && dnsLabel.firstMatch(in: s, range: NSRange(s.startIndex..., in: s)) != nil
    }

    static let ids: [(String, String)] = [
        ("aws", "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc123def4567890"),
        ("aws", "arn:aws:s3:::my.bucket.with.dots"),
        ("aws", "arn:aws:lambda:us-east-1:123456789012:function:" + String(repeating: "VeryLongFunctionName", count: 10)),
        ("gcp", "//compute.googleapis.com/projects/p/zones/europe-west1-b/instances/web-1"),
        ("azure", "/subscriptions/0000/resourceGroups/RG/providers/Microsoft.Compute/virtualMachines/VM_01"),
        ("aws", "---"),
        ("aws", ""),
        ("", "i-123"),
        ("A Very Long Provider Name That Nobody Uses Really", "i-123"),
        ("aws", "ünïcödé-ресурс"),
    ]

    @Test func namesAreDNSLabelsOfAtMost63Characters() {
        for (provider, id) in Self.ids {
            let name = ResourceNaming.name(provider: provider, id: id)
            #expect(Self.isDNSLabel(name), "\(provider) \(id) -> \(name)")
        }
    }

    @Test func namesAreDeterministicAndReadable() {
        let id = "arn:aws:ec2:eu-west-1:123456789012:instance/i-0abc123def4567890"
        let name = ResourceNaming.name(provider: "aws", id: id)
        #expect(name == ResourceNaming.name(provider: "aws", id: id))
        #expect(name.hasPrefix("aws-i-0abc123def4567890-"))
        // A change here renames every CloudResource and duplicates the inventory on upgrade: never change it.
        // The suffix is the low 40 bits of FNV-1a 64 of "provider/id" (checked against an independent FNV-1a).
        #expect(name == "aws-i-0abc123def4567890-" + String(String(ResourceNaming.fnv1a64("aws/\(id)"), radix: 16).leftPadded(16).suffix(10)))
        #expect(name == "aws-i-0abc123def4567890-9171f5501f")
    }

    @Test func idsDifferingOnlyInCaseOrPunctuationGetDistinctNames() {
        let pairs = [
            ("bucket-A", "bucket-a"), ("my.bucket", "my-bucket"), ("my_bucket", "my-bucket"), ("vm:1", "vm/1"), ("x--y", "x-y"),
        ]
        for (a, b) in pairs {
            #expect(ResourceNaming.name(provider: "aws", id: a) != ResourceNaming.name(provider: "aws", id: b), "\(a) vs \(b)")
        }
        #expect(ResourceNaming.name(provider: "aws", id: "i-1") != ResourceNaming.name(provider: "gcp", id: "i-1"))
    }

    @Test func longIdsAreShortenedWithTheHashKept() {
        let long = "function:" + String(repeating: "a", count: 200)
        let a = ResourceNaming.name(provider: "aws", id: long)
        let b = ResourceNaming.name(provider: "aws", id: long + "b")
        #expect(a.count == 63 && b.count == 63)
        #expect(a != b)
        #expect(a.dropLast(11) == b.dropLast(11))
    }

    @Test func labelValuesAreValid() {
        let label = try! NSRegularExpression(pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
        for s in ["ec2:instance", "eu-west-1", "123456789012", "-x-", "", ":::", String(repeating: "z", count: 100), "Microsoft.Compute/virtualMachines"] {
            let v = ResourceNaming.labelValue(s)
            #expect(v.count <= 63 && label.firstMatch(in: v, range: NSRange(v.startIndex..., in: v)) != nil, "\(s) -> \(v)")
        }
        #expect(ResourceNaming.labelValue("ec2:instance") == "ec2.instance")
        let labels = CloudResource.mirrorLabels(for: CloudResourceSpec(provider: "aws", id: "i-1", type: "ec2:instance", account: "", region: "eu-west-1"))
        #expect(labels == [VTag.Label.provider: "aws", VTag.Label.type: "ec2.instance", VTag.Label.region: "eu-west-1"])
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
