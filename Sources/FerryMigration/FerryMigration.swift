// The migration engine (legacy sources, canonical record, eligibility,
// provisioning targets, outbox retrier) lands here with the migration-engine issue.
import FerryConfig
import FerryStore
import PasswordHashes
