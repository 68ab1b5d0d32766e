import FerryDemo
import FerryTestSupport
import Foundation
import Testing

@testable import FerryStore

/// The shared state store goes away mid-migration, as in a failover: logins
/// keep working through legacy, and once it is back the job it held finishes
/// without anyone logging in again. The cluster is this test's own (the other
/// tests' server must not stop).
@Suite(.serialized, .enabled(if: TestPostgres.url != nil, "FERRY_TEST_POSTGRES_URL names no server"))
struct PostgresOutageTests {

    @Test(.timeLimit(.minutes(3)))
    func loginsGoOnWhileTheStoreIsDownAndTheOutboxFinishesAfter() async throws {
        try await Throwaway.withServer("postgres") { directory, started in
            let url = try #require(started["FERRY_TEST_POSTGRES_URL"])

            let configure: (inout DemoConfig) -> Void = { config in
                config.stateURL = url
                // The suite runs many worlds at once on two cores: a slow answer
                // from a live store must not read as an outage.
                config.stateExtra = "busy_timeout = \"5s\""
                // Retries come quickly; the timeout leaves a loaded machine room to provision.
                config.targetExtra = "timeout = \"3s\"\nretry_initial = \"200ms\"\nretry_ceiling = \"1s\""
            }
            try await MigrationScenarioTests.inWorld(.sql, configure: configure) { world in
                let users = world.credentials.filter { $0.totpSecret == nil && !$0.isStaff }
                // The store is up: a login migrates. On a loaded machine the very
                // first store call (connection, SCRAM, schema) can outlast the
                // deadline and that login goes to legacy, claiming nothing; the
                // user migrates on a later login.
                let migrated = try await world.eventually(30) {
                    OperationsTests.loggedInOnNew(try await world.login(users[0].username, users[0].password))
                }
                #expect(migrated)

                // The target is down: the claim is written, the job waits in the outbox.
                try await world.takeTargetDown()
                let waiting = users[1]
                #expect(OperationsTests.loggedInOnLegacy(try await world.login(waiting.username, waiting.password)))

                // The store goes away too: logins still get in, through legacy.
                try await Throwaway.run("postgres", "pause", directory)
                let during = users[2]
                #expect(OperationsTests.loggedInOnLegacy(try await world.login(during.username, during.password)))
                #expect(try await world.metrics().contains(#"reason="store_unavailable""#))

                // Both come back; nobody logs in; the outbox finishes the waiting job.
                try await world.bringTargetBack()
                try await Throwaway.run("postgres", "resume", directory)
                let finished = try await world.eventually(40) {
                    try world.newAccounts(waiting.username).count == 1
                }
                #expect(finished, "the job held in the outbox completes after the store is back")
                #expect(try world.newAccounts(during.username).isEmpty, "nothing half-written for the store-down login")
                #expect(OperationsTests.loggedInOnNew(try await world.login(during.username, during.password)))
            }
        }
    }
}
