import FerryMigration
import Foundation
import PasswordHashes
import Synchronization

/// Which platform issued the state of a multi-step login flow posted to one
/// path (an `mfa_token` in the answer to the password step), so that the
/// next step — which carries that value and no credentials — reaches the
/// platform that can finish it, whatever has happened to the user meanwhile
/// (a migration between the two steps). Values are kept by their SHA-256,
/// for `lifetime`, at most `capacity` of them; they live across reloads.
final class LaterStepIssuers: Sendable {
    private let entries = Mutex<[String: (upstream: String, until: Date)]>([:])
    let lifetime: TimeInterval
    let capacity: Int

    init(lifetime: TimeInterval = 900, capacity: Int = 100_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// `upstream` issued `value` now.
    func record(_ value: String, upstream: String, now: Date = Date()) {
        let key = Self.key(value)
        entries.withLock { entries in
            if entries.count >= capacity {
                entries = entries.filter { $0.value.until > now }
                // Still full of live entries: the oldest half goes.
                if entries.count >= capacity {
                    let keep = entries.sorted { $0.value.until > $1.value.until }.prefix(capacity / 2)
                    entries = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
                }
            }
            entries[key] = (upstream, now.addingTimeInterval(lifetime))
        }
    }

    /// The platform that issued `value`, while it is remembered.
    func issuer(of value: String, now: Date = Date()) -> String? {
        let key = Self.key(value)
        return entries.withLock { entries in
            guard let entry = entries[key] else { return nil }
            guard entry.until > now else {
                entries[key] = nil
                return nil
            }
            return entry.upstream
        }
    }

    var count: Int { entries.withLock { $0.count } }

    private static func key(_ value: String) -> String {
        Hex.encode(DigestAlgorithm.sha256.digest(Array(value.utf8)))
    }

    /// The values of `fields` (JSON pointers or top-level names) in a JSON
    /// answer, to be recorded as issued by the platform that sent it.
    static func issued(in json: [UInt8], fields: [String]) -> [String] {
        guard let document = try? JSONSerialization.jsonObject(with: Data(json), options: .fragmentsAllowed) else {
            return []
        }
        return fields.compactMap { field in
            let pointer = field.hasPrefix("/") ? field : "/" + field
            return (JSONPointer.resolve(pointer, in: document) as? String).flatMap { $0.isEmpty ? nil : $0 }
        }
    }
}
