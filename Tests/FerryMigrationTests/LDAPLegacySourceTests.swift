import FerryConfig
import FerryTestSupport
import Foundation
import PasswordHashes
import Synchronization
import Testing

@testable import FerryMigration

/// The LDAP source against a real OpenLDAP slapd (`scripts/ldap-throwaway`):
/// the mapping, the escaping that keeps a filter from widening, the
/// directory's own answer by bind, the password policy's lock, paging.
@Suite(.enabled(if: TestLDAP.url != nil, "FERRY_TEST_LDAP_URL names no directory"))
struct LDAPLegacySourceTests {
    static func source(verify: String = "auto", extra: String = "") throws -> LDAPLegacySource {
        let config = try ProxyConfig.parse(
            "[server]\nlisten = \"127.0.0.1:0\"\n" + TestLDAP.legacyTables(verify: verify, extra: extra),
            file: "t.conf", baseDirectory: "/tmp")
        let legacy = try #require(config.legacy)
        return try LDAPLegacySource(settings: try #require(legacy.ldap), activeStatuses: legacy.activeStatuses)
    }

    @Test func aCustomerIsMappedOntoTheCanonicalRecord() async throws {
        let account = try #require(try await Self.source().account(for: "ada"))
        #expect(account.username == "ada")
        #expect(account.email == "ada@example.com")
        #expect(account.profile.givenName == "Ada" && account.profile.familyName == "Lovelace")
        #expect(account.profile.locale == "en-GB")
        #expect(account.phone == "+44 20 7946 0001")
        #expect(Set(account.roles) == ["staff", "brokers"])
        #expect(account.attributes["employeeType"] == .text("customer"))
        #expect(account.attributes["cn"] == .text("Ada Lovelace"))
        #expect(account.attributes.keys.allSatisfy { !$0.lowercased().hasPrefix("pwd") && $0 != "userPassword" })
        #expect(account.active && !account.judgedByLegacy)
        #expect(account.directoryDN == "uid=ada,ou=people,dc=example,dc=com")
        #expect(UUID(uuidString: account.legacyID) != nil, "entryUUID is the legacy id")
        #expect(account.createdAt != nil)
        #expect(
            HashCatalog().verify(password: "ada-password", hash: account.passwordHash) == .match(scheme: "ldap-ssha"))
    }

    /// Every userPassword scheme slappasswd wrote is read and verified by Ferry.
    @Test(arguments: [
        ("ada", "ldap-ssha"), ("grace", "ldap-ssha512"), ("alan", "ldap-crypt"), ("katherine", "ldap-argon2"),
        ("edsger", "ldap-md5"),
    ])
    func directoryHashesVerify(_ uid: String, _ scheme: String) async throws {
        let account = try #require(try await Self.source().account(for: uid))
        let catalog = HashCatalog()
        let result = catalog.verify(password: "\(uid)-password", hash: account.passwordHash)
        #expect(result.isMatch, "\(uid): \(result)")
        #expect(result.scheme?.hasPrefix(scheme) == true, "\(uid): \(result)")
        #expect(!catalog.verify(password: "wrong", hash: account.passwordHash).isMatch)
    }

    @Test(arguments: ["*", "*)(uid=*", "ada)(|(uid=*", "ad*", "(uid=ada)", "ada\u{0}"])
    func anInjectedFilterFindsNobody(_ identifier: String) async throws {
        #expect(try await Self.source().account(for: identifier) == nil)
    }

    @Test func theDirectoryMatchesNamesWhateverTheirCase() async throws {
        #expect(try await Self.source().account(for: "ADA")?.username == "ada")
        #expect(try await Self.source().account(for: "ada@EXAMPLE.com")?.username == "ada")
    }

    /// hidden's hash is not readable by the service account: only a bind can tell.
    @Test func anUnreadableHashIsJudgedByBinding() async throws {
        let source = try Self.source()
        let account = try #require(try await source.account(for: "hidden"))
        #expect(account.passwordHash.isEmpty && account.judgedByLegacy)
        // Wrong first: the right one after it clears the policy's failure count.
        #expect(await source.judge(account, password: "wrong") == .rejected)
        #expect(await source.judge(account, password: "") == .rejected, "an empty password is never an anonymous bind")
        #expect(await source.judge(account, password: "hidden-password") == .accepted)
    }

    @Test func verifyBindAsksTheDirectoryEvenWhenTheHashIsReadable() async throws {
        let source = try Self.source(verify: "bind")
        let account = try #require(try await source.account(for: "grace"))
        #expect(account.judgedByLegacy)
        #expect(await source.judge(account, password: "grace-password") == .accepted)
    }

    /// The password policy locked this customer after three failed binds.
    @Test func aLockedCustomerIsInactiveAndTheDirectorySaysNo() async throws {
        let source = try Self.source()
        let account = try #require(try await source.account(for: "locked"))
        #expect(!account.active && account.status == "locked")
        #expect(await source.judge(account, password: "locked-password") == .rejected)
    }

    @Test func everyCustomerIsListedPageByPage() async throws {
        let source = try Self.source(extra: "page_size = 2")
        let names = Mutex<[String]>([])
        try await source.forEachUser { account in names.withLock { $0.append(account.username ?? "?") } }
        #expect(
            Set(names.withLock { $0 })
                == ["ada", "grace", "alan", "katherine", "edsger", "hidden", "locked", "Mixed"])
    }

    @Test func aDirectoryNobodyAnswersIsUnavailable() async throws {
        let config = try ProxyConfig.parse(
            "[server]\nlisten = \"127.0.0.1:0\"\n"
                + TestLDAP.legacyTables(extra: "timeout = \"1s\"").replacingOccurrences(
                    of: TestLDAP.url!, with: "ldap://127.0.0.1:\(freeLoopbackPort())"),
            file: "t.conf", baseDirectory: "/tmp")
        let legacy = try #require(config.legacy)
        let source = try LDAPLegacySource(settings: try #require(legacy.ldap), activeStatuses: ["active"])
        await #expect(throws: LegacySourceError.self) { try await source.account(for: "ada") }
    }

    /// Many logins at once share the pooled service connections; each gets its
    /// own customer, and binds run on connections of their own.
    @Test func concurrentLookupsAndBindsKeepTheirOwnAnswers() async throws {
        let source = try Self.source()
        let uids = ["ada", "grace", "alan", "katherine", "edsger", "hidden", "Mixed"]
        try await withThrowingTaskGroup(of: (String, String?, LegacyJudgement?).self) { group in
            for round in 0..<8 {
                for uid in uids {
                    group.addTask {
                        let account = try await source.account(for: uid)
                        // Right passwords only: wrong binds would count against the policy.
                        let judged = uid == "hidden" && round % 2 == 0
                        let verdict = judged ? await source.judge(account!, password: "hidden-password") : nil
                        return (uid, account?.username, verdict)
                    }
                }
            }
            var answered = 0
            for try await (uid, username, verdict) in group {
                #expect(username == uid)
                if let verdict { #expect(verdict == .accepted) }
                answered += 1
            }
            #expect(answered == 8 * uids.count)
        }
    }

    /// `ferry check-config --connect`: binds and reads base_dn, and says what failed.
    @Test func theConnectionCheckBindsAndNamesWhatFailed() async throws {
        func findings(_ extra: String = "", password: String? = nil) async throws -> [ConnectionCheck.Finding] {
            var tables = TestLDAP.legacyTables(extra: extra)
            if let password {
                let file = FileManager.default.temporaryDirectory.appendingPathComponent("ldap-pw-\(UUID())").path
                try password.write(toFile: file, atomically: true, encoding: .utf8)
                tables = tables.replacingOccurrences(of: TestLDAP.servicePasswordFile!, with: file)
            }
            let config = try ProxyConfig.parse(
                "[server]\nlisten = \"127.0.0.1:0\"\n" + tables, file: "t.conf", baseDirectory: "/tmp")
            return await ConnectionCheck.run(config).filter { $0.key.hasPrefix("legacy.ldap") }
        }
        #expect(try await findings() == [.init(key: "legacy.ldap.bind_dn", problem: nil)])
        #expect(try await findings(password: "wrong").first?.problem == "LDAP error 49: Invalid credentials")
        let startTLS = try await findings("start_tls = true\nca_file = \"/etc/ssl/certs/ca-certificates.crt\"")
        #expect(startTLS.first?.problem?.contains("StartTLS failed") == true, "\(startTLS)")
        let trusted = try await findings("start_tls = true\nca_file = \"\(TestLDAP.caFile!)\"")
        #expect(trusted.first?.problem == nil, "\(trusted)")
    }
}
