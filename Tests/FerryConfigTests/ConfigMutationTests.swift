import FerryTestSupport
import Foundation
import Testing

@testable import FerryConfig

/// A mutation run over the example config: whatever bytes a reload meets, the
/// loader answers with a config or with errors that have a message — it never
/// crashes. `scripts/fuzz-config` runs the coverage-guided version (libFuzzer);
/// this one runs in every suite, `FERRY_CONFIG_MUTATIONS` sets how many.
struct ConfigMutationTests {
    static let example: [UInt8] = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        return Array((try? Data(contentsOf: root.appendingPathComponent("proxy.conf.example"))) ?? Data())
    }()

    /// Bytes a hand edit or a broken transfer tends to bring.
    static let interesting: [UInt8] =
        Array("[]{}=\"'\\.,#\n\r\t 0_-+eE:".utf8) + [0, 0x01, 0x7F, 0xC3, 0xA9, 0xFF, 0xEF]

    @Test func loaderSurvivesMutationsOfTheExample() {
        #expect(!Self.example.isEmpty)
        let count = ProcessInfo.processInfo.environment["FERRY_CONFIG_MUTATIONS"].flatMap(Int.init) ?? 3_000
        var random = SplitMix64(seed: 0xF022_7C0F)
        var outcomes = (valid: 0, invalid: 0)
        for _ in 0..<count {
            let bytes = Self.mutate(Self.example, &random)
            do {
                _ = try ProxyConfig.parse(
                    bytes: bytes, file: "proxy.conf", baseDirectory: "/nonexistent", environment: [:])
                outcomes.valid += 1
            } catch {
                outcomes.invalid += 1
                #expect(!error.issues.isEmpty)
                #expect(error.issues.allSatisfy { !$0.message.isEmpty })
            }
        }
        #expect(outcomes.valid + outcomes.invalid == count)
    }

    static func mutate(_ input: [UInt8], _ random: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0...random.below(4) {
            let at = bytes.isEmpty ? 0 : random.below(bytes.count)
            switch random.below(6) {
            case 0: if !bytes.isEmpty { bytes[at] = interesting[random.below(interesting.count)] }
            case 1: bytes.insert(interesting[random.below(interesting.count)], at: at)
            case 2: if !bytes.isEmpty { bytes.remove(at: at) }
            case 3: if !bytes.isEmpty { bytes[at] = UInt8(truncatingIfNeeded: random.next()) }
            case 4: bytes = Array(bytes[..<at])
            default:
                // A line repeated elsewhere: duplicate keys and tables.
                let lines = bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
                guard !lines.isEmpty else { continue }
                let line = lines[random.below(lines.count)]
                bytes.insert(contentsOf: line + [UInt8(ascii: "\n")], at: at)
            }
        }
        return bytes
    }
}
