import Crypto
import FerryConfig
import FerryStore
import Foundation
import NIOPosix
import Synchronization

/// A signed statement of where the audit chain's head was: its sequence and
/// hash at a time. The chain alone proves that no event was changed or
/// removed from its middle; deleting the newest events leaves a shorter chain
/// that still verifies. Checkpoints, kept outside the events table and signed
/// with a key the store does not hold, make that truncation visible.
public struct AuditCheckpoint: Equatable, Sendable {
    public var sequence: Int64
    public var head: String
    public var at: Date
    public var signature: Data

    /// The exact bytes that are signed.
    static func signedText(sequence: Int64, head: String, at: Date) -> Data {
        Data("ferry-audit-checkpoint v1\n\(sequence)\n\(head)\n\(Int64(at.timeIntervalSince1970))".utf8)
    }

    var line: String {
        #"{"at":\#(Int64(at.timeIntervalSince1970)),"head":"\#(head)","sequence":\#(sequence),"signature":"\#(signature.base64EncodedString())"}"#
    }

    init(sequence: Int64, head: String, at: Date, signature: Data) {
        self.sequence = sequence
        self.head = head
        self.at = Date(timeIntervalSince1970: at.timeIntervalSince1970.rounded(.down))
        self.signature = signature
    }

    init?(line: Substring) {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let sequence = (object["sequence"] as? NSNumber)?.int64Value,
            let head = object["head"] as? String, let at = (object["at"] as? NSNumber)?.doubleValue,
            let signature = (object["signature"] as? String).flatMap({ Data(base64Encoded: $0) })
        else { return nil }
        self.init(sequence: sequence, head: head, at: Date(timeIntervalSince1970: at), signature: signature)
    }

    func isSigned(by key: Curve25519.Signing.PublicKey) -> Bool {
        key.isValidSignature(signature, for: Self.signedText(sequence: sequence, head: head, at: at))
    }
}

/// Writes checkpoints (every `every` events and at shutdown) and checks the
/// chain against the latest one.
public final class AuditCheckpoints: Sendable {
    let file: String
    let every: Int
    let key: Curve25519.Signing.PrivateKey
    /// The sequence of the last checkpoint this process wrote or read, so the
    /// once-a-second check does not re-read a file that only grows.
    private let lastSequence = Mutex<Int64?>(nil)

    init(file: String, every: Int, key: Curve25519.Signing.PrivateKey) {
        self.file = file
        self.every = every
        self.key = key
    }

    /// The checkpoints for `settings`: the configured key, or else the key
    /// file beside the store, created when `create` (by `ferry serve`) and
    /// only read otherwise.
    public static func open(_ settings: StateSettings, create: Bool) throws(AuditCheckpointError) -> AuditCheckpoints {
        AuditCheckpoints(
            file: settings.auditCheckpointFile, every: settings.auditCheckpointEvery,
            key: try signingKey(settings, create: create))
    }

    /// Beside the SQLite store; with PostgreSQL, beside this instance's
    /// checkpoint file (each instance signs the heads it sees with its own key,
    /// unless `state.audit_key` gives them one).
    static func keyFile(_ settings: StateSettings) -> String? {
        switch settings.store {
        case .sqlite(let path): path + ".audit-key"
        case .postgres, .mysql: settings.auditCheckpointFile + ".key"
        }
    }

    private static func signingKey(_ settings: StateSettings, create: Bool) throws(AuditCheckpointError)
        -> Curve25519.Signing.PrivateKey
    {
        if let secret = settings.auditKey {
            guard let seed = EncryptionKey(secret.value),
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed.bytes)
            else { throw AuditCheckpointError("state.audit_key (\(secret)) is not a 32-byte Ed25519 seed") }
            return key
        }
        guard let path = keyFile(settings) else { throw AuditCheckpointError("no audit key is configured") }
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let seed = EncryptionKey(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed.bytes)
            else { throw AuditCheckpointError("audit key file \(path) does not hold a 32-byte key") }
            return key
        }
        guard create else {
            throw AuditCheckpointError("audit key file \(path) does not exist and state.audit_key is not set")
        }
        let key = Curve25519.Signing.PrivateKey()
        let text = key.rawRepresentation.base64EncodedString() + "\n"
        // Written 0600 before any content lands in it.
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw AuditCheckpointError("audit key file \(path) cannot be created") }
        handle.write(Data(text.utf8))
        try? handle.close()
        return key
    }

    /// The newest checkpoint in the file, or nil when there is none. Lines that
    /// do not parse are skipped (a torn last write after a crash).
    public func latest() -> AuditCheckpoint? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").reversed().lazy.compactMap(AuditCheckpoint.init(line:)).first
    }

    /// Writes a checkpoint of the chain's head when there is none yet, when at
    /// least `every` events (or, with `force`, any) came after the latest one.
    /// Returns the new one.
    @discardableResult
    public func checkpoint(_ store: any StateStore, at now: Date, force: Bool = false) async throws -> AuditCheckpoint?
    {
        guard let head = try await store.auditHead() else { return nil }
        let last = lastSequence.withLock { $0 } ?? latest()?.sequence ?? 0
        lastSequence.withLock { $0 = last }
        // The first checkpoint comes at once, so a new store is never without one for long.
        guard head.sequence > last, force || last == 0 || head.sequence - last >= Int64(every) else { return nil }
        let signature = try key.signature(
            for: AuditCheckpoint.signedText(sequence: head.sequence, head: head.hash, at: now))
        let checkpoint = AuditCheckpoint(sequence: head.sequence, head: head.hash, at: now, signature: signature)
        // An fsync can take long on a busy disk: on NIO's blocking pool, not
        // on a thread of Swift's cooperative pool.
        let file = file
        try await NIOThreadPool.singleton.runIfActive { try Self.append(checkpoint, to: file) }
        lastSequence.withLock { $0 = checkpoint.sequence }
        return checkpoint
    }

    private static func append(_ checkpoint: AuditCheckpoint, to file: String) throws {
        if !FileManager.default.fileExists(atPath: file) {
            _ = FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: 0o644])
        }
        guard let handle = FileHandle(forWritingAtPath: file) else {
            throw AuditCheckpointError("checkpoint file \(file) cannot be written")
        }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((checkpoint.line + "\n").utf8))
        try handle.synchronize()
    }

    /// What the chain says against the latest checkpoint.
    public enum Verdict: Equatable, Sendable {
        /// The chain holds the checkpointed head: nothing up to it was removed.
        case matches(AuditCheckpoint)
        /// No checkpoint yet (a store with fewer events than one interval, or new).
        case noCheckpoint
        /// The latest checkpoint is not signed by this key: forged or another key.
        case badSignature(AuditCheckpoint)
        /// The chain ends before the checkpointed event: the newest events were deleted.
        case truncated(AuditCheckpoint, chainEnds: Int64)
        /// The checkpointed event has another hash: the chain was rewritten.
        case rewritten(AuditCheckpoint)
    }

    public func verify(_ store: any StateStore) async throws -> Verdict {
        guard let checkpoint = latest() else { return .noCheckpoint }
        guard checkpoint.isSigned(by: key.publicKey) else { return .badSignature(checkpoint) }
        guard let event = try await store.auditEvents(after: checkpoint.sequence - 1, limit: 1).first,
            event.sequence == checkpoint.sequence
        else { return .truncated(checkpoint, chainEnds: try await store.auditHead()?.sequence ?? 0) }
        return event.hash == checkpoint.head ? .matches(checkpoint) : .rewritten(checkpoint)
    }
}

public struct AuditCheckpointError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
