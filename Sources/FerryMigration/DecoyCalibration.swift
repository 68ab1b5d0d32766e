import Crypto
import Foundation
import Synchronization

/// The legacy hashes an unknown identifier is verified against, so that a
/// failed login costs the same whether or not the account exists.
///
/// The decoy used to be the last real hash verified: one login of a
/// cheap-hash user (md5) made every unknown identifier twelve times faster
/// than a bcrypt user, and response time told who exists. Now the decoys are
/// fixed per process: `sampleSize` legacy hashes, a uniform sample read from
/// `legacy.all_users_query` at start where it is set (otherwise the first
/// distinct ones verified at login). Each unknown identifier is verified
/// against one of them, chosen by a keyed hash of the identifier: the same
/// identifier always costs the same, and unknown identifiers as a whole cost
/// what the population's scheme mix costs. Until then, a bcrypt of cost 10.
final class DecoyCalibration: Sendable {
    struct Sample: Sendable {
        var hash: String
        var salt: String?
        var seconds: Double
    }

    static let sampleSize = 63

    private struct State {
        var samples: [Sample] = []
        var decoys: [Sample] = []
    }

    private let state = Mutex(State())
    /// Keys the choice of decoy, so that nobody outside can tell which
    /// identifier is verified against which hash.
    private let key = SymmetricKey(size: .bits256)

    var isCalibrated: Bool { state.withLock { !$0.decoys.isEmpty } }

    /// The decoy hash to verify for `identifier` (normalized).
    func decoy(for identifier: String) -> (hash: String, salt: String?) {
        let decoys = state.withLock { $0.decoys }
        guard !decoys.isEmpty else { return (HashDecoy.fallback, nil) }
        let mac = HMAC<SHA256>.authenticationCode(for: Data(identifier.utf8), using: key)
        let index = mac.withUnsafeBytes { bytes in bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let chosen = decoys[Int(index % UInt64(decoys.count))]
        return (chosen.hash, chosen.salt)
    }

    /// A real verification and how long it took; ignored once calibrated.
    func record(_ sample: Sample) {
        state.withLock { state in
            guard state.decoys.isEmpty, !state.samples.contains(where: { $0.hash == sample.hash }) else { return }
            state.samples.append(sample)
            if state.samples.count >= Self.sampleSize {
                state.decoys = state.samples
                state.samples = []
            }
        }
    }
}

/// A uniform sample (reservoir) of the first `scanned` legacy hashes, so that
/// the decoys' scheme mix is the population's, not the oldest accounts'.
struct DecoySample: Sendable {
    var hashes: [(hash: String, salt: String?)] = []
    var seen = 0
    /// How many users are read before sampling stops.
    var scanned = 20_000
    var size = DecoyCalibration.sampleSize

    /// Offers one user's hash; true once enough users have been read.
    mutating func offer(hash: String, salt: String?) -> Bool {
        seen += 1
        if hashes.count < size {
            hashes.append((hash, salt))
        } else if case let slot = Int.random(in: 0..<seen), slot < hashes.count {
            hashes[slot] = (hash, salt)
        }
        return seen >= scanned
    }
}
