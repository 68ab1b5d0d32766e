// Listeners, router, forwarding, admin API and reload land here with the
// reverse-proxy issue.
import AsyncHTTPClient
import FerryMigration
import Hummingbird
