import FerryConfig
import FerryMigration
import HTTPTypes
import Hummingbird
import NIOCore

/// Sessions legacy issues (or clears) through Ferry: their end is what the
/// drain report counts down to.
extension ProxyResponder {
    /// `user` is the identifier of a login this response answered;
    /// `carried` the legacy sessions the request brought.
    func observeLegacySessions(
        in response: Response, runtime: ProxyRuntime, user: String?, carried: () -> [SessionCredential]
    ) async {
        guard let sessions = runtime.sessions else { return }
        let legacyName = runtime.config.migration.legacyUpstream
        let names = runtime.router.affinity.sessionCookies(of: legacyName)
        let issued = response.headers[values: .setCookie].compactMap { SetCookie.parse($0, now: sessions.now) }
            .filter { names.contains($0.name) }
        guard !issued.isEmpty else { return }
        let user = user.map { runtime.migration.normalize($0) }
        let credentials = carried()
        for cookie in issued {
            await sessions.issued(
                name: cookie.name, value: cookie.value, expiresAt: cookie.expiresAt, identifier: user,
                carried: credentials)
        }
    }
}
