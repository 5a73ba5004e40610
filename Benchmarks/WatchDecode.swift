// Watch-stream decoding throughput: 100,000 CloudResource-sized watch events (~2-3 KB of JSON each),
// fed in 64 KiB chunks (as a chunked HTTP answer arrives) through LineSplitter and the typed decoder.
import Foundation
import K8sClient
import KubeCore
import NIOCore
import NIOFoundationCompat
import TaggingAPI

enum WatchDecodeBenchmark {
    static func run() async throws {
        let count = 100_000
        let stream = makeStream(count: count)
        let chunkSize = 64 * 1024
        print("watch-decode: \(count) events, \(stream.readableBytes / count) bytes/event average, \(stream.readableBytes / chunkSize + 1) chunks of \(chunkSize) bytes")

        // Pre-slice the chunks so only splitting and decoding are timed.
        var chunks: [ByteBuffer] = []
        var rest = stream
        while rest.readableBytes > 0 { chunks.append(rest.readSlice(length: min(chunkSize, rest.readableBytes))!) }

        // Splitting alone, to tell framing cost from JSON decoding cost.
        do {
            let clock = ContinuousClock()
            var lines = 0
            let elapsed = try clock.measure {
                var splitter = LineSplitter()
                for chunk in chunks {
                    splitter.append(chunk)
                    while try splitter.nextLine() != nil { lines += 1 }
                }
            }
            precondition(lines == count)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            print(String(format: "watch-decode split only: %.0f lines/s, %.0f MB/s", Double(count) / seconds, Double(stream.readableBytes) / 1_000_000 / seconds))
        }
        // The same events through Foundation's JSONDecoder (what the client used before its tape decoder), for comparison.
        do {
            let sample = 20_000
            var splitter = LineSplitter()
            var lines: [ByteBuffer] = []
            for chunk in chunks where lines.count < sample {
                splitter.append(chunk)
                while let line = try splitter.nextLine() { lines.append(line) }
            }
            struct Envelope: Decodable { var type: String; var object: CloudResource }
            let foundation = KubeJSON.decoder()
            let t0 = ContinuousClock.now
            for line in lines.prefix(sample) { _ = try foundation.decode(Envelope.self, from: Data(buffer: line)) }
            let d = ContinuousClock.now - t0
            let seconds = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
            print(String(format: "watch-decode Foundation JSONDecoder (%d events): %.0f events/s", sample, Double(sample) / seconds))
        }

        for round in 1...2 {
            let clock = ContinuousClock()
            var decoded = 0
            var lastRV = ""
            // Thread CPU time as well as wall time: on a shared machine the CPU figure is the one-core rate.
            let cpuStart = InferenceBenchmarks.cpuSeconds()
            let elapsed = try clock.measure {
                var splitter = LineSplitter()
                let decoder = WatchEventDecoder<CloudResource>()
                for chunk in chunks {
                    splitter.append(chunk)
                    while let line = try splitter.nextLine() {
                        if case .modified(let r) = try decoder.decode(line) {
                            decoded += 1
                            lastRV = r.metadata.resourceVersion ?? ""
                        }
                    }
                }
            }
            let cpu = InferenceBenchmarks.cpuSeconds() - cpuStart
            precondition(decoded == count && lastRV == String(count), "decoded \(decoded) events")
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let mb = Double(stream.readableBytes) / 1_000_000
            print(String(format: "watch-decode round %d: %.0f events/s, %.1f MB/s (%.2f s); per CPU second (one core): %.0f events/s (%.2f s CPU)",
                         round, Double(count) / seconds, mb / seconds, seconds, Double(count) / cpu, cpu))
        }
    }

    /// A realistic CloudResource: labels, native tags, attributes, relations, virtual tags, conditions,
    /// history; as a MODIFIED watch event line.
    static func makeStream(count: Int) -> ByteBuffer {
        let encoder = KubeJSON.encoder()
        var out = ByteBuffer()
        let now = Date(timeIntervalSince1970: 1_790_000_000)
        for i in 0..<count {
            let id = "arn:aws:ec2:eu-west-1:123456789012:instance/i-\(String(format: "%017x", i * 7919))"
            var resource = CloudResource(
                metadata: ObjectMeta(
                    name: "aws-ec2-instance-\(i)-\(String(i * 31, radix: 16))", namespace: "vtag-inventory",
                    uid: UUID().uuidString.lowercased(), resourceVersion: String(i + 1), generation: 3,
                    creationTimestamp: now,
                    labels: ["vtag.dev/provider": "aws", "vtag.dev/type": "ec2-instance", "vtag.dev/account": "123456789012", "vtag.dev/region": "eu-west-1"],
                    ownerReferences: [OwnerReference(apiVersion: "vtag.dev/v1alpha1", kind: "DiscoveryJob", name: "aws-prod", uid: "6c1d7f4e-1b7e-4c8a-9f59-3d0b8d6a2e11", controller: true, blockOwnerDeletion: true)]),
                spec: CloudResourceSpec(
                    provider: "aws", id: id, type: "ec2:instance", name: "web-\(i % 500)-prod", account: "123456789012", region: "eu-west-1",
                    nativeTags: ["Name": "web-\(i % 500)-prod", "Environment": "production", "team": "payments", "CostCenter": "cc-\(i % 40)", "ManagedBy": "terraform"],
                    attributes: ["instanceType": "m6i.large", "state": "running", "vpcId": "vpc-0a1b2c3d", "subnetId": "subnet-\(i % 64)", "imageId": "ami-0123456789abcdef0", "launchTime": "2026-03-01T10:00:00Z"],
                    relations: [Relation(type: "InVPC", target: "arn:aws:ec2:eu-west-1:123456789012:vpc/vpc-0a1b2c3d"),
                                Relation(type: "InSubnet", target: "arn:aws:ec2:eu-west-1:123456789012:subnet/subnet-\(i % 64)")]))
            resource.status = CloudResourceStatus(
                phase: .active,
                virtualTags: [
                    VirtualTag(key: "team", value: "payments", source: .native, confidence: 0.98, reason: "native tag team=payments, normalised", appliedAt: now),
                    VirtualTag(key: "environment", value: "production", source: .native, confidence: 0.98, reason: "native tag Environment=production, normalised", appliedAt: now),
                    VirtualTag(key: "cost-center", value: "cc-\(i % 40)", source: .rule, confidence: 1.0, rule: "cost-centers", reason: "rule cost-centers matched name web-*-prod", appliedAt: now),
                    VirtualTag(key: "owner", value: "payments-oncall", source: .model, confidence: 0.93, reason: "learned from 412 resources with team=payments", appliedAt: now),
                ],
                missingKeys: ["data-classification"],
                history: [
                    TagHistoryEntry(time: now, action: .applied, key: "team", new: "payments", actor: "native"),
                    TagHistoryEntry(time: now, action: .applied, key: "cost-center", new: "cc-\(i % 40)", actor: "rule/cost-centers"),
                    TagHistoryEntry(time: now, action: .applied, key: "owner", new: "payments-oncall", actor: "model"),
                ],
                conditions: [
                    Condition(type: "Tagged", status: .true, observedGeneration: 3, lastTransitionTime: now, reason: "TagsApplied", message: "4 tags applied"),
                    Condition(type: "Compliant", status: .false, observedGeneration: 3, lastTransitionTime: now, reason: "MissingKeys", message: "required key data-classification has no value"),
                ],
                evaluatedAt: now, modelVersion: "m-20261122-01", observedGeneration: 3)
            out.writeString(#"{"type":"MODIFIED","object":"#)
            out.writeBytes(try! encoder.encode(resource))
            out.writeString("}\n")
        }
        return out
    }
}
