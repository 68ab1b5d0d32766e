import FerryConfig
import PasswordHashes

/// Whether a not-yet-migrated user may migrate now, and if not, why.
public enum Eligibility: Equatable, Sendable {
    case eligible
    case ineligible(Reason)

    public enum Reason: String, Equatable, Sendable {
        case modeOff = "mode_off"
        case denied
        case outsideRollout = "outside_rollout"
        /// The migration rate budget is spent (the operations issue fills this in).
        case rateLimited = "rate_limited"
    }
}

/// The cohort and rollout rules of `[migration]` as a pure function of the
/// normalized identifier. Deny wins over allow; an allow list, when present,
/// admits its members whatever the rollout percentage.
public struct EligibilityPolicy: Sendable {
    public let mode: MigrationSettings.MigrationMode
    public let rolloutPercent: Double
    public let rolloutSalt: String
    let allow: [CohortPattern]
    let deny: [CohortPattern]

    public init(settings: MigrationSettings, normalizer: IdentifierNormalizer) {
        mode = settings.mode
        rolloutPercent = settings.rolloutPercent
        rolloutSalt = settings.rolloutSalt
        allow = settings.allow.map { CohortPattern($0, normalizer: normalizer) }
        deny = settings.deny.map { CohortPattern($0, normalizer: normalizer) }
    }

    public func evaluate(_ identifier: String) -> Eligibility {
        if mode == .off { return .ineligible(.modeOff) }
        if deny.contains(where: { $0.matches(identifier) }) { return .ineligible(.denied) }
        if allow.contains(where: { $0.matches(identifier) }) { return .eligible }
        guard Self.bucket(of: identifier, salt: rolloutSalt) < Int((rolloutPercent * 100).rounded()) else {
            return .ineligible(.outsideRollout)
        }
        return .eligible
    }

    /// A stable bucket 0..<10000 per identifier, so raising the percentage keeps
    /// everyone already in and lowering it takes the last ones out first.
    public static func bucket(of identifier: String, salt: String) -> Int {
        let digest = DigestAlgorithm.sha256.digest(Array("\(salt)\u{0}\(identifier)".utf8))
        let value = digest[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return Int(value % 10_000)
    }
}

/// One `allow`/`deny` entry: an exact identifier, an `@domain` suffix, or a glob
/// with `*` and `?`.
struct CohortPattern: Sendable {
    let pattern: String

    init(_ text: String, normalizer: IdentifierNormalizer) {
        pattern = normalizer.normalize(text)
    }

    func matches(_ identifier: String) -> Bool {
        if pattern.hasPrefix("@") { return identifier.hasSuffix(pattern) }
        if pattern.contains("*") || pattern.contains("?") {
            return Self.glob(Array(pattern.unicodeScalars), Array(identifier.unicodeScalars))
        }
        return identifier == pattern
    }

    static func glob(_ pattern: [Unicode.Scalar], _ text: [Unicode.Scalar]) -> Bool {
        var p = 0
        var t = 0
        var star = -1
        var resume = 0
        while t < text.count {
            if p < pattern.count && (pattern[p] == "?" || pattern[p] == text[t]) {
                p += 1
                t += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                resume = t
                p += 1
            } else if star >= 0 {
                p = star + 1
                resume += 1
                t = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
