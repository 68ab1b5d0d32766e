import Crypto
import FerryConfig
import Foundation
import Logging
import Testing
import _CryptoExtras

@testable import FerryMigration
@testable import FerryStore

/// Forged sessions and tokens leave no trace; only what legacy issued counts.
@Suite struct LegacySessionTrackerTests {
    final class World {
        let directory: URL
        let store: SQLiteStateStore
        let tracker: LegacySessionTracker
        let signer = P256.Signing.PrivateKey()
        let edSigner = Curve25519.Signing.PrivateKey()
        let now = Date(timeIntervalSince1970: 1_800_000_000)

        init(jwks: Bool = true) throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-sessions-\(UUID())")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            store = try SQLiteStateStore(path: directory.appendingPathComponent("state.db").path)
            let raw = signer.publicKey.rawRepresentation
            let keys = """
                {"keys": [
                  {"kty": "EC", "crv": "P-256", "kid": "p256", "x": "\(Base64URL.encode(raw.prefix(32)))",
                   "y": "\(Base64URL.encode(raw.suffix(32)))"},
                  {"kty": "OKP", "crv": "Ed25519", "x": "\(Base64URL.encode(edSigner.publicKey.rawRepresentation))"},
                  {"kty": "oct", "k": "c2VjcmV0"}
                ]}
                """
            try keys.write(to: directory.appendingPathComponent("jwks.json"), atomically: true, encoding: .utf8)
            let config = try ProxyConfig.parse(
                """
                [server]
                listen = "127.0.0.1:0"
                [sessions]
                \(jwks ? #"jwks_file = "jwks.json""# : "")
                """, file: "t.conf", baseDirectory: directory.path, environment: [:])
            let now = self.now
            tracker = try LegacySessionTracker(
                config: config, store: store, logger: Logger(label: "test"), clock: { now })
        }

        deinit { try? FileManager.default.removeItem(at: directory) }

        func token(alg: String = "ES256", kid: String? = "p256", exp: Double, sign: Bool = true) -> String {
            var header: [String: String] = ["alg": alg, "typ": "JWT"]
            header["kid"] = kid
            let head = Base64URL.encode(try! JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            let body = Base64URL.encode(Data(#"{"sub":"ada","exp":\#(exp)}"#.utf8))
            let signed = Data((head + "." + body).utf8)
            var signature = Data()
            if sign {
                switch alg {
                case "EdDSA": signature = try! edSigner.signature(for: signed)
                default: signature = try! signer.signature(for: signed).rawRepresentation
                }
            }
            return head + "." + body + "." + Base64URL.encode(signature)
        }

        func rows() throws -> Int {
            try store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM legacy_sessions") ?? 0 }
        }
    }

    @Test func forgedCookiesAreUnknownAndNotWritten() async throws {
        let world = try World()
        for index in 0..<2_000 {
            let forged = SessionCredential(kind: .cookie, name: "legacy_session", value: "forged-\(index)")
            #expect(await world.tracker.verdict(for: forged) == .unknown)
        }
        #expect(try world.rows() == 0)
        #expect(try await world.store.sessionDrain(at: world.now).sessionsAlive == 0)
    }

    @Test func onlyTokensSignedByLegacyCount() async throws {
        let world = try World()
        let later = world.now.timeIntervalSince1970 + 3600
        let forgeries = [
            world.token(alg: "none", exp: later, sign: false),
            world.token(exp: 1e300),
            world.token(alg: "HS256", kid: nil, exp: later),
            world.token(exp: later) + "x",
            String(world.token(exp: later).dropLast(4)) + "AAAA",
            "not.a.jwt", "a.b", "",
        ]
        for forged in forgeries {
            #expect(
                await world.tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: forged))
                    == .unknown)
        }
        // A token from an unknown signer with legacy's kid.
        let stranger = P256.Signing.PrivateKey()
        let head = Base64URL.encode(Data(#"{"alg":"ES256","kid":"p256"}"#.utf8))
        let body = Base64URL.encode(Data(#"{"exp":\#(later)}"#.utf8))
        let foreign =
            head + "." + body + "."
            + Base64URL.encode(try stranger.signature(for: Data((head + "." + body).utf8)).rawRepresentation)
        #expect(
            await world.tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: foreign))
                == .unknown)
        #expect(try world.rows() == 0)

        let genuineTokens = [world.token(exp: later), world.token(alg: "EdDSA", kid: nil, exp: later)]
        for genuine in genuineTokens {
            #expect(
                await world.tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: genuine))
                    == .alive)
        }
        let expired = world.token(exp: world.now.timeIntervalSince1970 - 1)
        #expect(
            await world.tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: expired)) == .ended)
        // A routing question never writes: what it learned waits for the
        // retrier's loop, and is already known to the next question.
        #expect(try world.rows() == 0)
        #expect(world.tracker.observations.count == 2)
        let first = SessionCredential(kind: .token, name: "bearer", value: genuineTokens[0])
        #expect(await world.tracker.verdict(for: first) == .alive)
        try await world.tracker.observations.flush(to: world.store)
        #expect(try world.rows() == 2)
        #expect(world.tracker.observations.count == 0)
        let drain = try await world.store.sessionDrain(at: world.now)
        #expect(drain.tokensAlive == 2)
        #expect(drain.lastTokenExpiry == Date(timeIntervalSince1970: later))
    }

    @Test func withoutKeysNoTokenIsWritten() async throws {
        let world = try World(jwks: false)
        let token = world.token(exp: world.now.timeIntervalSince1970 + 60)
        #expect(
            await world.tracker.verdict(for: SessionCredential(kind: .token, name: "bearer", value: token)) == .unknown)
        #expect(try world.rows() == 0)
    }

    @Test func issuedSessionsCountAndEndedOnesArePruned() async throws {
        let world = try World()
        await world.tracker.issued(
            name: "legacy_session", value: "s1", expiresAt: world.now.addingTimeInterval(60), identifier: "ada",
            carried: [])
        await world.tracker.issued(
            name: "legacy_session", value: "s2", expiresAt: world.now.addingTimeInterval(-7200), identifier: "bob",
            carried: [])
        let issued = SessionCredential(kind: .cookie, name: "legacy_session", value: "s1")
        #expect(await world.tracker.verdict(for: issued) == .alive)
        #expect(try world.rows() == 1, "a cookie set already expired is not a session")
        try await world.store.recordLegacySession(
            ObservedSession(
                idHash: "old", kind: .cookie, name: "legacy_session", identifier: nil,
                issuedAt: world.now.addingTimeInterval(-90_000), expiresAt: world.now.addingTimeInterval(-86_500),
                expirySource: "set_cookie"))
        #expect(try await world.store.pruneLegacySessions(endedBefore: world.now.addingTimeInterval(-86_400)) == 1)
        #expect(try world.rows() == 1)
    }

    @Test(arguments: [
        #"{"keys": "x"}"#, "[]", #"{"keys": []}"#, #"{"keys": [{"kty": "EC", "crv": "P-256", "x": "!!", "y": "AA"}]}"#,
        #"{"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}"#,
    ])
    func malformedKeySetsAreRefused(document: String) {
        #expect(throws: LegacyTokenKeysError.self) { try LegacyTokenKeys(jwks: Data(document.utf8)) }
    }

    @Test func rsaKeysVerifyRS256() throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let der = key.publicKey.pkcs1DERRepresentation
        // PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }; read both back out.
        let (n, e) = try #require(Self.pkcs1Parts(Array(der)))
        let jwks = #"{"keys":[{"kty":"RSA","n":"\#(Base64URL.encode(Data(n)))","e":"\#(Base64URL.encode(Data(e)))"}]}"#
        let keys = try LegacyTokenKeys(jwks: Data(jwks.utf8))
        let head = Base64URL.encode(Data(#"{"alg":"RS256"}"#.utf8))
        let body = Base64URL.encode(Data(#"{"exp":1}"#.utf8))
        let signed = Data((head + "." + body).utf8)
        let signature = try key.signature(for: SHA256.hash(data: signed), padding: .insecurePKCS1v1_5)
        #expect(keys.verifies(head + "." + body + "." + Base64URL.encode(signature.rawRepresentation)))
        let pss = try key.signature(for: SHA256.hash(data: signed), padding: .PSS)
        #expect(!keys.verifies(head + "." + body + "." + Base64URL.encode(pss.rawRepresentation)))
    }

    /// The two INTEGERs of a DER SEQUENCE, leading zero bytes dropped.
    static func pkcs1Parts(_ der: [UInt8]) -> ([UInt8], [UInt8])? {
        var index = 0
        func length() -> Int? {
            guard index < der.count else { return nil }
            let first = Int(der[index])
            index += 1
            if first < 0x80 { return first }
            var value = 0
            for _ in 0..<(first & 0x7F) {
                guard index < der.count else { return nil }
                value = value << 8 | Int(der[index])
                index += 1
            }
            return value
        }
        guard der.first == 0x30 else { return nil }
        index = 1
        _ = length()
        var integers: [[UInt8]] = []
        for _ in 0..<2 {
            guard index < der.count, der[index] == 0x02 else { return nil }
            index += 1
            guard let count = length(), index + count <= der.count else { return nil }
            integers.append(Array(der[index..<(index + count)].drop { $0 == 0 }))
            index += count
        }
        return (integers[0], integers[1])
    }
}
